// keel/app/database_metrics.hpp — the database's gauges and timings in /metrics.
//
//   auto options = keel::db::DatabaseOptions::from_settings(settings);
//   observe_queries(app.metrics(), options);          // before the Database exists
//   keel::db::Database database(options);
//   register_pool_metrics(app.metrics(), database);   // database must outlive the app
//
// Series: db_query_duration_seconds{statement}, db_query_errors_total{statement,kind},
// db_pool_connections{pool,state}, db_pool_waiting{pool}, db_pool_acquire_timeouts_total{pool},
// db_pool_connect_failures_total{pool}. `statement` is a Statement's name (a fixed set), so
// the series count stays bounded.
#pragma once

#include "keel/db/database.hpp"
#include "keel/observability/metrics.hpp"

namespace keel::app {

// observe_queries makes every statement of the database built from `options` timed.
void observe_queries(observability::MetricsRegistry& metrics, db::DatabaseOptions& options);

// register_pool_metrics exposes the pools' state, read at scrape time.
void register_pool_metrics(observability::MetricsRegistry& metrics, db::Database& database);

}  // namespace keel::app
