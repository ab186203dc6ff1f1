// keel/db/pool_state.hpp — the state a Pool shares with the Connections it lent (internal).
//
// Connections hold a shared_ptr to it, so a Connection that outlives its
// Pool still returns (and closes) its driver safely.
//
//   state->release(std::move(driver));   // from ~Connection
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "keel/db/pool.hpp"

namespace keel::db::detail {

// PoolState is the Pool's lock-protected bookkeeping.
struct PoolState {
  PoolOptions options;
  Pool::Connector connector;
  QueryObserver observer;
  std::shared_ptr<const StatementCatalog> catalog;

  mutable std::mutex mutex;
  std::condition_variable available;
  std::vector<std::unique_ptr<Driver>> idle;  // guarded by mutex
  int open = 0;                               // guarded by mutex
  int in_use = 0;                             // guarded by mutex
  int waiting = 0;                            // guarded by mutex
  std::uint64_t acquire_timeouts = 0;         // guarded by mutex
  std::uint64_t connect_failures = 0;         // guarded by mutex
  std::atomic<Clock::rep> last_success{0};    // steady clock ticks; 0 = never

  // release takes a driver back: idle when healthy, closed otherwise.
  void release(std::unique_ptr<Driver> driver) noexcept;
  // note_success records a statement that succeeded.
  void note_success() {
    last_success.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
  }
};

}  // namespace keel::db::detail
