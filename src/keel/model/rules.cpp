#include "keel/model/rules.hpp"

#include <array>
#include <charconv>
#include <cmath>

#include "keel/model/email.hpp"
#include "keel/model/utf8.hpp"

namespace keel::model {
namespace {

// plural picks "1 character" / "2 characters".
std::string count_of(std::size_t n, std::string_view noun) {
  std::string text = std::to_string(n);
  text += ' ';
  text += noun;
  if (n != 1) text += 's';
  return text;
}

std::string number_text(std::int64_t n) { return std::to_string(n); }

// number_text(double) writes the shortest text that reads back as `n`.
std::string number_text(double n) {
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), n);
  return std::string(buffer.data(), result.ptr);
}

}  // namespace

bool Length::check(const std::string& value, ErrorSink& sink) const {
  const auto count = utf8_length(value);
  if (!count) {
    sink.add("string_unicode",
             "Input should be a valid string, unable to parse raw data as a unicode string");
    return false;
  }
  if (*count < min) {
    sink.add("string_too_short", "String should have at least " + count_of(min, "character"));
    return false;
  }
  if (*count > max) {
    sink.add("string_too_long", "String should have at most " + count_of(max, "character"));
    return false;
  }
  return true;
}

void Length::schema(boost::json::object& s) const {
  if (min > 0) s["minLength"] = min;
  s["maxLength"] = max;
}

bool Email::check(const std::string& value, ErrorSink& sink) const {
  const std::string_view why = email_error(value);
  if (why.empty()) return true;
  sink.add("value_error", "value is not a valid email address: " + std::string(why));
  return false;
}

void Email::schema(boost::json::object& s) const { s["format"] = "email"; }

void Items::schema(boost::json::object& s) const {
  if (min > 0) s["minItems"] = min;
  s["maxItems"] = max;
}

namespace detail {

void report_below(ErrorSink& sink, std::int64_t min) {
  sink.add("greater_than_equal", "Input should be greater than or equal to " + number_text(min));
}
void report_below(ErrorSink& sink, double min) {
  sink.add("greater_than_equal", "Input should be greater than or equal to " + number_text(min));
}
void report_above(ErrorSink& sink, std::int64_t max) {
  sink.add("less_than_equal", "Input should be less than or equal to " + number_text(max));
}
void report_above(ErrorSink& sink, double max) {
  sink.add("less_than_equal", "Input should be less than or equal to " + number_text(max));
}

bool check_items(std::size_t count, std::size_t min, std::size_t max, ErrorSink& sink) {
  if (count < min) {
    sink.add("too_short",
             "List should have at least " + count_of(min, "item") + ", not " + std::to_string(count));
    return false;
  }
  if (count > max) {
    sink.add("too_long",
             "List should have at most " + count_of(max, "item") + ", not " + std::to_string(count));
    return false;
  }
  return true;
}

bool check_one_of(std::string_view value, std::span<const std::string_view> allowed, ErrorSink& sink) {
  for (std::string_view candidate : allowed) {
    if (candidate == value) return true;
  }
  // Pydantic's wording: "Input should be 'a', 'b' or 'c'".
  std::string msg = "Input should be ";
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    if (i > 0) msg += i + 1 == allowed.size() ? " or " : ", ";
    msg += '\'';
    msg += allowed[i];
    msg += '\'';
  }
  sink.add("enum", std::move(msg));
  return false;
}

void report_pattern_mismatch(ErrorSink& sink, std::string_view pattern) {
  sink.add("string_pattern_mismatch", "String should match pattern '" + std::string(pattern) + "'");
}

boost::json::value schema_number(std::int64_t n) { return n; }

boost::json::value schema_number(double n) {
  constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
  if (std::trunc(n) == n && std::fabs(n) <= kExactIntegers) return static_cast<std::int64_t>(n);
  return n;
}

bool allows_null(const boost::json::object& schema) {
  const auto* type = schema.if_contains("type");
  if (type == nullptr || !type->is_array()) return false;
  for (const auto& t : type->get_array()) {
    if (t == "null") return true;
  }
  return false;
}

void allow_null(boost::json::object& schema) {
  if (auto* type = schema.if_contains("type"); type != nullptr && type->is_string()) {
    *type = boost::json::array{type->get_string(), "null"};
  }
  if (auto* values = schema.if_contains("enum"); values != nullptr && values->is_array()) {
    auto& list = values->get_array();
    bool has_null = false;
    for (const auto& v : list) has_null = has_null || v.is_null();
    if (!has_null) list.emplace_back(nullptr);
  }
}

}  // namespace detail
}  // namespace keel::model
