#include "keel/app/database_metrics.hpp"

#include <array>
#include <string>

#include "keel/db/error.hpp"

namespace keel::app {
namespace {

// Query latencies are usually far below HTTP latencies: finer low buckets.
constexpr std::array<double, 12> kQueryBuckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                               0.01,   0.025,   0.05,   0.1,   0.25,   1.0};

void register_pool(observability::MetricsRegistry& metrics, db::Pool& pool, const std::string& name) {
  auto& connections = metrics.callback("db_pool_connections", "Database pool connections by state.",
                                       observability::MetricType::gauge, {"pool", "state"});
  connections.set({name, "max"}, [&pool] { return static_cast<double>(pool.stats().size); });
  connections.set({name, "open"}, [&pool] { return static_cast<double>(pool.stats().open); });
  connections.set({name, "in_use"}, [&pool] { return static_cast<double>(pool.stats().in_use); });
  metrics.callback("db_pool_waiting", "Threads waiting for a database connection.",
                   observability::MetricType::gauge, {"pool"})
      .set({name}, [&pool] { return static_cast<double>(pool.stats().waiting); });
  metrics.callback("db_pool_acquire_timeouts_total", "Connection requests that timed out (503s).",
                   observability::MetricType::counter, {"pool"})
      .set({name}, [&pool] { return static_cast<double>(pool.stats().acquire_timeouts); });
  metrics.callback("db_pool_connect_failures_total", "Failed attempts to open a database connection.",
                   observability::MetricType::counter, {"pool"})
      .set({name}, [&pool] { return static_cast<double>(pool.stats().connect_failures); });
}

}  // namespace

void observe_queries(observability::MetricsRegistry& metrics, db::DatabaseOptions& options) {
  auto& durations = metrics.histogram("db_query_duration_seconds", "Database statement latency.",
                                      {"statement"}, kQueryBuckets);
  auto& failures = metrics.counter("db_query_errors_total", "Database statements that failed.",
                                   {"statement", "kind"});
  options.on_query = [&durations, &failures](const db::QueryEvent& event) {
    const std::string statement(event.statement);
    durations.labels({statement}).observe(std::chrono::duration<double>(event.duration).count());
    if (event.error) failures.labels({statement, std::string(db::to_string(*event.error))}).inc();
  };
}

void register_pool_metrics(observability::MetricsRegistry& metrics, db::Database& database) {
  register_pool(metrics, database.primary_pool(), "primary");
  if (auto* replica = database.replica_pool()) register_pool(metrics, *replica, "replica");
}

}  // namespace keel::app
