// keel/http/method.hpp — HTTP request methods.
#pragma once

#include <cstdint>
#include <string_view>

namespace keel::http {

// Method lists the methods a route can be declared for; anything else is
// `unknown` and answered with 405 (or 501 for methods no route could have).
enum class Method : std::uint8_t { get, head, post, put, patch, delete_, options, unknown };

// method_from_string maps "GET" → Method::get; unknown tokens → Method::unknown.
Method method_from_string(std::string_view name);
// to_string maps Method::delete_ → "DELETE".
std::string_view to_string(Method method);

}  // namespace keel::http
