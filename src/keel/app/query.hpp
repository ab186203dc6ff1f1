// keel/app/query.hpp — validated query parameters.
//
//   auto limit = query_int(request, "limit", {.min = 1, .max = 100, .fallback = 20});
//
// A malformed or out-of-range value is a 422 with loc ["query", name], in the
// same shape as body validation errors.
#pragma once

#include <cstdint>
#include <string_view>

#include "keel/http/request.hpp"

namespace keel::app {

struct IntParam {
  std::int64_t min = INT64_MIN;
  std::int64_t max = INT64_MAX;
  std::int64_t fallback = 0;  // used when the parameter is absent
};

// query_int reads an integer query parameter within [min, max]; throws ApiError (422).
std::int64_t query_int(const http::Request& request, std::string_view name, const IntParam& param);

}  // namespace keel::app
