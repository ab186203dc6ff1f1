#include <chrono>

#include "keel/app/stages.hpp"
#include "keel/observability/logger.hpp"
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
    metrics_.in_flight_add(1);
    auto response = next(request);
    metrics_.in_flight_add(-1);

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
          {"duration_ms", seconds * 1000.0},
          {"client_ip", std::string_view(context.client_ip)},
          {"user_id", std::string_view(context.user_id)},
          {"bytes_out", static_cast<std::int64_t>(response.body.size())},
      };
      log.log(level, "request", fields);
    }
    return response;
  }

 private:
  observability::HttpMetrics& metrics_;
};

}  // namespace

std::unique_ptr<http::Middleware> make_access_log_stage(observability::HttpMetrics& metrics) {
  return std::make_unique<AccessLogStage>(metrics);
}

}  // namespace keel::app
