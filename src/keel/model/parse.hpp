// keel/model/parse.hpp — JSON → model, validating every field in one walk.
//
//   auto parsed = keel::model::parse_json<WidgetCreate>(request.body());
//   if (!parsed) return problem(parsed.error().to_api_error());  // 400 invalid_json or 422
//   create(parsed.value());
//
// parse_json answers `invalid_json` when the body is not one JSON text (bad
// syntax, trailing data, invalid UTF-8, nesting deeper than max_depth) and
// `validation` with every failing field otherwise — a top-level non-object is
// a validation error at ["body"]. Nothing throws (but see value_or_throw).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/json.hpp>

#include "keel/errors/api_error.hpp"
#include "keel/model/error_sink.hpp"
#include "keel/model/rules.hpp"
#include "keel/model/traits.hpp"

namespace keel::model {

// ParseOptions tunes one parse.
struct ParseOptions {
  // max_depth is the deepest JSON nesting parse_json accepts (Boost.JSON's limit).
  std::size_t max_depth = 32;
  // max_errors caps the reported errors; parsing stops walking once reached.
  std::size_t max_errors = 100;
  // allow_read_only accepts read_only() fields, for reading responses (tests, clients).
  bool allow_read_only = false;
};

// ParseErrorKind says which problem a failed parse reports.
enum class ParseErrorKind {
  invalid_json,  // 400: the text is not JSON
  validation,    // 422: JSON, but not a valid instance of the model
};

// ParseError is why a parse failed: a summary safe to show, plus the field
// errors of a validation failure.
struct ParseError {
  ParseErrorKind kind = ParseErrorKind::validation;
  std::string message;
  std::vector<errors::FieldError> errors;

  // to_api_error maps to invalid_json (400) or validation_error (422).
  errors::ApiError to_api_error() const;
};

// ParseResult is a parsed value or the reason there is none.
template <class T>
class [[nodiscard]] ParseResult {
 public:
  // Implicit, so `return value;` and `return error;` read naturally.
  ParseResult(T value) : result_(std::in_place_index<0>, std::move(value)) {}
  ParseResult(ParseError error) : result_(std::in_place_index<1>, std::move(error)) {}

  // ok says parsing succeeded.
  bool ok() const { return result_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // value is the parsed value; only valid when ok().
  T& value() & { return std::get<0>(result_); }
  const T& value() const& { return std::get<0>(result_); }
  T&& value() && { return std::get<0>(std::move(result_)); }

  // error is the failure; only valid when !ok().
  const ParseError& error() const { return std::get<1>(result_); }

  // value_or_throw returns the value or throws the matching errors::ApiError,
  // for handlers, where ApiError is how expected failures travel.
  T value_or_throw() && {
    if (!ok()) throw error().to_api_error();
    return std::get<0>(std::move(result_));
  }

 private:
  std::variant<T, ParseError> result_;
};

namespace detail {

// ReadContext is what every read step needs.
struct ReadContext {
  ErrorSink& sink;
  const ParseOptions& options;
  bool utf8_checked = false;  // Boost.JSON already rejected invalid UTF-8 in the text
};

// read_scalar reads JSON scalars strictly (parse.cpp): no "5" for 5, no 5.0
// or true for an integer, no integer outside the field type's range.
bool read_scalar(const boost::json::value& in, std::string& out, ErrorSink& sink, bool utf8_checked);
bool read_scalar(const boost::json::value& in, bool& out, ErrorSink& sink);
bool read_scalar(const boost::json::value& in, std::int64_t& out, ErrorSink& sink);
bool read_scalar(const boost::json::value& in, int& out, ErrorSink& sink);
bool read_scalar(const boost::json::value& in, double& out, ErrorSink& sink);

// body_loc is the location prefix of request bodies: ["body"].
const ErrorSink::Loc& body_loc();

// validation_failure wraps field errors into a validation ParseError.
ParseError validation_failure(std::vector<errors::FieldError> errors);

// JsonDocument parses a body into a tree allocated from a stack buffer: the
// tree only lives while the model is read, so no per-node heap allocation.
class JsonDocument {
 public:
  JsonDocument() = default;
  JsonDocument(const JsonDocument&) = delete;
  JsonDocument& operator=(const JsonDocument&) = delete;

  // parse reads `text` as exactly one JSON value; the error is invalid_json.
  std::optional<ParseError> parse(std::string_view text, std::size_t max_depth);
  const boost::json::value& root() const { return root_; }

 private:
  alignas(std::max_align_t) unsigned char buffer_[4096];
  boost::json::monotonic_resource resource_{buffer_, sizeof(buffer_)};
  boost::json::value root_ = boost::json::value(boost::json::storage_ptr(&resource_));
};

// read fills `out` from `in` and checks `rules` on it; false when it
// recorded an error. Rules only run on a value that read cleanly.
template <class T, class... Rules>
bool read(const boost::json::value& in, T& out, ReadContext& ctx, const Rules&... rules);

// ObjectReader is the visitor that fills one model from one JSON object: a
// hash lookup per declared field, so the object is never copied or re-indexed.
template <class T>
class ObjectReader {
 public:
  ObjectReader(const boost::json::object& in, T& out, ReadContext& ctx) : in_(in), out_(out), ctx_(ctx) {}

  template <class C, class M, class... Rules>
  void field(std::string_view name, M C::*member, const Rules&... rules) {
    static_assert(std::is_base_of_v<C, T>, "keel::model: field of another type");
    static_assert(!kHasRule<NotNull, Rules...> || Nullable<M>,
                  "keel::model: not_null() applies to std::optional / Patch fields");
    static_assert(!kHasDefault<Rules...> || !IsPatch<M>::value,
                  "keel::model: a Patch field cannot have a default_value()");
    if constexpr (kHasRule<ReadOnly, Rules...>) {
      if (!ctx_.options.allow_read_only) return;  // its key, if sent, is reported as unknown
    }
    if (ctx_.sink.full()) return;
    M& slot = out_.*member;
    const auto it = in_.find(name);
    if (it == in_.end()) {
      absent(name, slot, rules...);
      return;
    }
    ++matched_;
    ErrorSink::Scope at(ctx_.sink, name);
    if constexpr (kHasRule<NotNull, Rules...>) {
      if (it->value().is_null()) {
        // Reading null into the inner type reports that type's own error.
        typename Unwrap<M>::type rejected{};
        read(it->value(), rejected, ctx_);
        return;
      }
    }
    read(it->value(), slot, ctx_, rules...);
  }

  // matched counts the members of the object that named a field.
  std::size_t matched() const { return matched_; }

 private:
  template <class M, class... Rules>
  void absent(std::string_view name, M& slot, const Rules&... rules) {
    if constexpr (kHasDefault<Rules...>) {
      slot = default_of(rules...);
    } else if constexpr (!Nullable<M> && !IsVector<M>::value) {
      ErrorSink::Scope at(ctx_.sink, name);
      ctx_.sink.add("missing", "Field required");
    }
  }

  const boost::json::object& in_;
  T& out_;
  ReadContext& ctx_;
  std::size_t matched_ = 0;
};

// MemberLookup is the visitor answering "does `key` name an input field?".
class MemberLookup {
 public:
  MemberLookup(std::string_view key, bool allow_read_only) : key_(key), allow_read_only_(allow_read_only) {}

  template <class C, class M, class... Rules>
  void field(std::string_view name, M C::*, const Rules&...) {
    if (name == key_ && (allow_read_only_ || !kHasRule<ReadOnly, Rules...>)) found_ = true;
  }
  bool found() const { return found_; }

 private:
  std::string_view key_;
  bool allow_read_only_;
  bool found_ = false;
};

template <class T>
bool read_model(const boost::json::value& in, T& out, ReadContext& ctx) {
  const auto* object = in.if_object();
  if (object == nullptr) {
    ctx.sink.add("model_type", "Input should be a valid object");
    return false;
  }
  const std::size_t before = ctx.sink.reported();
  ObjectReader<T> reader(*object, out, ctx);
  T::fields(reader);
  // Only when some member matched no field do we pay for the per-key scan.
  if (reader.matched() < object->size()) {
    for (const auto& member : *object) {
      if (ctx.sink.full()) break;
      MemberLookup lookup(member.key(), ctx.options.allow_read_only);
      T::fields(lookup);
      if (!lookup.found()) ctx.sink.add_extra_key(member.key());
    }
  }
  return ctx.sink.reported() == before;
}

template <class R>
struct IsEach : std::false_type {};
template <class... Rules>
struct IsEach<Each<Rules...>> : std::true_type {};

// each_of returns the Each among `rules`.
template <class First, class... Rest>
const auto& each_of(const First& first, const Rest&... rest) {
  if constexpr (IsEach<First>::value) {
    return first;
  } else {
    return each_of(rest...);
  }
}

// with_element_rules calls `read_element(element_rules...)` with the rules of
// the field's each(...), if any.
template <class F, class... Rules>
bool with_element_rules(const F& read_element, const Rules&... rules) {
  constexpr int kEachCount = (0 + ... + int{IsEach<Rules>::value});
  static_assert(kEachCount <= 1, "keel::model: put all element rules in one each(...)");
  if constexpr (kEachCount == 0) {
    return read_element();
  } else {
    return std::apply(read_element, each_of(rules...).rules);
  }
}

// check_list_count runs an items() rule on the element count, before reading.
template <class R>
bool check_list_count(const R& rule, std::size_t count, ErrorSink& sink) {
  if constexpr (std::same_as<R, Items>) {
    return check_items(count, rule.min, rule.max, sink);
  } else {
    return true;
  }
}

// check_list_rule runs a list-level rule once the elements are read; items()
// ran before them and each() with them.
template <class R, class L>
bool check_list_rule(const R& rule, const L& list, ErrorSink& sink) {
  if constexpr (std::same_as<R, Items> || IsEach<R>::value) {
    return true;
  } else {
    return apply_rule(rule, list, sink);
  }
}

// read_list checks the element count first (a list of 10 000 elements with a
// max of 20 costs one error, not 10 000 reads), then reads and checks every
// element, so each bad element is reported.
template <class E, class A, class... Rules>
bool read_list(const boost::json::value& in, std::vector<E, A>& out, ReadContext& ctx,
               const Rules&... rules) {
  const auto* array = in.if_array();
  if (array == nullptr) {
    ctx.sink.add("list_type", "Input should be a valid list");
    return false;
  }
  if (!(check_list_count(rules, array->size(), ctx.sink) && ...)) return false;
  out.clear();
  out.resize(array->size());
  bool ok = true;
  std::size_t i = 0;
  for (; i < array->size() && !ctx.sink.full(); ++i) {
    ErrorSink::Scope at(ctx.sink, i);
    const boost::json::value& element_in = (*array)[i];
    if constexpr (std::same_as<E, bool>) {
      bool element = false;  // std::vector<bool> hands out proxies, not bool&
      ok = with_element_rules([&](const auto&... r) { return read(element_in, element, ctx, r...); },
                              rules...) &&
           ok;
      out[i] = element;
    } else {
      ok = with_element_rules([&](const auto&... r) { return read(element_in, out[i], ctx, r...); },
                              rules...) &&
           ok;
    }
  }
  if (!ok || i != array->size()) return false;
  return (check_list_rule(rules, out, ctx.sink) && ...);
}

template <class T, class... Rules>
bool read(const boost::json::value& in, T& out, ReadContext& ctx, const Rules&... rules) {
  if constexpr (std::same_as<T, std::string>) {
    return read_scalar(in, out, ctx.sink, ctx.utf8_checked) && check_value(out, ctx.sink, rules...);
  } else if constexpr (Scalar<T>) {
    return read_scalar(in, out, ctx.sink) && check_value(out, ctx.sink, rules...);
  } else if constexpr (IsOptional<T>::value) {
    if (in.is_null()) {
      out.reset();
      return true;
    }
    return read(in, out.emplace(), ctx, rules...);
  } else if constexpr (IsPatch<T>::value) {
    if (in.is_null()) {
      out.set_null();
      return true;
    }
    return read(in, out.emplace(), ctx, rules...);
  } else if constexpr (IsVector<T>::value) {
    return read_list(in, out, ctx, rules...);
  } else if constexpr (Model<T>) {
    return read_model(in, out, ctx) && check_value(out, ctx.sink, rules...);
  } else {
    static_assert(kAlwaysFalse<T>,
                  "keel::model: unsupported field type (use std::string, bool, std::int64_t, int, "
                  "double, a model, or std::vector / std::optional / Patch of those)");
    return false;
  }
}

}  // namespace detail

namespace detail {

template <class T>
ParseResult<T> parse_tree(const boost::json::value& in, const ErrorSink::Loc& loc_prefix,
                          const ParseOptions& options, bool utf8_checked) {
  ErrorSink sink(loc_prefix, options.max_errors);
  ReadContext ctx{sink, options, utf8_checked};
  T out{};
  if (read(in, out, ctx) && sink.reported() == 0) return ParseResult<T>(std::move(out));
  return ParseResult<T>(validation_failure(std::move(sink).take()));
}

}  // namespace detail

// parse_value reads an already-parsed JSON value as a T (a model, a field
// type, or a list of them), reporting errors under `loc_prefix` (e.g.
// {"query"}). Strings are checked for valid UTF-8, since values built from
// decoded query or form parameters may hold any bytes.
template <class T>
ParseResult<T> parse_value(const boost::json::value& in, const ErrorSink::Loc& loc_prefix,
                           const ParseOptions& options = {}) {
  return detail::parse_tree<T>(in, loc_prefix, options, false);
}

// parse_json parses a request body as a T, locating errors under ["body"].
template <class T>
ParseResult<T> parse_json(std::string_view body, const ParseOptions& options = {}) {
  detail::JsonDocument document;
  if (auto error = document.parse(body, options.max_depth)) return ParseResult<T>(std::move(*error));
  return detail::parse_tree<T>(document.root(), detail::body_loc(), options, true);
}

}  // namespace keel::model
