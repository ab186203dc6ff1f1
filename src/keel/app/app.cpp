#include "keel/app/app.hpp"

#include <boost/json.hpp>

#include <algorithm>

#include "keel/app/content_negotiation.hpp"
#include "keel/app/problem.hpp"
#include "keel/app/stages.hpp"
#include "keel/observability/logger.hpp"
#include "keel/observability/http_metrics.hpp"
#include "keel/observability/metrics.hpp"
#include "keel/observability/process_metrics.hpp"
#include "keel/security/constant_time.hpp"

namespace keel::app {
namespace {

using errors::ApiError;
using errors::ErrorCode;

bool carries_body(const http::Request& request) {
  return !request.body.empty() || request.headers.contains("Content-Type");
}

// The pipeline, outermost first. Order matters; each line says why.
http::Pipeline build_pipeline(observability::HttpMetrics& http_metrics) {
  http::Pipeline pipeline;
  // First, so every response and every log line of the request has its id.
  pipeline.add(make_request_id_stage());
  // Outside the catch-all, so failed requests are timed, counted and logged too.
  pipeline.add(make_access_log_stage(http_metrics));
  // Outside the catch-all, so a 500 still carries the security headers.
  pipeline.add(make_security_headers_stage());
  // Everything below may throw: ApiError → its problem, anything else → logged 500.
  pipeline.add(make_error_stage());
  return pipeline;
}

}  // namespace

App::App(config::Settings settings)
    : settings_(std::move(settings)),
      metrics_(std::make_unique<observability::MetricsRegistry>()),
      http_metrics_(std::make_unique<observability::HttpMetrics>(*metrics_)) {
  observability::register_process_metrics(*metrics_);
  observability::register_build_info(*metrics_, KEEL_VERSION, KEEL_GIT_COMMIT);
  pipeline_ = build_pipeline(*http_metrics_);
  pipeline_.terminal([this](http::Request& request) { return dispatch(request); });
  add_operations_routes();
}

App::~App() = default;

void App::add_readiness_check(std::string name, ReadinessCheck check) {
  readiness_checks_.emplace_back(std::move(name), std::move(check));
}

http::ServerOptions App::server_options() const {
  http::ServerOptions options;
  options.host = settings_.host;
  options.port = settings_.port;
  options.io_threads = static_cast<unsigned>(settings_.workers);
  options.handler_threads = static_cast<unsigned>(settings_.workers);
  options.max_header_bytes = static_cast<std::size_t>(settings_.max_header_bytes);
  options.max_target_bytes = static_cast<std::size_t>(settings_.max_uri_bytes);
  options.max_connections = static_cast<std::size_t>(settings_.max_connections);
  options.read_timeout = std::chrono::milliseconds(settings_.read_timeout_ms);
  options.idle_timeout = std::chrono::milliseconds(settings_.idle_timeout_ms);
  options.handler_timeout = std::chrono::milliseconds(settings_.handler_timeout_ms);
  options.shutdown_grace = std::chrono::milliseconds(settings_.shutdown_grace_ms);
  return options;
}

http::RequestPlan App::plan(http::Request& head) const {
  http::RequestPlan request_plan{static_cast<std::size_t>(settings_.max_body_bytes), http::Execution::inline_io};
  if (head.context.early_error) return request_plan;
  auto match = router_.match(head.method, head.path);
  if (match.outcome != http::RouteMatch::Outcome::found) return request_plan;
  head.context.route = match.route;
  head.context.path_params = std::move(match.params);
  if (match.route->body_limit != 0) request_plan.body_limit = match.route->body_limit;
  request_plan.execution = match.route->execution;
  return request_plan;
}

http::Response App::handle(http::Request& request) const noexcept {
  try {
    return pipeline_.run(request);
  } catch (...) {
    // Only reachable if a stage outside the catch-all throws (e.g. bad_alloc
    // while logging): answer something valid rather than drop the connection.
    http::Response response = http::Response::json(
        500, R"({"type":"urn:keel:problem:internal_error","title":"Internal Server Error","status":500,"code":"internal_error"})");
    response.headers.set("Content-Type", "application/problem+json");
    return response;
  }
}

// dispatch is the pipeline's terminal stage: routing outcomes, media types, the handler.
http::Response App::dispatch(http::Request& request) const {
  auto& context = request.context;
  if (context.early_error) throw ApiError(*context.early_error, context.early_error_detail);

  if (context.route == nullptr) {
    auto match = router_.match(request.method, request.path);
    switch (match.outcome) {
      case http::RouteMatch::Outcome::found:
        context.route = match.route;
        context.path_params = std::move(match.params);
        break;
      case http::RouteMatch::Outcome::not_found:
        throw ApiError(ErrorCode::not_found, "No resource at this path.");
      case http::RouteMatch::Outcome::method_not_allowed:
        if (request.method == http::Method::options) {
          auto response = http::Response::no_content();
          response.headers.set("Allow", match.allow + ", OPTIONS");
          return response;
        }
        throw ApiError(ErrorCode::method_not_allowed,
                       "This path does not support " + request.method_name + ".")
            .with_header("Allow", match.allow);
      case http::RouteMatch::Outcome::invalid_param:
        throw ApiError(ErrorCode::validation_error, "A path parameter is invalid.",
                       std::move(match.param_errors));
    }
  }

  const auto& route = *context.route;
  if (!route.consumes.empty() && carries_body(request)) {
    const auto content_type = request.content_type();
    if (std::find(route.consumes.begin(), route.consumes.end(), content_type) == route.consumes.end()) {
      std::string accepted;
      for (const auto& media_type : route.consumes) accepted += (accepted.empty() ? "" : ", ") + media_type;
      throw ApiError(ErrorCode::unsupported_media_type, "This route accepts " + accepted + ".")
          .with_header("Accept-Post", accepted);
    }
  }
  if (!accepts_any(request.headers.get("Accept"), route.produces)) {
    std::string produced;
    for (const auto& media_type : route.produces) produced += (produced.empty() ? "" : ", ") + media_type;
    throw ApiError(ErrorCode::not_acceptable, "This route can only produce " + produced + ".");
  }

  auto response = route.handler(request);
  if (route.deprecated) {
    response.headers.set("Deprecation", "true");
    if (!route.sunset.empty()) response.headers.set("Sunset", route.sunset);
  }
  return response;
}

void App::add_operations_routes() {
  router_.add(http::Method::get, "/health",
              [](http::Request&) { return http::Response::json(200, R"({"status":"ok"})"); })
      .named("health")
      .tagged("operations")
      .summarized("Liveness: the process is up (no dependency checks).")
      .runs_inline();
  router_.add(http::Method::get, "/readiness", [this](http::Request&) { return readiness(); })
      .named("readiness")
      .tagged("operations")
      .summarized("Readiness: dependencies answer and the server is not draining.");
  if (settings_.metrics_enabled) {
    router_.add(http::Method::get, "/metrics",
                [this](http::Request& request) { return metrics_endpoint(request); })
        .named("metrics")
        .tagged("operations")
        .summarized("Prometheus metrics (text exposition format 0.0.4).")
        .produces_only({"text/plain"})
        .runs_inline();
  }
}

http::Response App::readiness() const {
  boost::json::object checks;
  bool ready = !draining();
  if (draining()) checks["server"] = "draining";
  for (const auto& [name, check] : readiness_checks_) {
    ReadinessResult result;
    try {
      result = check();
    } catch (const std::exception&) {
      result = {false, "check failed"};
    }
    ready = ready && result.ok;
    checks[name] = result.reason;
  }
  boost::json::object body{{"status", ready ? "ok" : "unavailable"}, {"checks", std::move(checks)}};
  auto response = http::Response::json(ready ? 200 : 503, boost::json::serialize(body));
  if (!ready) response.headers.set("Retry-After", "5");
  return response;
}

http::Response App::metrics_endpoint(const http::Request& request) const {
  if (settings_.metrics_token) {
    const auto authorization = request.headers.get("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (!authorization) {
      throw ApiError(ErrorCode::unauthorized, "Metrics require a bearer token.")
          .with_header("WWW-Authenticate", "Bearer realm=\"metrics\"");
    }
    const bool is_bearer = authorization->size() > kBearer.size() &&
                           http::iequals(authorization->substr(0, kBearer.size()), kBearer);
    if (!is_bearer ||
        !security::constant_time_equal(authorization->substr(kBearer.size()), *settings_.metrics_token)) {
      throw ApiError(ErrorCode::invalid_token, "The metrics token is not valid.")
          .with_header("WWW-Authenticate", "Bearer realm=\"metrics\", error=\"invalid_token\"");
    }
  }
  return http::Response::text(200, metrics_->render(), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace keel::app
