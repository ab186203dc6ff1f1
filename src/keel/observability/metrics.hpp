// keel/observability/metrics.hpp — a Prometheus metrics registry (text exposition format 0.0.4).
//
// Families are registered once (name, help, label names); `labels(...)` returns a metric
// that stays valid for the registry's lifetime and is updated with lock-free atomics, so hot
// paths may cache it. render() produces the `/metrics` body.
//
//   auto& requests = metrics().counter("jobs_processed_total", "Jobs run.", {"queue", "result"});
//   requests.labels({"email", "ok"}).inc();
//   auto& depth = metrics().callback("job_queue_depth", "Jobs waiting.", MetricType::gauge);
//   depth.set({}, [&queue] { return double(queue.size()); });   // read at scrape time
//   response.body = metrics().render();   // Content-Type: kPrometheusContentType
//
// Registration errors (bad names, a name re-registered with another shape) are programming
// errors found at start-up, so they throw std::invalid_argument, as does passing the wrong
// number of label values.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keel::observability {

// kPrometheusContentType is the Content-Type of render()'s output.
inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// kHttpLatencyBuckets are the default histogram bounds, in seconds, sized for API latency.
inline constexpr std::array<double, 14> kHttpLatencyBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                            0.1,    0.25,  0.5,    1,     2.5,  5,     10};

// MetricType is the Prometheus TYPE of a family.
enum class MetricType : std::uint8_t { counter, gauge, histogram };

// Counter only goes up.
class Counter {
 public:
  void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// Gauge goes up and down, or is set.
class Gauge {
 public:
  void set(double value) noexcept { value_.store(value, std::memory_order_relaxed); }
  void inc(double delta = 1) noexcept { value_.fetch_add(delta, std::memory_order_relaxed); }
  void dec(double delta = 1) noexcept { value_.fetch_sub(delta, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Histogram counts observations into fixed buckets (upper bounds, inclusive).
class Histogram {
 public:
  // Histogram's `bounds` are owned by its family and outlive it.
  explicit Histogram(std::span<const double> bounds);

  // observe records one value; NaN is ignored (it would poison the sum).
  void observe(double value) noexcept;

  // Snapshot is a consistent-enough copy for rendering and tests.
  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  std::span<const double> bounds_;
  // Per-bucket (not cumulative) counts, the last one for +Inf; the count is their total, so
  // _count always equals the +Inf bucket.
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

// LabelValues are the values for a family's label names, in the same order. Views only:
// they are copied when a new label set is first seen.
class LabelValues {
 public:
  LabelValues(std::initializer_list<std::string_view> values) noexcept
      : values_(values.begin(), values.size()) {}
  LabelValues(std::span<const std::string_view> values) noexcept : values_(values) {}
  LabelValues(const std::vector<std::string_view>& values) noexcept : values_(values) {}

  std::span<const std::string_view> values() const noexcept { return values_; }

 private:
  std::span<const std::string_view> values_;
};

// MetricFamily is what the registry keeps: one name, help text, type and label names.
class MetricFamily {
 public:
  virtual ~MetricFamily() = default;
  MetricFamily(const MetricFamily&) = delete;
  MetricFamily& operator=(const MetricFamily&) = delete;

  const std::string& name() const noexcept { return name_; }
  const std::string& help() const noexcept { return help_; }
  MetricType type() const noexcept { return type_; }
  const std::vector<std::string>& label_names() const noexcept { return label_names_; }

  // render appends this family's HELP, TYPE and sample lines.
  virtual void render(std::string& out) const = 0;

 protected:
  MetricFamily(std::string name, std::string help, MetricType type, std::vector<std::string> label_names);
  // key_of joins label values into a map key; throws std::invalid_argument on a wrong count.
  void key_of(LabelValues values, std::string& key) const;
  // append_labels writes `{a="x",b="y"` plus `extra` (e.g. `,le="0.5"`) and `}`; nothing
  // when there are no labels and no extra.
  void append_labels(std::string& out, std::span<const std::string> values,
                     std::string_view extra = {}) const;
  void append_header(std::string& out) const;

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
};

// Family<Metric> holds one Metric per label set (Counter, Gauge or Histogram).
template <typename Metric>
class Family final : public MetricFamily {
 public:
  // labels returns the metric for these label values, creating it on first use. Lookups
  // take a shared lock; cache the reference on very hot paths.
  Metric& labels(LabelValues values = {});

  void render(std::string& out) const override;

  // bucket_bounds is empty except for histograms.
  std::span<const double> bucket_bounds() const noexcept { return bounds_; }

 private:
  friend class MetricsRegistry;
  Family(std::string name, std::string help, MetricType type, std::vector<std::string> labels,
         std::vector<double> bounds);

  struct Child {
    template <typename... Args>
    explicit Child(std::vector<std::string> label_values, Args&&... args)
        : values(std::move(label_values)), metric(std::forward<Args>(args)...) {}
    std::vector<std::string> values;
    Metric metric;
  };
  std::unique_ptr<Child> make_child(LabelValues values) const;

  mutable std::shared_mutex mutex_;
  std::map<std::string, std::unique_ptr<Child>, std::less<>> children_;  // sorted: stable
  std::vector<double> bounds_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// MetricCallback computes a value at scrape time; nullopt omits the sample. It runs under
// the registry's lock, so it must be quick and must not register metrics.
using MetricCallback = std::function<std::optional<double>()>;

// CallbackFamily's values are computed when scraped (pool sizes, queue depth, process stats).
class CallbackFamily final : public MetricFamily {
 public:
  // set installs or replaces the callback for one label set.
  void set(LabelValues values, MetricCallback callback);
  // remove drops a label set (call it before the object the callback reads is destroyed).
  void remove(LabelValues values);

  void render(std::string& out) const override;

 private:
  friend class MetricsRegistry;
  CallbackFamily(std::string name, std::string help, MetricType type, std::vector<std::string> labels);

  struct Child {
    std::vector<std::string> values;
    MetricCallback callback;
  };
  mutable std::shared_mutex mutex_;
  std::map<std::string, Child, std::less<>> children_;
};

// MetricsRegistry owns families and renders them in registration order. Registering a name
// again with the same kind, labels (and buckets) returns the existing family, so owners can
// register idempotently; any other reuse of a name throws.
class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  CounterFamily& counter(std::string_view name, std::string_view help,
                         std::vector<std::string> label_names = {});
  GaugeFamily& gauge(std::string_view name, std::string_view help, std::vector<std::string> label_names = {});
  // histogram's buckets must be finite and strictly increasing; +Inf is implicit.
  HistogramFamily& histogram(std::string_view name, std::string_view help,
                             std::vector<std::string> label_names = {},
                             std::span<const double> buckets = kHttpLatencyBuckets);
  // callback registers a counter or gauge family whose values come from callbacks.
  CallbackFamily& callback(std::string_view name, std::string_view help, MetricType type,
                           std::vector<std::string> label_names = {});

  // render returns the exposition text of every family.
  std::string render() const;

 private:
  // add keeps `family`, or returns the same-shaped family already registered under its name.
  template <typename F>
  F& add(std::unique_ptr<F> family);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<MetricFamily>> families_;
};

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

// metrics returns the process-wide registry that `/metrics` renders.
MetricsRegistry& metrics();

}  // namespace keel::observability
