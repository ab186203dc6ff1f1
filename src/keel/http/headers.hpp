// keel/http/headers.hpp — an ordered, case-insensitive header list.
//
// Keel's request/response types carry headers in this small vector rather
// than Beast's field container, so that handler code and most of the
// framework compile without Boost.Beast.
//
//   Headers h;
//   h.set("Content-Type", "application/json");
//   if (auto v = h.get("content-type")) { ... }
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keel::http {

// iequals compares two ASCII strings ignoring case (header names, tokens).
bool iequals(std::string_view a, std::string_view b);

// trim_whitespace drops the spaces and tabs HTTP allows around field values,
// list elements and parameters ("  gzip ;q=0 " → "gzip ;q=0").
std::string_view trim_whitespace(std::string_view text);

// Headers keeps fields in arrival order; names compare case-insensitively.
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  // get returns the first value of `name`, if present.
  std::optional<std::string_view> get(std::string_view name) const;
  // get_all returns every value of `name` in order.
  std::vector<std::string_view> get_all(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }
  // set replaces every field called `name` with one field.
  void set(std::string_view name, std::string value);
  // add appends a field, keeping existing ones (e.g. Vary, Set-Cookie).
  void add(std::string_view name, std::string value);
  // erase removes every field called `name`.
  void erase(std::string_view name);

  const std::vector<Field>& fields() const { return fields_; }
  bool empty() const { return fields_.empty(); }
  void reserve(std::size_t n) { fields_.reserve(n); }

 private:
  std::vector<Field> fields_;
};

}  // namespace keel::http
