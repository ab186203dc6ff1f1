// keel/edge/cors.hpp — the CORS policy from CORS_ORIGINS, as plain values.
//
// Origins match exactly (scheme, host and port); the Access-Control-Allow-Origin
// value is always the configured string (or "*"), never text copied from the
// request, so an arbitrary origin can never be reflected. Keel authenticates
// with bearer tokens and API keys only, so it never sends
// Access-Control-Allow-Credentials: browsers never attach cookies for it.
//
//   CorsPolicy cors({"https://app.example.com"});
//   if (auto allow = cors.allow_origin(origin)) response.headers.set("Access-Control-Allow-Origin", *allow);
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/http/request.hpp"

namespace keel::edge {

// kCorsAllowMethods answers Access-Control-Request-Method in a preflight.
inline constexpr std::string_view kCorsAllowMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
// kCorsAllowHeaders lists the request headers Keel reads that a browser may send cross-origin.
inline constexpr std::string_view kCorsAllowHeaders =
    "Authorization, X-API-Key, Content-Type, Content-Encoding, Accept, X-Request-ID, If-Match, "
    "If-None-Match, Range, traceparent, tracestate";
// kCorsExposeHeaders lists the response headers scripts on an allowed origin may read.
inline constexpr std::string_view kCorsExposeHeaders =
    "X-Request-ID, Location, ETag, Retry-After, RateLimit, RateLimit-Policy, Deprecation, Sunset, Link, "
    "Content-Disposition, Content-Range, Accept-Ranges";
// kCorsMaxAge is how long (seconds) a browser may cache a preflight answer; browsers cap it (Chromium: 2 h).
inline constexpr std::string_view kCorsMaxAge = "600";

// CorsPolicy answers "may this origin read our responses?".
class CorsPolicy {
 public:
  // CorsPolicy takes CORS_ORIGINS' entries ("*" allows any origin, without credentials).
  explicit CorsPolicy(std::vector<std::string> origins);

  // allow_origin returns the Access-Control-Allow-Origin value for a request
  // from `origin` ("*" or the matching configured origin), or std::nullopt.
  std::optional<std::string_view> allow_origin(std::string_view origin) const;
  bool enabled() const { return any_ || !origins_.empty(); }

 private:
  std::vector<std::string> origins_;
  bool any_ = false;
};

// is_preflight says whether `request` is a CORS preflight: OPTIONS with
// Origin and Access-Control-Request-Method.
bool is_preflight(const http::Request& request);

}  // namespace keel::edge
