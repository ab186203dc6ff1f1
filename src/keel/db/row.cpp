#include "keel/db/row.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace keel::db {
namespace {

// Converts text the database stored for a number (SQLite's dynamic typing,
// PostgreSQL numeric) only when the whole text is the number.
template <class T>
std::optional<T> parse_number(const std::string& text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

const Value& Row::value(std::size_t index) const {
  if (index >= cells_.size()) {
    throw DatabaseError(ErrorKind::other, "result column " + std::to_string(index) +
                                              " out of range (row has " + std::to_string(cells_.size()) +
                                              " columns)");
  }
  return cells_[index];
}

std::size_t Row::index_of(std::string_view column) const {
  for (std::size_t i = 0; i < columns_->size(); ++i) {
    if ((*columns_)[i] == column) return i;
  }
  throw DatabaseError(ErrorKind::other, "result has no column \"" + std::string(column) + "\"");
}

bool Row::is_null(std::size_t index) const { return std::holds_alternative<std::nullptr_t>(value(index)); }

void Row::type_error(std::size_t index, std::string_view wanted) const {
  const std::string name = index < columns_->size() ? (*columns_)[index] : std::to_string(index);
  if (is_null(index)) {
    throw DatabaseError(
        ErrorKind::other,
        "result column \"" + name + "\" is NULL; read it as std::optional<" + std::string(wanted) + ">");
  }
  throw DatabaseError(ErrorKind::other,
                      "result column \"" + name + "\" cannot be read as " + std::string(wanted));
}

std::string Row::as_string(std::size_t index) const {
  const Value& v = value(index);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* b = std::get_if<Blob>(&v)) return {b->begin(), b->end()};
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) {
    char buffer[32];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, *d);
    if (ec == std::errc()) return {buffer, end};
  }
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  type_error(index, "std::string");
}

std::int64_t Row::as_int64(std::size_t index) const {
  const Value& v = value(index);
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* b = std::get_if<bool>(&v)) return *b ? 1 : 0;
  if (const auto* d = std::get_if<double>(&v)) {
    // 2^63 is exactly representable; anything at or above it does not fit.
    if (std::trunc(*d) == *d && *d >= -9223372036854775808.0 && *d < 9223372036854775808.0) {
      return static_cast<std::int64_t>(*d);
    }
  }
  if (const auto* s = std::get_if<std::string>(&v)) {
    if (auto parsed = parse_number<std::int64_t>(*s)) return *parsed;
  }
  type_error(index, "std::int64_t");
}

int Row::as_int(std::size_t index) const {
  const std::int64_t wide = as_int64(index);
  if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max())
    type_error(index, "int");
  return static_cast<int>(wide);
}

double Row::as_double(std::size_t index) const {
  const Value& v = value(index);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* s = std::get_if<std::string>(&v)) {
    if (auto parsed = parse_number<double>(*s)) return *parsed;
  }
  type_error(index, "double");
}

bool Row::as_bool(std::size_t index) const {
  const Value& v = value(index);
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i != 0;  // SQLite stores booleans as 0/1
  if (const auto* s = std::get_if<std::string>(&v)) {
    if (*s == "t" || *s == "true" || *s == "1") return true;
    if (*s == "f" || *s == "false" || *s == "0") return false;
  }
  type_error(index, "bool");
}

Blob Row::as_blob(std::size_t index) const {
  const Value& v = value(index);
  if (const auto* b = std::get_if<Blob>(&v)) return *b;
  if (const auto* s = std::get_if<std::string>(&v)) return {s->begin(), s->end()};
  type_error(index, "Blob");
}

std::optional<Row> Result::first() const {
  if (rows_.empty()) return std::nullopt;
  return rows_.front();
}

}  // namespace keel::db
