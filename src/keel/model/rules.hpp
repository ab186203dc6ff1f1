// keel/model/rules.hpp — validation rules and documentation annotations of model fields.
//
// Rules follow the member pointer in a field declaration. Each checks the
// field's value (the inner value for std::optional / Patch, when present)
// and writes its JSON Schema keywords, so the docs can never disagree with
// the check. Per value, rules run in order and stop at the first failure
// (one error per field, like Pydantic). On lists, items() runs on the count
// before any element is read, and each(...) runs on every element as it is
// read, so every bad element is reported.
//
//   namespace m = keel::model;
//   v.field("title", &Item::title, m::length(1, 200), m::describe("Short title"));
//   v.field("slug", &Item::slug, m::length(1, 64), m::pattern<"[a-z0-9-]+">());
//   v.field("tags", &Item::tags, m::items(0, 20), m::each(m::length(1, 32)));
//   v.field("color", &Item::color, m::one_of({"red", "green"}), m::default_value("red"));
//
// A rule declared on a type it does not apply to fails to compile.
//
// Writing a rule: a copyable type with
//   bool check(const V& value, ErrorSink& sink) const;  // false after sink.add(...)
//   void schema(boost::json::object& s) const;          // adds its keywords
// for the value types V it supports. Annotation-only rules declare
// `static constexpr bool kDocOnly = true;` and only `schema`.
// Rules are rebuilt on every parse, so they must be cheap to construct:
// they hold views of literals and numbers, never allocations.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <regex>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include <boost/json.hpp>

#include "keel/model/error_sink.hpp"
#include "keel/model/traits.hpp"

namespace keel::model {
namespace detail {

template <class T>
concept Number = std::same_as<T, std::int64_t> || std::same_as<T, int> || std::same_as<T, double>;

// Message builders shared by the rule templates (rules.cpp).
void report_below(ErrorSink& sink, std::int64_t min);
void report_below(ErrorSink& sink, double min);
void report_above(ErrorSink& sink, std::int64_t max);
void report_above(ErrorSink& sink, double max);
bool check_items(std::size_t count, std::size_t min, std::size_t max, ErrorSink& sink);
bool check_one_of(std::string_view value, std::span<const std::string_view> allowed, ErrorSink& sink);
void report_pattern_mismatch(ErrorSink& sink, std::string_view pattern);
// schema_number writes a bound, whole doubles as integers (Boost.JSON would
// print 1000.0 as 1E3 in the served document).
boost::json::value schema_number(std::int64_t n);
boost::json::value schema_number(double n);
// allows_null / allow_null read and make a schema nullable (OpenAPI 3.1 style:
// "type": [..., "null"], and null added to an "enum").
bool allows_null(const boost::json::object& schema);
void allow_null(boost::json::object& schema);

template <class V, class... Rules>
bool check_value(const V& value, ErrorSink& sink, const Rules&... rules);

}  // namespace detail

// Length bounds a string's length in Unicode code points (not bytes).
struct Length {
  std::size_t min;
  std::size_t max;
  bool check(const std::string& value, ErrorSink& sink) const;
  void schema(boost::json::object& s) const;
};

// length accepts strings of min..max code points, both inclusive.
constexpr Length length(std::size_t min, std::size_t max) { return {min, max}; }

// Range bounds a number, both ends inclusive.
template <class N>
struct Range {
  N min;
  N max;

  template <detail::Number V>
  bool check(V value, ErrorSink& sink) const {
    using Common =
        std::conditional_t<std::is_floating_point_v<N> || std::is_floating_point_v<V>, double, std::int64_t>;
    if (static_cast<Common>(value) < static_cast<Common>(min)) {
      detail::report_below(sink, min);
      return false;
    }
    if (static_cast<Common>(value) > static_cast<Common>(max)) {
      detail::report_above(sink, max);
      return false;
    }
    return true;
  }
  void schema(boost::json::object& s) const {
    s["minimum"] = detail::schema_number(min);
    s["maximum"] = detail::schema_number(max);
  }
};

// range accepts numbers in min..max; integer bounds stay exact for int64 fields.
template <class A, class B>
requires std::is_arithmetic_v<A> && std::is_arithmetic_v<B> &&
    (!std::same_as<A, bool>)&&(!std::same_as<B, bool>)constexpr auto range(A min, B max) {
  if constexpr (std::is_integral_v<A> && std::is_integral_v<B>) {
    return Range<std::int64_t>{static_cast<std::int64_t>(min), static_cast<std::int64_t>(max)};
  } else {
    return Range<double>{static_cast<double>(min), static_cast<double>(max)};
  }
}

// Email accepts the address syntax described in email.hpp.
struct Email {
  bool check(const std::string& value, ErrorSink& sink) const;
  void schema(boost::json::object& s) const;
};

// email accepts e-mail addresses (syntax only, case kept as sent).
constexpr Email email() { return {}; }

// OneOf accepts one of a fixed set of strings (an enum).
template <std::size_t N>
struct OneOf {
  std::array<std::string_view, N> values;

  bool check(const std::string& value, ErrorSink& sink) const {
    return detail::check_one_of(value, values, sink);
  }
  void schema(boost::json::object& s) const {
    boost::json::array list;
    for (std::string_view value : values) list.emplace_back(value);
    s["enum"] = std::move(list);
  }
};

// one_of accepts exactly one of `values`: one_of({"red", "green"}). The
// values must be string literals (or otherwise outlive every parse).
template <std::size_t N>
constexpr OneOf<N> one_of(const std::string_view (&values)[N]) {
  OneOf<N> rule{};
  for (std::size_t i = 0; i < N; ++i) rule.values[i] = values[i];
  return rule;
}

// Items bounds a list's number of elements, both inclusive.
struct Items {
  std::size_t min;
  std::size_t max;

  template <class E, class A>
  bool check(const std::vector<E, A>& list, ErrorSink& sink) const {
    return detail::check_items(list.size(), min, max, sink);
  }
  void schema(boost::json::object& s) const;
};

// items accepts lists of min..max elements.
constexpr Items items(std::size_t min, std::size_t max) { return {min, max}; }

// Each applies its rules to every element of a list.
template <class... Rules>
struct Each {
  std::tuple<Rules...> rules;

  template <class E, class A>
  bool check(const std::vector<E, A>& list, ErrorSink& sink) const {
    bool ok = true;
    for (std::size_t i = 0; i < list.size() && !sink.full(); ++i) {
      ErrorSink::Scope at(sink, i);
      const E& element = list[i];
      ok = std::apply([&](const Rules&... r) { return detail::check_value(element, sink, r...); }, rules) &&
           ok;
    }
    return ok;
  }
  void schema(boost::json::object& s) const {
    auto& element = s["items"].as_object();
    const bool nullable = detail::allows_null(element);
    std::apply([&](const Rules&... r) { (r.schema(element), ...); }, rules);
    if (nullable) detail::allow_null(element);
  }
};

// each applies `rules` to every element of a list field.
template <class... Rules>
constexpr Each<Rules...> each(Rules... rules) {
  return {{rules...}};
}

// FixedString lets a pattern literal be a template argument, so its regex is
// compiled once per program instead of once per request.
template <std::size_t N>
struct FixedString {
  char text[N]{};
  // Implicit, so pattern<"[a-z]+">() takes the literal directly.
  constexpr FixedString(const char (&s)[N]) {
    for (std::size_t i = 0; i < N; ++i) text[i] = s[i];
  }
  constexpr std::string_view view() const { return {text, N - 1}; }
};

// Pattern accepts strings the ECMAScript regex P matches in full.
template <FixedString P>
struct Pattern {
  // regex compiles P on first use; schema() uses it too, so a malformed
  // pattern throws std::regex_error when the OpenAPI document is built at
  // start-up rather than on some later request.
  static const std::regex& regex() {
    static const std::regex compiled(P.view().data(), P.view().size(), std::regex::ECMAScript);
    return compiled;
  }
  bool check(const std::string& value, ErrorSink& sink) const {
    if (std::regex_match(value, regex())) return true;
    detail::report_pattern_mismatch(sink, P.view());
    return false;
  }
  void schema(boost::json::object& s) const {
    regex();
    // JSON Schema patterns are unanchored searches; ours is a full match.
    s["pattern"] = "^(?:" + std::string(P.view()) + ")$";
  }
};

// pattern accepts strings fully matching the regex literal P:
// pattern<"[a-z]+">(). libstdc++'s regex recurses per input character, so a
// length() rule must precede it (checked at compile time).
template <FixedString P>
constexpr Pattern<P> pattern() {
  return {};
}

// Describe documents a field ("description").
struct Describe {
  static constexpr bool kDocOnly = true;
  std::string_view text;
  void schema(boost::json::object& s) const { s["description"] = text; }
};

// describe documents a field; `text` must outlive every use (a literal).
constexpr Describe describe(std::string_view text) { return {text}; }

// Example documents a sample value ("examples").
template <class V>
struct Example {
  static constexpr bool kDocOnly = true;
  V value;
  void schema(boost::json::object& s) const {
    s["examples"] = boost::json::array{boost::json::value_from(value)};
  }
};

// example documents a sample value: a scalar, or a std::array/std::vector for lists.
template <class V>
constexpr Example<std::decay_t<V>> example(V&& value) {
  return {std::forward<V>(value)};
}

// ReadOnly marks a response-only field ("readOnly"): parsing treats it as an
// unknown member (unless ParseOptions::allow_read_only), so clients cannot set it.
struct ReadOnly {
  static constexpr bool kDocOnly = true;
  void schema(boost::json::object& s) const { s["readOnly"] = true; }
};

// read_only marks a response-only field.
constexpr ReadOnly read_only() { return {}; }

// NotNull makes a std::optional / Patch field reject an explicit null while
// still allowing it to be absent (a PATCH of a non-nullable column).
struct NotNull {
  static constexpr bool kDocOnly = true;
  void schema(boost::json::object&) const {}
};

// not_null rejects null on an optional/Patch field.
constexpr NotNull not_null() { return {}; }

// DefaultValue makes a field optional in input, taking `value` when absent ("default").
template <class V>
struct DefaultValue {
  static constexpr bool kDocOnly = true;
  V value;
  void schema(boost::json::object& s) const { s["default"] = boost::json::value_from(value); }
};

// default_value makes a field optional, with `value` when absent.
template <class V>
constexpr DefaultValue<std::decay_t<V>> default_value(V&& value) {
  return {std::forward<V>(value)};
}

namespace detail {

template <class R>
concept DocOnly = requires {
  R::kDocOnly;
};

template <class R, class V>
concept RuleFor = requires(const R& rule, const V& value, ErrorSink& sink) {
  { rule.check(value, sink) } -> std::same_as<bool>;
};

template <class R>
struct IsPattern : std::false_type {};
template <FixedString P>
struct IsPattern<Pattern<P>> : std::true_type {};

template <class R>
struct IsDefaultValue : std::false_type {};
template <class V>
struct IsDefaultValue<DefaultValue<V>> : std::true_type {};

// has_rule says whether Rule is among Rules.
template <class Rule, class... Rules>
inline constexpr bool kHasRule = (std::same_as<Rule, Rules> || ...);

template <class... Rules>
inline constexpr bool kHasDefault = (IsDefaultValue<Rules>::value || ...);

// pattern_is_bounded says every pattern() follows a length() rule.
template <class... Rules>
consteval bool pattern_is_bounded() {
  bool bounded = false;
  bool ok = true;
  ((bounded = bounded || std::same_as<Rules, Length>, ok = ok && (bounded || !IsPattern<Rules>::value)), ...);
  return ok;
}

// default_of returns the value of the DefaultValue among `rules`.
template <class First, class... Rest>
const auto& default_of(const First& first, const Rest&... rest) {
  if constexpr (IsDefaultValue<First>::value) {
    return first.value;
  } else {
    return default_of(rest...);
  }
}

template <class V, class R>
bool apply_rule(const R& rule, const V& value, ErrorSink& sink) {
  if constexpr (DocOnly<R>) {
    return true;
  } else {
    static_assert(RuleFor<R, V>,
                  "keel::model: rule declared on a field type it does not apply to "
                  "(length/email/one_of/pattern: strings; range: numbers; items/each: lists)");
    return rule.check(value, sink);
  }
}

// check_value runs `rules` on `value` (its inner value for optional/Patch),
// stopping at the first failure; false when an error was recorded.
template <class V, class... Rules>
bool check_value(const V& value, ErrorSink& sink, const Rules&... rules) {
  static_assert(pattern_is_bounded<Rules...>(),
                "keel::model: put a length() rule before pattern() so the regex never runs on "
                "unbounded input");
  if constexpr (IsOptional<V>::value || IsPatch<V>::value) {
    return !value.has_value() || check_value(value.value(), sink, rules...);
  } else {
    return (apply_rule(rules, value, sink) && ...);
  }
}

}  // namespace detail
}  // namespace keel::model
