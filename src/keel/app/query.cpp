#include "keel/app/query.hpp"

#include <charconv>
#include <string>

#include "keel/errors/api_error.hpp"

namespace keel::app {

std::int64_t query_int(const http::Request& request, std::string_view name, const IntParam& param) {
  const auto raw = request.query_param(name);
  if (!raw) return param.fallback;
  const auto fail = [&](std::string msg, std::string type) {
    throw errors::ApiError(errors::ErrorCode::validation_error, "A query parameter is invalid.",
                           {errors::FieldError{{std::string("query"), std::string(name)}, std::move(msg),
                                               std::move(type)}});
  };
  std::int64_t value = 0;
  const auto* end = raw->data() + raw->size();
  const auto [ptr, ec] = std::from_chars(raw->data(), end, value);
  if (raw->empty() || ec != std::errc{} || ptr != end) fail("Input should be a valid integer", "int_parsing");
  if (value < param.min) {
    fail("Input should be greater than or equal to " + std::to_string(param.min), "greater_than_equal");
  }
  if (value > param.max) {
    fail("Input should be less than or equal to " + std::to_string(param.max), "less_than_equal");
  }
  return value;
}

}  // namespace keel::app
