#include "keel/model/parse.hpp"

#include <cmath>
#include <limits>

#include "keel/model/utf8.hpp"

namespace keel::model {
namespace {

constexpr auto kInt64Min = std::numeric_limits<std::int64_t>::min();
constexpr auto kInt64Max = std::numeric_limits<std::int64_t>::max();
// 2^63: the first double beyond int64's range (int64 max itself is not a double).
constexpr double kTwoPow63 = 9223372036854775808.0;

void report_int_type(ErrorSink& sink) { sink.add("int_type", "Input should be a valid integer"); }

}  // namespace

errors::ApiError ParseError::to_api_error() const {
  if (kind == ParseErrorKind::invalid_json) return {errors::ErrorCode::invalid_json, message};
  return {errors::ErrorCode::validation_error, message, errors};
}

namespace detail {

bool read_scalar(const boost::json::value& in, std::string& out, ErrorSink& sink, bool utf8_checked) {
  const auto* text = in.if_string();
  if (text == nullptr) {
    sink.add("string_type", "Input should be a valid string");
    return false;
  }
  // JSON text from parse_json is valid UTF-8 already; values built from
  // decoded query or form parameters need not be.
  if (!utf8_checked && !utf8_length(*text)) {
    sink.add("string_unicode",
             "Input should be a valid string, unable to parse raw data as a unicode string");
    return false;
  }
  out.assign(text->data(), text->size());
  return true;
}

bool read_scalar(const boost::json::value& in, bool& out, ErrorSink& sink) {
  if (!in.is_bool()) {
    sink.add("bool_type", "Input should be a valid boolean");
    return false;
  }
  out = in.get_bool();
  return true;
}

bool read_scalar(const boost::json::value& in, std::int64_t& out, ErrorSink& sink) {
  switch (in.kind()) {
    case boost::json::kind::int64: out = in.get_int64(); return true;
    case boost::json::kind::uint64:
      // Boost.JSON only uses uint64 for literals above int64's maximum.
      if (in.get_uint64() <= static_cast<std::uint64_t>(kInt64Max)) {
        out = static_cast<std::int64_t>(in.get_uint64());
        return true;
      }
      report_above(sink, kInt64Max);
      return false;
    case boost::json::kind::double_: {
      // Literals beyond uint64 arrive as doubles; those are out of range, any
      // other double (5.0, 1e3, 2.5) is not an integer in strict mode.
      const double d = in.get_double();
      if (d >= kTwoPow63) {
        report_above(sink, kInt64Max);
      } else if (d <= -kTwoPow63) {
        report_below(sink, kInt64Min);
      } else {
        report_int_type(sink);
      }
      return false;
    }
    default: report_int_type(sink); return false;
  }
}

bool read_scalar(const boost::json::value& in, int& out, ErrorSink& sink) {
  std::int64_t wide = 0;
  if (!read_scalar(in, wide, sink)) return false;
  if (wide < std::numeric_limits<int>::min()) {
    report_below(sink, std::int64_t{std::numeric_limits<int>::min()});
    return false;
  }
  if (wide > std::numeric_limits<int>::max()) {
    report_above(sink, std::int64_t{std::numeric_limits<int>::max()});
    return false;
  }
  out = static_cast<int>(wide);
  return true;
}

bool read_scalar(const boost::json::value& in, double& out, ErrorSink& sink) {
  switch (in.kind()) {
    case boost::json::kind::double_:
      // Boost.JSON turns 1e400 into infinity, which JSON cannot carry back out.
      if (!std::isfinite(in.get_double())) {
        sink.add("finite_number", "Input should be a finite number");
        return false;
      }
      out = in.get_double();
      return true;
    case boost::json::kind::int64: out = static_cast<double>(in.get_int64()); return true;
    case boost::json::kind::uint64: out = static_cast<double>(in.get_uint64()); return true;
    default: sink.add("float_type", "Input should be a valid number"); return false;
  }
}

const ErrorSink::Loc& body_loc() {
  static const ErrorSink::Loc loc{std::string("body")};
  return loc;
}

ParseError validation_failure(std::vector<errors::FieldError> errors) {
  const std::size_t n = errors.size();
  std::string message =
      "The input failed validation (" + std::to_string(n) + (n == 1 ? " error)." : " errors).");
  return {ParseErrorKind::validation, std::move(message), std::move(errors)};
}

std::optional<ParseError> JsonDocument::parse(std::string_view text, std::size_t max_depth) {
  boost::json::parse_options options;
  options.max_depth = max_depth;
  // The parser's own stack starts here and only spills to the heap for deep input.
  unsigned char parser_stack[512];
  boost::json::parser parser(boost::json::storage_ptr(), options, parser_stack, sizeof(parser_stack));
  parser.reset(boost::json::storage_ptr(&resource_));
  boost::json::error_code ec;
  const std::size_t used = parser.write(text.data(), text.size(), ec);
  if (ec == boost::json::error::too_deep) {
    return ParseError{ParseErrorKind::invalid_json,
                      "The JSON nests deeper than " + std::to_string(max_depth) + " levels.",
                      {}};
  }
  if (ec) {
    // The Boost message is a fixed phrase ("syntax error", "extra data"); the
    // offset lets a client find the spot without the body being echoed.
    return ParseError{
        ParseErrorKind::invalid_json,
        "The body is not valid JSON: " + ec.message() + " at offset " + std::to_string(used) + ".",
        {}};
  }
  root_ = parser.release();
  return std::nullopt;
}

}  // namespace detail
}  // namespace keel::model
