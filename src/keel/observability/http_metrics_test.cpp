#include "keel/observability/http_metrics.hpp"

#include <gtest/gtest.h>

namespace keel::observability {
namespace {

TEST(HttpMetrics, CountsRequestsAndDurationsByRouteTemplate) {
  MetricsRegistry registry;
  HttpMetrics http(registry);
  http.in_flight().inc();
  http.in_flight().inc();
  http.in_flight().dec();
  http.observe("GET", "/api/v1/items/{id}", 200, 0.004);
  http.observe("GET", "/api/v1/items/{id}", 200, 0.02);
  http.observe("GET", "/api/v1/items/{id}", 404, 0.001);
  const std::string out = registry.render();
  EXPECT_NE(out.find("# TYPE http_requests_total counter\n"
                     "http_requests_total{method=\"GET\",route=\"/api/v1/items/{id}\",status=\"200\"} 2\n"
                     "http_requests_total{method=\"GET\",route=\"/api/v1/items/{id}\",status=\"404\"} 1\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/items/"
                     "{id}\",le=\"0.005\"} 2\n"),
            std::string::npos);
  EXPECT_NE(out.find("http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/items/{id}\"} 3\n"),
            std::string::npos);
  EXPECT_NE(out.find("# TYPE http_requests_in_flight gauge\nhttp_requests_in_flight 1\n"), std::string::npos);
}

TEST(HttpMetrics, UnknownMethodsShareOneLabel) {
  MetricsRegistry registry;
  HttpMetrics http(registry);
  http.observe("FOO", "unmatched", 405, 0.001);
  http.observe("BAR", "unmatched", 405, 0.001);
  const std::string out = registry.render();
  EXPECT_NE(out.find("http_requests_total{method=\"OTHER\",route=\"unmatched\",status=\"405\"} 2\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("FOO"), std::string::npos);
}

TEST(HttpMetrics, TwoInstancesShareTheRegistryFamilies) {
  MetricsRegistry registry;
  HttpMetrics first(registry);
  HttpMetrics second(registry);
  first.observe("POST", "/x", 201, 0.1);
  second.observe("POST", "/x", 201, 0.1);
  EXPECT_NE(registry.render().find("http_requests_total{method=\"POST\",route=\"/x\",status=\"201\"} 2\n"),
            std::string::npos);
}

}  // namespace
}  // namespace keel::observability
