#include "keel/app/stages.hpp"

namespace keel::app {
namespace {

// The API never serves markup, so its policy forbids everything; pages that
// need more (the docs UI) set their own, narrower-than-default, policy.
constexpr std::string_view kApiContentSecurityPolicy =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
constexpr std::string_view kPermissionsPolicy =
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=()";
constexpr std::string_view kStrictTransportSecurity = "max-age=63072000; includeSubDomains";

class SecurityHeadersStage final : public http::Middleware {
 public:
  std::string_view name() const override { return "security_headers"; }

  http::Response handle(http::Request& request, const http::Next& next) const override {
    auto response = next(request);
    auto& headers = response.headers;
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("X-Frame-Options", "DENY");
    headers.set("Referrer-Policy", "no-referrer");
    headers.set("Permissions-Policy", std::string(kPermissionsPolicy));
    headers.set("Cross-Origin-Opener-Policy", "same-origin");
    headers.set("Cross-Origin-Resource-Policy", "same-origin");
    if (!headers.contains("Content-Security-Policy")) {
      headers.set("Content-Security-Policy", std::string(kApiContentSecurityPolicy));
    }
    // API answers are per-caller and often authenticated: never cache unless
    // the handler chose a policy itself (e.g. static docs assets).
    if (!headers.contains("Cache-Control")) headers.set("Cache-Control", "no-store");
    if (request.context.secure) {
      headers.set("Strict-Transport-Security", std::string(kStrictTransportSecurity));
    }
    return response;
  }
};

}  // namespace

std::unique_ptr<http::Middleware> make_security_headers_stage() {
  return std::make_unique<SecurityHeadersStage>();
}

}  // namespace keel::app
