#include <chrono>
#include <cmath>

#include "keel/app/stages.hpp"
#include "keel/http/route.hpp"
#include "keel/observability/logger.hpp"
#include "keel/observability/http_metrics.hpp"
#include "keel/observability/metrics.hpp"
#include "keel/observability/redaction.hpp"

namespace keel::app {
namespace {

constexpr std::string_view kUnmatchedRoute = "unmatched";

class AccessLogStage final : public http::Middleware {
 public:
  explicit AccessLogStage(observability::HttpMetrics& metrics) : metrics_(metrics) {}

  std::string_view name() const override { return "access_log"; }

  http::Response handle(http::Request& request, const http::Next& next) const override {
    auto response = counted_in_flight(request, next);

    const auto& context = request.context;
    const auto elapsed = std::chrono::steady_clock::now() - context.received_at;
    const double seconds = std::chrono::duration<double>(elapsed).count();
    // Label by template, never by raw path: raw paths would explode the series count.
    const std::string_view route = context.route ? std::string_view(context.route->path_template) : kUnmatchedRoute;
    const std::string_view method = request.method == http::Method::unknown ? std::string_view("OTHER")
                                                                            : http::to_string(request.method);
    metrics_.observe(method, route, response.status, seconds);

    auto& log = observability::logger();
    const auto level = response.status >= 500 ? observability::LogLevel::error : observability::LogLevel::info;
    if (log.enabled(level)) {
      const observability::LogField fields[] = {
          {"request_id", std::string_view(context.request_id)},
          {"trace_id", std::string_view(context.trace_id)},
          {"method", std::string_view(request.method_name)},
          {"route", route},
          {"path", std::string_view(request.path)},
          {"status", response.status},
          {"duration_ms", std::round(seconds * 1e6) / 1e3},  // ms, µs precision
          {"client_ip", std::string_view(context.client_ip)},
          {"user_id", std::string_view(context.user_id)},
          {"bytes_out", static_cast<std::int64_t>(response.body_size())},
      };
      log.log(level, "request", fields);
    }
    return response;
  }

 private:
  http::Response counted_in_flight(http::Request& request, const http::Next& next) const {
    struct InFlight {
      observability::Gauge& gauge;
      explicit InFlight(observability::Gauge& g) : gauge(g) { gauge.inc(); }
      ~InFlight() { gauge.dec(); }
      InFlight(const InFlight&) = delete;
      InFlight& operator=(const InFlight&) = delete;
    } in_flight(metrics_.in_flight());
    return next(request);
  }

  observability::HttpMetrics& metrics_;
};

}  // namespace

std::unique_ptr<http::Middleware> make_access_log_stage(observability::HttpMetrics& metrics) {
  return std::make_unique<AccessLogStage>(metrics);
}

}  // namespace keel::app
