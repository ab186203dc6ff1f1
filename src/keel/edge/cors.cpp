#include "keel/edge/cors.hpp"

#include <algorithm>

namespace keel::edge {

CorsPolicy::CorsPolicy(std::vector<std::string> origins) {
  for (auto& origin : origins) {
    if (origin == "*") {
      any_ = true;
    } else {
      origins_.push_back(std::move(origin));
    }
  }
}

std::optional<std::string_view> CorsPolicy::allow_origin(std::string_view origin) const {
  // "null" (sandboxed frames, file: pages) is never matched, not even by "*":
  // it is an origin any page can claim.
  if (origin.empty() || origin == "null") return std::nullopt;
  const auto it = std::find(origins_.begin(), origins_.end(), origin);
  if (it != origins_.end()) return std::string_view(*it);
  if (any_) return std::string_view("*");
  return std::nullopt;
}

bool is_preflight(const http::Request& request) {
  return request.method == http::Method::options && request.headers.contains("Origin") &&
         request.headers.contains("Access-Control-Request-Method");
}

}  // namespace keel::edge
