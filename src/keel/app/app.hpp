// keel/app/app.hpp — a Keel application: settings, routes, pipeline, ops endpoints.
//
// App is the framework's front door. It owns the router and the middleware
// pipeline, registers the operations endpoints (/health, /readiness,
// /metrics), and is the server's Dispatcher. A service adds its routes, then
// serves:
//
//   keel::app::App app(settings);
//   service::register_routes(app);           // app.router().add(...)
//   app.add_readiness_check("database", [&] { return db.ping(); });
//   keel::app::serve(app);                   // blocks until SIGTERM and the drain
//
// Thread-safety: configure (routes, checks) from one thread before serving;
// afterwards the router and pipeline are read-only and `handle` may run on
// any number of threads. The draining flag is atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "keel/app/auth.hpp"
#include "keel/config/settings.hpp"
#include "keel/http/middleware.hpp"
#include "keel/http/router.hpp"
#include "keel/http/server.hpp"

namespace keel::observability {
class MetricsRegistry;
class HttpMetrics;
}  // namespace keel::observability
namespace keel::security {
class AccessTokenCodec;
}  // namespace keel::security
namespace keel::edge {
class SharedStore;
}  // namespace keel::edge

namespace keel::app {

// The `iss` and `aud` of every access token this server issues and accepts.
inline constexpr std::string_view kTokenIssuer = "keel";
inline constexpr std::string_view kTokenAudience = "keel-api";

// ReadinessResult is one readiness check's answer: ok, or a short reason
// (shown in /readiness, so it must not contain secrets or internals).
struct ReadinessResult {
  bool ok = true;
  std::string reason = "ok";
};
using ReadinessCheck = std::function<ReadinessResult()>;

class App final : public http::Dispatcher {
 public:
  explicit App(config::Settings settings);
  ~App() override;
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  const config::Settings& settings() const { return settings_; }
  http::Router& router() { return router_; }
  const http::Router& router() const { return router_; }
  observability::MetricsRegistry& metrics() { return *metrics_; }

  // access_tokens issues and verifies access tokens (SECRET_KEY, ACCESS_TOKEN_TTL).
  const security::AccessTokenCodec& access_tokens() const { return *access_tokens_; }
  // shared_store is state every replica sees (Redis when REDIS_URL is set, else memory):
  // the token denylist, login throttling.
  edge::SharedStore& shared_store() const { return *shared_store_; }
  // set_auth_hooks installs the service's API-key and session checks (before serving).
  void set_auth_hooks(AuthHooks hooks);
  // revoke_access_token denylists token `token_id` until `expires_at` (Unix
  // seconds); false when the store failed (the caller answers 503).
  bool revoke_access_token(std::string_view token_id, std::int64_t expires_at) const;

  // add_readiness_check registers a dependency /readiness must see healthy.
  void add_readiness_check(std::string name, ReadinessCheck check);
  // set_draining makes /readiness answer 503 (called when shutdown begins).
  void set_draining() { draining_.store(true, std::memory_order_relaxed); }
  bool draining() const { return draining_.load(std::memory_order_relaxed); }

  // server_options derives the HTTP server's settings from the configuration.
  http::ServerOptions server_options() const;

  http::RequestPlan plan(http::Request& head) const override;
  http::Response handle(http::Request& request) const noexcept override;

 private:
  http::Response dispatch(http::Request& request) const;
  void add_operations_routes();
  http::Response readiness() const;
  http::Response metrics_endpoint(const http::Request& request) const;

  config::Settings settings_;
  http::Router router_;
  http::Pipeline pipeline_;
  std::unique_ptr<observability::MetricsRegistry> metrics_;
  std::unique_ptr<observability::HttpMetrics> http_metrics_;
  std::unique_ptr<security::AccessTokenCodec> access_tokens_;
  std::unique_ptr<edge::SharedStore> shared_store_;
  AuthHooks auth_hooks_;
  std::vector<std::pair<std::string, ReadinessCheck>> readiness_checks_;
  std::atomic<bool> draining_{false};
};

// serve listens on the configured address and serves `app` until SIGTERM or
// SIGINT, then drains; returns the process exit code (0 after a clean drain).
int serve(App& app);

}  // namespace keel::app
