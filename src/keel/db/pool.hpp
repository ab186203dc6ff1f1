// keel/db/pool.hpp — a bounded pool of connections to one database.
//
// A Pool opens at most `size` connections, lazily, and lends them out.
// acquire() waits at most `acquire_timeout` for a free one and then throws
// DatabaseError(unavailable) — a saturated or unreachable database becomes a
// fast 503, never a hang. Before lending an idle connection the pool checks
// it without a round trip (a PostgreSQL server that restarted has closed the
// socket) and replaces a dead one transparently; a connection that fails
// while borrowed is discarded on return, and the next acquire reconnects.
//
// Thread-safe: any number of threads may acquire concurrently.
//
//   Pool pool({.name = "primary", .size = 8, .acquire_timeout = 5000ms}, connector);
//   Connection conn = pool.acquire();
//   PoolStats s = pool.stats();   // for the pool gauges in /metrics
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "keel/db/connection.hpp"
#include "keel/db/driver.hpp"

namespace keel::db {

class StatementCatalog;

// PoolOptions sizes a pool (DATABASE_POOL_SIZE, DATABASE_TIMEOUT_MS).
struct PoolOptions {
  std::string name = "primary";  // "primary" or "replica", in errors and metrics
  int size = 2;
  std::chrono::milliseconds acquire_timeout{5000};
};

// PoolStats is a snapshot for metrics.
struct PoolStats {
  int size = 0;                        // the configured maximum
  int open = 0;                        // connections currently open
  int in_use = 0;                      // lent out right now
  int waiting = 0;                     // threads waiting in acquire()
  std::uint64_t acquire_timeouts = 0;  // acquire() calls that gave up since start
  std::uint64_t connect_failures = 0;  // connection attempts that failed since start
};

// Pool lends connections made by its connector.
class Pool {
 public:
  // Connector opens one connection, giving up at the deadline.
  using Connector = std::function<std::unique_ptr<Driver>(Clock::time_point deadline)>;

  Pool(PoolOptions options, Connector connector, QueryObserver observer = {},
       std::shared_ptr<const StatementCatalog> catalog = {});
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // acquire lends a connection within the pool's acquire timeout.
  Connection acquire();
  // acquire lends a connection within `timeout` (readiness probes use a short one).
  Connection acquire(std::chrono::milliseconds timeout);
  // stats returns the current counters.
  PoolStats stats() const;
  // last_success is when a statement last succeeded through this pool.
  std::optional<Clock::time_point> last_success() const;
  const PoolOptions& options() const;

 private:
  std::shared_ptr<detail::PoolState> state_;  // shared with lent Connections
};

}  // namespace keel::db
