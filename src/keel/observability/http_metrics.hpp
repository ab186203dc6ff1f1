// keel/observability/http_metrics.hpp — the server's standard HTTP metrics.
//
// Registers http_requests_total{method,route,status}, http_request_duration_seconds
// {method,route} and http_requests_in_flight. Every label must come from a bounded set, or
// a client could grow memory and the scrape without limit: `route` is the route template
// (e.g. "/api/v1/items/{id}", and one fixed name such as "unmatched" for 404s), never the
// raw path; methods outside the standard nine are counted as "OTHER".
//
//   HttpMetrics http(metrics());
//   http.in_flight().inc();
//   ... handle ...
//   http.in_flight().dec();
//   http.observe("GET", "/api/v1/items/{id}", 200, 0.0042);
#pragma once

#include <map>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "keel/observability/metrics.hpp"

namespace keel::observability {

// HttpMetrics keeps handles to its metrics so a request costs one shared-lock lookup.
class HttpMetrics {
 public:
  explicit HttpMetrics(MetricsRegistry& registry);

  // observe counts one finished request and records its duration in seconds.
  void observe(std::string_view method, std::string_view route, int status, double seconds);

  // in_flight is the number of requests being handled now.
  Gauge& in_flight() noexcept { return in_flight_; }

 private:
  struct Handles {
    Counter* requests;
    Histogram* duration;
  };

  CounterFamily& requests_;
  HistogramFamily& duration_;
  Gauge& in_flight_;

  std::shared_mutex mutex_;
  std::map<std::string, Handles, std::less<>> cache_;  // "method route status" -> handles
};

}  // namespace keel::observability
