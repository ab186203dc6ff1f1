// keel/db/value.hpp — values that travel to and from the database.
//
// Value is one SQL value as Keel sees it, the same for both dialects. Param is
// one bound parameter: it converts from the C++ types a handler has at hand,
// so a call reads like the SQL it fills. Bound parameters are the only way a
// value reaches the database (see statement.hpp).
//
//   conn.execute(kInsertItem, {item.id, item.title, item.description /* optional → NULL */,
//                              Blob{bytes.begin(), bytes.end()}});
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "keel/db/error.hpp"

namespace keel::db {

// Blob is a byte string (bytea / BLOB). Text with NUL bytes must travel as a Blob.
using Blob = std::vector<std::uint8_t>;

// Value is one SQL value: NULL, integer, real, boolean, text or bytes.
using Value = std::variant<std::nullptr_t, std::int64_t, double, bool, std::string, Blob>;

// Param is one bound parameter. It owns its value (copies strings), so a
// std::vector<Param> built in a loop never dangles.
class Param {
 public:
  Param(std::nullptr_t) {}              // NOLINT(google-explicit-constructor): converting by design
  Param(std::nullopt_t) {}              // NOLINT(google-explicit-constructor)
  Param(bool value) : value_(value) {}  // NOLINT(google-explicit-constructor)
  template <std::integral T>
  requires(!std::same_as<T, bool>) Param(T value)
      : value_(to_int64(value)) {}  // NOLINT(google-explicit-constructor)
  template <std::floating_point T>
  Param(T value) : value_(static_cast<double>(value)) {}  // NOLINT(google-explicit-constructor)
  // A string literal must become text, never bool (the pointer conversion).
  Param(const char* value) : value_(std::string(value)) {}       // NOLINT(google-explicit-constructor)
  Param(std::string_view value) : value_(std::string(value)) {}  // NOLINT(google-explicit-constructor)
  Param(std::string value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Param(Blob value) : value_(std::move(value)) {}                // NOLINT(google-explicit-constructor)
  template <class T>
  Param(const std::optional<T>& value)  // NOLINT(google-explicit-constructor)
      : Param(value ? Param(*value) : Param(nullptr)) {}

  // value returns the parameter as the driver binds it.
  const Value& value() const { return value_; }

 private:
  template <class T>
  static std::int64_t to_int64(T value) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
      if (value > static_cast<T>(std::numeric_limits<std::int64_t>::max())) {
        throw DatabaseError(ErrorKind::other, "bound parameter: unsigned integer above 2^63-1");
      }
    }
    return static_cast<std::int64_t>(value);
  }

  Value value_;
};

}  // namespace keel::db
