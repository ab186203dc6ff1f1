#include "keel/observability/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace keel::observability {
namespace {

// Separates label values in a child's map key; it cannot appear in route templates, methods
// or status codes, and keeps the map order equal to the order of the value tuples.
constexpr char kKeySeparator = '\x01';

bool is_name_start(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

bool valid_metric_name(std::string_view name) noexcept {
  if (name.empty() || !(is_name_start(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return is_name_start(c) || is_digit(c) || c == ':'; });
}

bool valid_label_name(std::string_view name) noexcept {
  if (name.empty() || !is_name_start(name[0]) || name.starts_with("__")) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return is_name_start(c) || is_digit(c); });
}

std::string_view type_name(MetricType type) noexcept {
  switch (type) {
    case MetricType::counter: return "counter";
    case MetricType::gauge: return "gauge";
    case MetricType::histogram: return "histogram";
  }
  return "untyped";
}

// append_number writes a Prometheus float: Go's strconv 'g' shortest form ("0.0005", "2.5",
// "1e+21"), plus +Inf, -Inf and NaN.
void append_number(std::string& out, double value) {
  if (std::isnan(value)) {
    out.append("NaN");
  } else if (std::isinf(value)) {
    out.append(value > 0 ? "+Inf" : "-Inf");
  } else {
    std::array<char, 32> buf{};
    const auto result = std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::general);
    out.append(buf.data(), result.ptr);
  }
}

void append_number(std::string& out, std::uint64_t value) {
  std::array<char, 24> buf{};
  const auto result = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  out.append(buf.data(), result.ptr);
}

void append_escaped(std::string& out, std::string_view text, bool escape_quotes) {
  for (char c : text) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c == '"' && escape_quotes) {
      out.append("\\\"");
    } else {
      out.push_back(c);
    }
  }
}

}  // namespace

// ---- Histogram ---------------------------------------------------------------------------

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds), counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds.size() + 1)) {}

void Histogram::observe(double value) noexcept {
  if (std::isnan(value)) return;
  const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[static_cast<std::size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snap;
  snap.cumulative.reserve(bounds_.size() + 1);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    snap.cumulative.push_back(total);
  }
  snap.count = total;
  snap.sum = sum_.load(std::memory_order_relaxed);
  return snap;
}

// ---- MetricFamily ------------------------------------------------------------------------

MetricFamily::MetricFamily(std::string name, std::string help, MetricType type,
                           std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), type_(type), label_names_(std::move(label_names)) {
  if (!valid_metric_name(name_)) {
    throw std::invalid_argument("metrics: invalid metric name '" + name_ + "'");
  }
  for (std::size_t i = 0; i < label_names_.size(); ++i) {
    const std::string& label = label_names_[i];
    if (!valid_label_name(label)) {
      throw std::invalid_argument("metrics: " + name_ + ": invalid label name '" + label + "'");
    }
    if (std::find(label_names_.begin(), label_names_.begin() + static_cast<std::ptrdiff_t>(i), label) !=
        label_names_.begin() + static_cast<std::ptrdiff_t>(i)) {
      throw std::invalid_argument("metrics: " + name_ + ": duplicate label '" + label + "'");
    }
  }
}

void MetricFamily::key_of(LabelValues values, std::string& key) const {
  const auto given = values.values();
  if (given.size() != label_names_.size()) {
    throw std::invalid_argument("metrics: " + name_ + " takes " + std::to_string(label_names_.size()) +
                                " label values, got " + std::to_string(given.size()));
  }
  key.clear();
  for (std::size_t i = 0; i < given.size(); ++i) {
    if (i != 0) key.push_back(kKeySeparator);
    key.append(given[i]);
  }
}

void MetricFamily::append_labels(std::string& out, std::span<const std::string> values,
                                 std::string_view extra) const {
  if (values.empty() && extra.empty()) return;
  out.push_back('{');
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out.push_back(',');
    out.append(label_names_[i]);
    out.append("=\"");
    append_escaped(out, values[i], true);
    out.push_back('"');
  }
  if (!extra.empty()) {
    if (!values.empty()) out.push_back(',');
    out.append(extra);
  }
  out.push_back('}');
}

void MetricFamily::append_header(std::string& out) const {
  out.append("# HELP ");
  out.append(name_);
  out.push_back(' ');
  append_escaped(out, help_, false);
  out.append("\n# TYPE ");
  out.append(name_);
  out.push_back(' ');
  out.append(type_name(type_));
  out.push_back('\n');
}

// ---- Family<Metric> ----------------------------------------------------------------------

template <typename Metric>
Family<Metric>::Family(std::string name, std::string help, MetricType type, std::vector<std::string> labels,
                       std::vector<double> bounds)
    : MetricFamily(std::move(name), std::move(help), type, std::move(labels)), bounds_(std::move(bounds)) {
  if constexpr (std::is_same_v<Metric, Histogram>) {
    const auto& names = label_names();
    if (std::find(names.begin(), names.end(), "le") != names.end()) {
      throw std::invalid_argument("metrics: " + this->name() + ": 'le' is reserved");
    }
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
      if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1])) {
        throw std::invalid_argument("metrics: " + this->name() +
                                    ": buckets must be finite and strictly increasing");
      }
    }
  }
  // An unlabelled metric exists (at zero) from registration, as scrapers expect.
  if (label_names().empty()) children_.emplace(std::string(), make_child({}));
}

template <typename Metric>
std::unique_ptr<typename Family<Metric>::Child> Family<Metric>::make_child(LabelValues values) const {
  std::vector<std::string> copied(values.values().begin(), values.values().end());
  if constexpr (std::is_same_v<Metric, Histogram>) {
    return std::make_unique<Child>(std::move(copied), std::span<const double>(bounds_));
  } else {
    return std::make_unique<Child>(std::move(copied));
  }
}

template <typename Metric>
Metric& Family<Metric>::labels(LabelValues values) {
  thread_local std::string key;  // reused: the hit path allocates nothing
  key_of(values, key);
  {
    std::shared_lock lock(mutex_);
    if (const auto it = children_.find(key); it != children_.end()) return it->second->metric;
  }
  auto child = make_child(values);
  std::unique_lock lock(mutex_);
  const auto [it, inserted] = children_.try_emplace(key, std::move(child));
  return it->second->metric;
}

template <typename Metric>
void Family<Metric>::render(std::string& out) const {
  append_header(out);
  std::shared_lock lock(mutex_);
  for (const auto& [key, child] : children_) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      const Histogram::Snapshot snap = child->metric.snapshot();
      std::string le;
      for (std::size_t i = 0; i < snap.cumulative.size(); ++i) {
        le.assign("le=\"");
        if (i < bounds_.size()) {
          append_number(le, bounds_[i]);
        } else {
          le.append("+Inf");
        }
        le.push_back('"');
        out.append(name()).append("_bucket");
        append_labels(out, child->values, le);
        out.push_back(' ');
        append_number(out, snap.cumulative[i]);
        out.push_back('\n');
      }
      out.append(name()).append("_sum");
      append_labels(out, child->values);
      out.push_back(' ');
      append_number(out, snap.sum);
      out.push_back('\n');
      out.append(name()).append("_count");
      append_labels(out, child->values);
      out.push_back(' ');
      append_number(out, snap.count);
      out.push_back('\n');
    } else {
      out.append(name());
      append_labels(out, child->values);
      out.push_back(' ');
      append_number(out, child->metric.value());
      out.push_back('\n');
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---- CallbackFamily ----------------------------------------------------------------------

CallbackFamily::CallbackFamily(std::string name, std::string help, MetricType type,
                               std::vector<std::string> labels)
    : MetricFamily(std::move(name), std::move(help), type, std::move(labels)) {
  if (type == MetricType::histogram) {
    throw std::invalid_argument("metrics: " + this->name() + ": callback families are counters or gauges");
  }
}

void CallbackFamily::set(LabelValues values, MetricCallback callback) {
  std::string key;
  key_of(values, key);
  Child child{std::vector<std::string>(values.values().begin(), values.values().end()), std::move(callback)};
  std::unique_lock lock(mutex_);
  children_.insert_or_assign(std::move(key), std::move(child));
}

void CallbackFamily::remove(LabelValues values) {
  std::string key;
  key_of(values, key);
  std::unique_lock lock(mutex_);
  children_.erase(key);
}

void CallbackFamily::render(std::string& out) const {
  append_header(out);
  std::shared_lock lock(mutex_);
  for (const auto& [key, child] : children_) {
    std::optional<double> value;
    try {
      value = child.callback();
    } catch (...) {  // a broken collector loses its sample, not the whole scrape
      continue;
    }
    if (!value) continue;
    out.append(name());
    append_labels(out, child.values);
    out.push_back(' ');
    append_number(out, *value);
    out.push_back('\n');
  }
}

// ---- MetricsRegistry ---------------------------------------------------------------------

template <typename F>
F& MetricsRegistry::add(std::unique_ptr<F> family) {
  std::lock_guard lock(mutex_);
  for (const auto& existing : families_) {
    if (existing->name() != family->name()) continue;
    auto* same = dynamic_cast<F*>(existing.get());
    bool compatible =
        same != nullptr && same->type() == family->type() && same->label_names() == family->label_names();
    if constexpr (std::is_same_v<F, HistogramFamily>) {
      compatible = compatible && std::ranges::equal(same->bucket_bounds(), family->bucket_bounds());
    }
    if (!compatible) {
      throw std::invalid_argument("metrics: " + family->name() +
                                  " is already registered with another type or labels");
    }
    return *same;
  }
  F& added = *family;
  families_.push_back(std::move(family));
  return added;
}

CounterFamily& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                        std::vector<std::string> label_names) {
  return add(std::unique_ptr<CounterFamily>(new CounterFamily(
      std::string(name), std::string(help), MetricType::counter, std::move(label_names), {})));
}

GaugeFamily& MetricsRegistry::gauge(std::string_view name, std::string_view help,
                                    std::vector<std::string> label_names) {
  return add(std::unique_ptr<GaugeFamily>(
      new GaugeFamily(std::string(name), std::string(help), MetricType::gauge, std::move(label_names), {})));
}

HistogramFamily& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                            std::vector<std::string> label_names,
                                            std::span<const double> buckets) {
  return add(std::unique_ptr<HistogramFamily>(
      new HistogramFamily(std::string(name), std::string(help), MetricType::histogram, std::move(label_names),
                          {buckets.begin(), buckets.end()})));
}

CallbackFamily& MetricsRegistry::callback(std::string_view name, std::string_view help, MetricType type,
                                          std::vector<std::string> label_names) {
  return add(std::unique_ptr<CallbackFamily>(
      new CallbackFamily(std::string(name), std::string(help), type, std::move(label_names))));
}

std::string MetricsRegistry::render() const {
  std::string out;
  out.reserve(std::size_t{16} << 10);
  std::lock_guard lock(mutex_);
  for (const auto& family : families_) family->render(out);
  return out;
}

MetricsRegistry& metrics() {
  static MetricsRegistry registry;
  return registry;
}

}  // namespace keel::observability
