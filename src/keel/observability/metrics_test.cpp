#include "keel/observability/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <thread>
#include <vector>

namespace keel::observability {
namespace {

TEST(MetricsRegistry, RendersCounterGaugeAndHistogramExactly) {
  MetricsRegistry registry;
  auto& requests = registry.counter("app_requests_total", "Requests.", {"method", "path"});
  requests.labels({"POST", "/x"}).inc();
  requests.labels({"GET", "/a\"b\\c\nd"}).inc(2);
  registry.gauge("app_temperature", "Temp\nline \\ two.").labels().set(21.5);
  const std::array bounds{0.25, 0.5, 1.0};
  auto& latency = registry.histogram("app_latency_seconds", "Latency.", {"route"}, bounds);
  for (double v : {0.125, 0.25, 0.375, 2.0}) latency.labels({"/r"}).observe(v);

  EXPECT_EQ(registry.render(),
            "# HELP app_requests_total Requests.\n"
            "# TYPE app_requests_total counter\n"
            "app_requests_total{method=\"GET\",path=\"/a\\\"b\\\\c\\nd\"} 2\n"
            "app_requests_total{method=\"POST\",path=\"/x\"} 1\n"
            "# HELP app_temperature Temp\\nline \\\\ two.\n"
            "# TYPE app_temperature gauge\n"
            "app_temperature 21.5\n"
            "# HELP app_latency_seconds Latency.\n"
            "# TYPE app_latency_seconds histogram\n"
            "app_latency_seconds_bucket{route=\"/r\",le=\"0.25\"} 2\n"
            "app_latency_seconds_bucket{route=\"/r\",le=\"0.5\"} 3\n"
            "app_latency_seconds_bucket{route=\"/r\",le=\"1\"} 3\n"
            "app_latency_seconds_bucket{route=\"/r\",le=\"+Inf\"} 4\n"
            "app_latency_seconds_sum{route=\"/r\"} 2.75\n"
            "app_latency_seconds_count{route=\"/r\"} 4\n");
}

TEST(MetricsRegistry, UnlabelledMetricsStartAtZeroAndLabelledFamiliesAreEmpty) {
  MetricsRegistry registry;
  registry.counter("a_total", "A.");
  registry.counter("b_total", "B.", {"kind"});
  registry.histogram("c_seconds", "C.", {}, std::array{1.0});
  EXPECT_EQ(registry.render(),
            "# HELP a_total A.\n# TYPE a_total counter\na_total 0\n"
            "# HELP b_total B.\n# TYPE b_total counter\n"
            "# HELP c_seconds C.\n# TYPE c_seconds histogram\n"
            "c_seconds_bucket{le=\"1\"} 0\nc_seconds_bucket{le=\"+Inf\"} 0\n"
            "c_seconds_sum 0\nc_seconds_count 0\n");
}

TEST(MetricsRegistry, DefaultBucketsAreTheHttpLatencyOnes) {
  MetricsRegistry registry;
  registry.histogram("h", "H.").labels().observe(0.003);
  const std::string out = registry.render();
  for (const char* le : {"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
                         "1", "2.5", "5", "10", "+Inf"}) {
    EXPECT_NE(out.find("h_bucket{le=\"" + std::string(le) + "\"}"), std::string::npos) << le;
  }
  EXPECT_NE(out.find("h_bucket{le=\"0.0025\"} 0\n"), std::string::npos);
  EXPECT_NE(out.find("h_bucket{le=\"0.005\"} 1\n"), std::string::npos);
}

TEST(MetricsRegistry, CallbackFamiliesAreReadAtScrapeTime) {
  MetricsRegistry registry;
  double size = 3;
  auto& pool = registry.callback("db_pool_connections", "Connections.", MetricType::gauge, {"state"});
  pool.set({"idle"}, [&size] { return size; });
  pool.set({"unknown"}, []() -> std::optional<double> { return std::nullopt; });
  pool.set({"broken"}, []() -> std::optional<double> { throw std::runtime_error("x"); });
  size = 5;
  EXPECT_EQ(registry.render(),
            "# HELP db_pool_connections Connections.\n# TYPE db_pool_connections gauge\n"
            "db_pool_connections{state=\"idle\"} 5\n");
  pool.remove({"idle"});
  EXPECT_EQ(registry.render().find("idle"), std::string::npos);
}

TEST(MetricsRegistry, SpecialValues) {
  MetricsRegistry registry;
  auto& gauge = registry.gauge("g", "G.", {"k"});
  gauge.labels({"inf"}).set(HUGE_VAL);
  gauge.labels({"nan"}).set(std::nan(""));
  gauge.labels({"neg"}).dec(1.5);
  auto& histogram = registry.histogram("h", "H.", {}, std::array{1.0});
  histogram.labels().observe(std::nan(""));
  const std::string out = registry.render();
  EXPECT_NE(out.find("g{k=\"inf\"} +Inf\n"), std::string::npos);
  EXPECT_NE(out.find("g{k=\"nan\"} NaN\n"), std::string::npos);
  EXPECT_NE(out.find("g{k=\"neg\"} -1.5\n"), std::string::npos);
  EXPECT_NE(out.find("h_count 0\n"), std::string::npos);  // NaN ignored
}

TEST(MetricsRegistry, ReRegistrationReturnsTheSameFamilyOrThrows) {
  MetricsRegistry registry;
  auto& first = registry.counter("x_total", "X.", {"a"});
  EXPECT_EQ(&registry.counter("x_total", "X again.", {"a"}), &first);
  EXPECT_THROW(registry.counter("x_total", "X.", {"b"}), std::invalid_argument);
  EXPECT_THROW(registry.gauge("x_total", "X.", {"a"}), std::invalid_argument);
  registry.histogram("y", "Y.", {}, std::array{1.0});
  EXPECT_THROW(registry.histogram("y", "Y.", {}, std::array{2.0}), std::invalid_argument);
}

TEST(MetricsRegistry, RejectsInvalidDefinitionsAndLabelCounts) {
  MetricsRegistry registry;
  EXPECT_THROW(registry.counter("1bad", "."), std::invalid_argument);
  EXPECT_THROW(registry.counter("bad-name", "."), std::invalid_argument);
  EXPECT_THROW(registry.counter("ok", ".", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(registry.counter("ok", ".", {"a", "a"}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("h", ".", {"le"}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("h", ".", {}, std::array{1.0, 1.0}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("h", ".", {}, std::array{HUGE_VAL}), std::invalid_argument);
  EXPECT_THROW(registry.callback("cb", ".", MetricType::histogram), std::invalid_argument);
  auto& family = registry.counter("two_total", ".", {"a", "b"});
  EXPECT_THROW(family.labels({"only one"}), std::invalid_argument);
  EXPECT_EQ(registry.render().find("ok"), std::string::npos);  // nothing half-registered
}

TEST(MetricsRegistry, ConcurrentUpdatesSumCorrectly) {
  MetricsRegistry registry;
  auto& counter = registry.counter("c_total", "C.", {"route"});
  auto& gauge = registry.gauge("g", "G.");
  auto& histogram = registry.histogram("h", "H.", {"route"}, std::array{0.5});
  constexpr int kThreads = 4;
  constexpr int kIterations = 50000;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string route = (t % 2 == 0) ? "/even" : "/odd";
      for (int i = 0; i < kIterations; ++i) {
        counter.labels({route}).inc();  // looked up every time: exercises the shared lock
        gauge.labels().inc();
        gauge.labels().dec(0.5);
        histogram.labels({"/h"}).observe(i % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter.labels({"/even"}).value(), 2u * kIterations);
  EXPECT_EQ(counter.labels({"/odd"}).value(), 2u * kIterations);
  EXPECT_DOUBLE_EQ(gauge.labels().value(), 0.5 * kThreads * kIterations);
  const auto snap = histogram.labels({"/h"}).snapshot();
  EXPECT_EQ(snap.count, static_cast<std::uint64_t>(kThreads * kIterations));
  EXPECT_EQ(snap.cumulative.at(0), snap.count / 2);
  EXPECT_DOUBLE_EQ(snap.sum, 0.5 * kThreads * kIterations * 1.25);
}

TEST(MetricsRegistry, ProcessWideRegistryIsOneInstance) { EXPECT_EQ(&metrics(), &metrics()); }

}  // namespace
}  // namespace keel::observability
