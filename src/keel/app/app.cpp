#include "keel/app/app.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdlib>

#include "keel/app/content_negotiation.hpp"
#include "keel/app/problem.hpp"
#include "keel/app/stages.hpp"
#include "keel/edge/backends.hpp"
#include "keel/edge/ip_network.hpp"
#include "keel/edge/stages.hpp"
#include "keel/observability/logger.hpp"
#include "keel/openapi/describe.hpp"
#include "keel/openapi/docs_site.hpp"
#include "keel/observability/http_metrics.hpp"
#include "keel/observability/metrics.hpp"
#include "keel/observability/process_metrics.hpp"
#include "keel/edge/shared_store.hpp"
#include "keel/security/access_token.hpp"
#include "keel/security/constant_time.hpp"

namespace keel::app {
namespace {

using errors::ApiError;
using errors::ErrorCode;

// kMinHandlerThreads is the handler pool's floor (see server_options).
constexpr int kMinHandlerThreads = 32;

bool carries_body(const http::Request& request) {
  return !request.body.empty() || request.headers.contains("Content-Type");
}

// The pipeline, outermost first. Order matters; each line says why. Edge
// stages whose setting is off are left out, so they cost nothing.
http::Pipeline build_pipeline(const config::Settings& settings, observability::MetricsRegistry& metrics,
                              observability::HttpMetrics& http_metrics, std::shared_ptr<edge::RedisClient> redis,
                              const security::AccessTokenCodec& tokens, edge::SharedStore& store,
                              const AuthHooks& auth_hooks) {
  http::Pipeline pipeline;
  // First, so every response and every log line of the request has its id.
  pipeline.add(make_request_id_stage());
  // Before anything reads client_ip or secure (access log, HSTS, rate-limit keys, HTTPS redirect).
  if (!settings.trusted_proxies.empty()) pipeline.add(edge::make_forwarded_stage(settings.trusted_proxies));
  // Outside the catch-all, so failed requests are timed, counted and logged too.
  pipeline.add(make_access_log_stage(http_metrics));
  // Outside the catch-all, so a 500 still carries the security headers.
  pipeline.add(make_security_headers_stage());
  // Outside the catch-all so error answers carry CORS headers too; answers preflights before routing does.
  if (!settings.cors_origins.empty()) pipeline.add(edge::make_cors_stage(edge::CorsPolicy(settings.cors_origins)));
  // Outside the catch-all so large problem bodies shrink too; inside the access log, which counts wire bytes.
  pipeline.add(edge::make_compression_stage());
  // Outside the catch-all, so every 503 (overload, caps, timeouts) says when to retry.
  pipeline.add(edge::make_retry_after_stage());
  // Everything below may throw: ApiError → its problem, anything else → logged 500.
  pipeline.add(make_error_stage());
  // First refusal: nothing (the HTTPS redirect's Location included) may use an untrusted Host.
  edge::TrustedHosts trusted_hosts(settings.trusted_hosts);
  if (!settings.trusted_hosts.empty() && !trusted_hosts.allows_any()) {
    pipeline.add(edge::make_trusted_host_stage(std::move(trusted_hosts)));
  }
  // Before any work is spent on a plain-HTTP request that will only be redirected or refused.
  if (settings.force_https) pipeline.add(edge::make_https_stage());
  // Above the rate limiter, so callers with a valid token get per-user budgets; costs one HMAC.
  pipeline.add(make_authentication_stage(tokens));
  // Before handler work.
  if (settings.rate_limit_enabled) {
    pipeline.add(edge::make_rate_limit_stage(edge::make_rate_limiter(std::move(redis), metrics),
                                             edge::rate_limit_policies(settings), metrics));
  }
  // Below the rate limiter: API-key lookups and session checks reach the database.
  pipeline.add(make_authorization_stage(store, auth_hooks));
  // Last: only requests that passed every check pay for inflating a gzip body.
  pipeline.add(edge::make_decompression_stage(static_cast<std::size_t>(settings.max_body_bytes)));
  return pipeline;
}

}  // namespace

App::App(config::Settings settings)
    : settings_(std::move(settings)),
      metrics_(std::make_unique<observability::MetricsRegistry>()),
      http_metrics_(std::make_unique<observability::HttpMetrics>(*metrics_)) {
  observability::register_process_metrics(*metrics_);
  observability::register_build_info(*metrics_, KEEL_VERSION, KEEL_GIT_COMMIT);
  metrics_->callback("keel_log_dropped_lines_total", "Log lines dropped because stdout could not keep up.",
                     observability::MetricType::counter)
      .set({}, [] { return static_cast<double>(observability::logger().dropped_lines()); });
  auto redis = edge::make_redis_client(settings_);
  if (redis) {
    add_readiness_check("redis", [redis] {
      return redis->ping() ? ReadinessResult{} : ReadinessResult{false, "unavailable"};
    });
  }
  access_tokens_ = std::make_unique<security::AccessTokenCodec>(security::AccessTokenConfig{
      .secret = settings_.secret_key,
      .issuer = std::string(kTokenIssuer),
      .audience = std::string(kTokenAudience),
      .ttl = std::chrono::seconds(settings_.access_token_ttl),
  });
  shared_store_ = edge::make_shared_store(redis);
  pipeline_ = build_pipeline(settings_, *metrics_, *http_metrics_, std::move(redis), *access_tokens_,
                             *shared_store_, auth_hooks_);
  pipeline_.terminal([this](http::Request& request) { return dispatch(request); });
  add_operations_routes();
  if (settings_.docs_enabled) {
    // The docs UI comes from npm (package-lock.json); without it /docs and /redoc answer 503.
    // KEEL_DOCS_ASSETS is an install path, not a setting; read once, before any thread starts.
    const char* assets_override = std::getenv("KEEL_DOCS_ASSETS");  // NOLINT(concurrency-mt-unsafe)
    auto assets = openapi::find_assets_dir(assets_override, openapi::executable_path());
    if (!assets) {
      observability::logger().warning("docs UI assets not found: /docs and /redoc answer 503",
                                      {{"hint", "run `npm ci` in the source tree, or set KEEL_DOCS_ASSETS"}});
    }
    openapi::add_docs_routes(router_, {.info = {}, .assets_dir = std::move(assets)});
  }
}

App::~App() = default;

void App::set_auth_hooks(AuthHooks hooks) { auth_hooks_ = std::move(hooks); }

bool App::revoke_access_token(std::string_view token_id, std::int64_t expires_at) const {
  // Kept until the token would expire anyway (plus the verifier's leeway), then it is harmless.
  const auto remaining = expires_at - security::unix_now() + access_tokens_->config().leeway.count();
  if (remaining <= 0) return true;
  return shared_store_->put(denylist_key(token_id), "1", std::chrono::seconds(remaining));
}

void App::add_readiness_check(std::string name, ReadinessCheck check) {
  readiness_checks_.emplace_back(std::move(name), std::move(check));
}

http::ServerOptions App::server_options() const {
  http::ServerOptions options;
  options.host = settings_.host;
  options.port = settings_.port;
  options.io_threads = static_cast<unsigned>(settings_.workers);
  // Handlers mostly wait on the database: at least one thread per pooled
  // connection keeps the pool busy, and more threads than connections let
  // SQLite writes queue into large batches (keel/db/write_batch.hpp) instead
  // of waiting for a thread. A waiting thread costs a stack and nothing else.
  options.handler_threads = static_cast<unsigned>(
      std::max({settings_.workers, settings_.database_pool_size, kMinHandlerThreads}));
  options.max_header_bytes = static_cast<std::size_t>(settings_.max_header_bytes);
  options.max_target_bytes = static_cast<std::size_t>(settings_.max_uri_bytes);
  options.max_connections = static_cast<std::size_t>(settings_.max_connections);
  options.max_connections_per_client = static_cast<std::size_t>(settings_.max_connections_per_client);
  options.max_in_flight = static_cast<std::size_t>(settings_.max_in_flight);
  if (auto proxies = edge::IpNetworks::parse(settings_.trusted_proxies); proxies && !proxies->empty()) {
    options.connection_cap_exempt = [proxies = std::move(*proxies)](const std::string& peer) {
      return proxies.contains(std::string_view(peer));
    };
  }
  options.tls_cert_file = settings_.tls_cert_file;
  options.tls_key_file = settings_.tls_key_file;
  options.read_timeout = std::chrono::milliseconds(settings_.read_timeout_ms);
  options.idle_timeout = std::chrono::milliseconds(settings_.idle_timeout_ms);
  options.handler_timeout = std::chrono::milliseconds(settings_.handler_timeout_ms);
  options.shutdown_grace = std::chrono::milliseconds(settings_.shutdown_grace_ms);
  return options;
}

http::RequestPlan App::plan(http::Request& head) const {
  http::RequestPlan request_plan{.body_limit = static_cast<std::size_t>(settings_.max_body_bytes),
                                 .execution = http::Execution::inline_io,
                                 .body_spool_dir = {}};
  if (head.context.early_error) return request_plan;
  auto match = router_.match(head.method, head.path);
  if (match.outcome != http::RouteMatch::Outcome::found) return request_plan;
  head.context.route = match.route;
  head.context.path_params = std::move(match.params);
  if (match.route->body_limit != 0) request_plan.body_limit = match.route->body_limit;
  request_plan.execution = match.route->execution;
  if (match.route->spools_body) {
    // An upload's body is only accepted from a caller who may send it: the
    // token is checked from the head (an API key is looked up later, after
    // the body, since that needs the database and this is an I/O thread).
    if (match.route->authenticated && !head.headers.contains("X-API-Key")) {
      const auto token = bearer_token(head);
      if (!token) {
        head.context.early_error = ErrorCode::unauthorized;
        head.context.early_error_detail = "This route requires a bearer token or an API key.";
      } else if (access_tokens_->verify(*token, security::unix_now()).problem != security::TokenProblem::none) {
        head.context.early_error = ErrorCode::invalid_token;
        head.context.early_error_detail = "The access token is invalid or expired.";
      }
    }
    request_plan.body_spool_dir = settings_.upload_dir;
  }
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
  if (context.early_error) {
    ApiError error(*context.early_error, context.early_error_detail);
    if (*context.early_error == ErrorCode::unauthorized) error.with_header("WWW-Authenticate", "Bearer");
    if (*context.early_error == ErrorCode::invalid_token) {
      error.with_header("WWW-Authenticate", R"(Bearer error="invalid_token")");
    }
    throw error;
  }

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
    response.headers.set("Deprecation",
                         route.deprecated_since != 0 ? "@" + std::to_string(route.deprecated_since) : "true");
    if (!route.sunset.empty()) response.headers.set("Sunset", route.sunset);
  }
  return response;
}

void App::add_operations_routes() {
  namespace doc = openapi;
  static constexpr http::Tag kOperations{
      "operations", "Liveness, readiness, metrics and this API description: outside /api/v1, for tools."};
  static constexpr std::string_view kReadinessSchema = R"({"type":"object","required":["status","checks"],
    "properties":{"status":{"enum":["ok","unavailable"]},
    "checks":{"type":"object","additionalProperties":{"type":"string"},
      "description":"Each dependency's answer: ok, or a short reason (server: draining)."}}})";
  router_.add(http::Method::get, "/health",
              [](http::Request&) { return http::Response::json(200, R"({"status":"ok"})"); })
      .named("health")
      .tagged(kOperations)
      .summarized("Liveness: the process is up (no dependency checks).")
      .responds(doc::response(200, "The process answers.",
                              doc::json_schema_body(R"({"type":"object","required":["status"],
                                  "properties":{"status":{"const":"ok"}}})")
                                  .with_example(R"({"status":"ok"})")))
      .exempt_from_rate_limit()
      .runs_inline();
  router_.add(http::Method::get, "/readiness", [this](http::Request&) { return readiness(); })
      .named("readiness")
      .tagged(kOperations)
      .summarized("Readiness: dependencies answer and the server is not draining.")
      .responds(doc::response(200, "Ready: every check answered ok.",
                              doc::json_schema_body(std::string(kReadinessSchema))
                                  .with_example(R"({"status":"ok","checks":{"database":"ok"}})")))
      .responds(doc::response(503, "Not ready: a dependency fails, or the server drains.",
                              doc::json_schema_body(std::string(kReadinessSchema))
                                  .with_example(R"({"status":"unavailable","checks":{"server":"draining"}})"))
                    .with_header(doc::response_header("Retry-After", "Seconds to wait before asking again.")))
      .exempt_from_rate_limit();
  if (settings_.metrics_enabled) {
    auto& metrics = router_.add(http::Method::get, "/metrics",
                                [this](http::Request& request) { return metrics_endpoint(request); })
                        .named("metrics")
                        .tagged(kOperations)
                        .summarized("Prometheus metrics (text exposition format 0.0.4).")
                        .produces_only({"text/plain"})
                        .responds(doc::response(200, "The metrics.",
                                                doc::text("text/plain", "Prometheus text format 0.0.4.")))
                        .exempt_from_rate_limit()
                        .runs_inline();
    if (settings_.metrics_token) metrics.secured_by("MetricsToken");
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
    if (!request.headers.get("Authorization")) {
      throw ApiError(ErrorCode::unauthorized, "Metrics require a bearer token.")
          .with_header("WWW-Authenticate", "Bearer realm=\"metrics\"");
    }
    const auto token = bearer_token(request);
    if (!token || !security::constant_time_equal(*token, *settings_.metrics_token)) {
      throw ApiError(ErrorCode::invalid_token, "The metrics token is not valid.")
          .with_header("WWW-Authenticate", "Bearer realm=\"metrics\", error=\"invalid_token\"");
    }
  }
  return http::Response::text(200, metrics_->render(), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace keel::app
