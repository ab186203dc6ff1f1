// keel/model/error_sink.hpp — collects the FieldErrors of one parse.
//
// Parsing walks the input once and keeps going after a failure, so a client
// learns about every bad field in one round trip. The sink tracks where the
// walk is (cheap string_view/index parts, turned into a FieldError location
// only when an error is recorded) and caps how many errors it keeps, so a
// body of 100 000 bad elements cannot make a response 100× its size.
//
// Custom rules receive the sink in `check` (see rules.hpp):
//
//   bool check(const std::string& s, keel::model::ErrorSink& sink) const {
//     if (s.starts_with(' ')) { sink.add("value_error", "Value error, must not start with a space"); return
//     false; } return true;
//   }
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "keel/errors/api_error.hpp"

namespace keel::model {

// ErrorSink records validation errors at the current location of a walk.
class ErrorSink {
 public:
  using Loc = std::vector<errors::FieldError::LocPart>;

  // ErrorSink starts at location `prefix` (e.g. {"body"}), which must outlive it.
  ErrorSink(const Loc& prefix, std::size_t max_errors);

  // Scope enters a key or list index for its lifetime. The key must outlive it.
  class Scope {
   public:
    Scope(ErrorSink& sink, std::string_view key) : sink_(sink) { sink_.path_.emplace_back(key); }
    Scope(ErrorSink& sink, std::size_t index) : sink_(sink) { sink_.path_.emplace_back(index); }
    ~Scope() { sink_.path_.pop_back(); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    ErrorSink& sink_;
  };

  // add records an error at the current location; `type` is a stable token
  // ("string_too_long"), `msg` a short sentence that never quotes the input.
  void add(std::string_view type, std::string msg);

  // add_extra_key records an unknown object member `key` ("extra_forbidden"),
  // quoting at most a short excerpt of the key.
  void add_extra_key(std::string_view key);

  // full says the cap is reached: callers may stop walking.
  bool full() const { return errors_.size() >= max_errors_; }

  // reported counts every add, kept or dropped, so callers can tell whether
  // a sub-walk failed even after the cap.
  std::size_t reported() const { return reported_; }

  // take hands over the recorded errors.
  std::vector<errors::FieldError> take() && { return std::move(errors_); }

 private:
  Loc location() const;

  const Loc& prefix_;
  // Inline storage: walking a typical model never touches the heap.
  boost::container::small_vector<std::variant<std::string_view, std::size_t>, 16> path_;
  std::vector<errors::FieldError> errors_;
  std::size_t max_errors_;
  std::size_t reported_ = 0;
};

}  // namespace keel::model
