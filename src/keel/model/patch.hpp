// keel/model/patch.hpp — a tri-state field for PATCH bodies.
//
// In a partial update, "absent" (leave it alone) and "null" (clear it) mean
// different things, which std::optional cannot tell apart. Patch<T> can:
//
//   struct ItemPatch {
//     keel::model::Patch<std::string> description;   // nullable column
//     ...
//   };
//   patch.description.apply_to(item.description);     // std::optional<std::string>
//   if (patch.title.has_value()) item.title = patch.title.value();
#pragma once

#include <optional>
#include <utility>

namespace keel::model {

// Patch holds an absent, null or present value; default-constructed it is absent.
template <class T>
class Patch {
 public:
  Patch() = default;

  // is_absent says the member was not in the input.
  bool is_absent() const { return state_ == State::absent; }
  // is_null says the member was an explicit JSON null.
  bool is_null() const { return state_ == State::null; }
  // has_value says the member carried a value.
  bool has_value() const { return state_ == State::value; }

  // value returns the carried value; only valid when has_value().
  const T& value() const { return value_; }
  T& value() { return value_; }

  // set_null marks an explicit null.
  void set_null() {
    state_ = State::null;
    value_ = T{};
  }
  // emplace marks a value and returns it for filling in.
  T& emplace() {
    state_ = State::value;
    value_ = T{};
    return value_;
  }
  // set marks and stores a value.
  void set(T value) {
    state_ = State::value;
    value_ = std::move(value);
  }

  // apply_to updates a nullable target the way PATCH means: absent leaves it,
  // null clears it, a value replaces it.
  template <class U>
  void apply_to(std::optional<U>& target) const {
    if (is_null()) target.reset();
    if (has_value()) target = value_;
  }

  friend bool operator==(const Patch&, const Patch&) = default;

 private:
  enum class State { absent, null, value };
  State state_ = State::absent;
  T value_{};
};

}  // namespace keel::model
