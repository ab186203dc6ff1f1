#include "keel/edge/stages.hpp"

namespace keel::edge {
namespace {

class CorsStage final : public http::Middleware {
 public:
  explicit CorsStage(CorsPolicy policy) : policy_(std::move(policy)) {}

  std::string_view name() const override { return "cors"; }

  http::Response handle(http::Request& request, const http::Next& next) const override {
    const auto origin = request.headers.get("Origin");
    // An empty view means "not allowed" (a plain view, not an optional: g++ 12
    // at -O2 reports a false maybe-uninitialized on optional<string_view>).
    const std::string_view allowed =
        origin ? policy_.allow_origin(*origin).value_or(std::string_view{}) : std::string_view{};
    if (!allowed.empty() && is_preflight(request)) return preflight(allowed);

    auto response = next(request);
    // Caches must key on Origin: the same URL answers differently per origin.
    response.headers.add("Vary", "Origin");
    if (!allowed.empty()) {
      response.headers.set("Access-Control-Allow-Origin", std::string(allowed));
      response.headers.set("Access-Control-Expose-Headers", std::string(kCorsExposeHeaders));
    }
    return response;
  }

 private:
  // preflight answers for an allowed origin; the browser checks the
  // requested method and headers against these lists itself.
  static http::Response preflight(std::string_view allowed_origin) {
    auto response = http::Response::no_content();
    auto& headers = response.headers;
    headers.set("Access-Control-Allow-Origin", std::string(allowed_origin));
    headers.set("Access-Control-Allow-Methods", std::string(kCorsAllowMethods));
    headers.set("Access-Control-Allow-Headers", std::string(kCorsAllowHeaders));
    headers.set("Access-Control-Max-Age", std::string(kCorsMaxAge));
    headers.add("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
    return response;
  }

  CorsPolicy policy_;
};

}  // namespace

std::unique_ptr<http::Middleware> make_cors_stage(CorsPolicy policy) {
  return std::make_unique<CorsStage>(std::move(policy));
}

}  // namespace keel::edge
