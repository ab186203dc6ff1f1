#include "keel/edge/stages.hpp"
#include "keel/errors/api_error.hpp"

namespace keel::edge {
namespace {

// is_probe_path: kubelet and load-balancer probes send Host = the pod or
// instance address, which operators cannot list in advance; these two
// answers do not depend on the host, so they need no Host check.
bool is_probe_path(std::string_view path) { return path == "/health" || path == "/readiness"; }

class TrustedHostStage final : public http::Middleware {
 public:
  explicit TrustedHostStage(TrustedHosts hosts) : hosts_(std::move(hosts)) {}

  std::string_view name() const override { return "trusted_host"; }

  http::Response handle(http::Request& request, const http::Next& next) const override {
    // A request the connection already refused keeps its own answer.
    if (request.context.early_error || is_probe_path(request.path)) return next(request);
    const auto host = request.headers.get("Host");
    if (!host || !hosts_.allows(*host)) {
      throw errors::ApiError(errors::ErrorCode::untrusted_host,
                             "The Host header does not name a host this server answers for.");
    }
    return next(request);
  }

 private:
  TrustedHosts hosts_;
};

class HttpsStage final : public http::Middleware {
 public:
  std::string_view name() const override { return "https"; }

  http::Response handle(http::Request& request, const http::Next& next) const override {
    if (request.context.secure || request.context.early_error || is_probe_path(request.path))
      return next(request);
    if (request.method != http::Method::get && request.method != http::Method::head) {
      throw errors::ApiError(
          errors::ErrorCode::https_required,
          "This server only accepts this request over HTTPS; resend it to the https:// URL.");
    }
    const std::string_view host = host_without_port(request.headers.get("Host").value_or(""));
    if (host.empty()) {
      throw errors::ApiError(errors::ErrorCode::https_required, "This server only answers over HTTPS.");
    }
    // The HTTPS port is the default one: plain HTTP on another port is either
    // a dev setup or a proxy's back end, neither of which has a public TLS port to name.
    std::string location;
    const std::string_view target = origin_form(request.target);
    location.reserve(8 + host.size() + target.size());
    location.append("https://").append(host).append(target);
    http::Response response;
    response.status = 308;  // unlike 301, keeps the method and body on retry
    response.headers.set("Location", std::move(location));
    return response;
  }

 private:
  // origin_form returns "/path?query" of an origin-form or absolute-form target.
  static std::string_view origin_form(std::string_view target) {
    if (target.starts_with('/')) return target;
    const auto scheme_end = target.find("://");
    if (scheme_end == std::string_view::npos) return "/";
    const auto path = target.find_first_of("/?", scheme_end + 3);
    if (path == std::string_view::npos) return "/";
    return target[path] == '/' ? target.substr(path) : std::string_view("/");
  }
};

}  // namespace

std::unique_ptr<http::Middleware> make_trusted_host_stage(TrustedHosts hosts) {
  return std::make_unique<TrustedHostStage>(std::move(hosts));
}

std::unique_ptr<http::Middleware> make_https_stage() { return std::make_unique<HttpsStage>(); }

}  // namespace keel::edge
