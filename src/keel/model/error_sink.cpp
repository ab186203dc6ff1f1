#include "keel/model/error_sink.hpp"

#include <utility>

#include "keel/model/utf8.hpp"

namespace keel::model {
namespace {

// Unknown keys are client-chosen: a location quotes at most this much of one.
constexpr std::size_t kMaxQuotedKey = 64;

}  // namespace

ErrorSink::ErrorSink(const Loc& prefix, std::size_t max_errors) : prefix_(prefix), max_errors_(max_errors) {}

ErrorSink::Loc ErrorSink::location() const {
  Loc loc;
  loc.reserve(prefix_.size() + path_.size() + 1);
  loc.insert(loc.end(), prefix_.begin(), prefix_.end());
  for (const auto& part : path_) {
    if (const auto* key = std::get_if<std::string_view>(&part)) {
      loc.emplace_back(std::string(*key));
    } else {
      loc.emplace_back(std::get<std::size_t>(part));
    }
  }
  return loc;
}

void ErrorSink::add(std::string_view type, std::string msg) {
  ++reported_;
  if (full()) return;
  errors_.push_back({location(), std::move(msg), std::string(type)});
}

void ErrorSink::add_extra_key(std::string_view key) {
  ++reported_;
  if (full()) return;
  Loc loc = location();
  loc.emplace_back(utf8_excerpt(key, kMaxQuotedKey));
  errors_.push_back({std::move(loc), "Extra inputs are not permitted", "extra_forbidden"});
}

}  // namespace keel::model
