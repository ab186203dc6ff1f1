#include "keel/observability/http_metrics.hpp"

#include <array>
#include <charconv>
#include <mutex>

namespace keel::observability {
namespace {

// method_label keeps the label set bounded: a client can send any token as a method.
std::string_view method_label(std::string_view method) noexcept {
  static constexpr std::array<std::string_view, 9> kKnown{"GET",    "HEAD",    "POST",  "PUT",    "PATCH",
                                                          "DELETE", "OPTIONS", "TRACE", "CONNECT"};
  for (const std::string_view known : kKnown) {
    if (method == known) return known;
  }
  return "OTHER";
}

}  // namespace

HttpMetrics::HttpMetrics(MetricsRegistry& registry)
    : requests_(
          registry.counter("http_requests_total", "HTTP requests handled.", {"method", "route", "status"})),
      duration_(registry.histogram("http_request_duration_seconds",
                                   "HTTP request latency from first byte read to response written.",
                                   {"method", "route"})),
      in_flight_(registry.gauge("http_requests_in_flight", "HTTP requests being handled.").labels()) {}

void HttpMetrics::observe(std::string_view raw_method, std::string_view route, int status, double seconds) {
  const std::string_view method = method_label(raw_method);
  std::array<char, 12> status_buf{};
  const auto end = std::to_chars(status_buf.data(), status_buf.data() + status_buf.size(), status);
  const std::string_view status_text(status_buf.data(),
                                     static_cast<std::size_t>(end.ptr - status_buf.data()));

  // Spaces cannot occur in methods or status codes, so the key is unambiguous.
  thread_local std::string key;
  key.assign(method).append(" ").append(status_text).append(" ").append(route);

  Handles handles{};
  bool found = false;
  {
    std::shared_lock lock(mutex_);
    if (const auto it = cache_.find(key); it != cache_.end()) {
      handles = it->second;
      found = true;
    }
  }
  if (!found) {
    handles.requests = &requests_.labels({method, route, status_text});
    handles.duration = &duration_.labels({method, route});
    std::unique_lock lock(mutex_);
    cache_.try_emplace(key, handles);
  }
  handles.requests->inc();
  handles.duration->observe(seconds);
}

}  // namespace keel::observability
