#include "keel/db/pool.hpp"

#include <utility>

#include "keel/db/pool_state.hpp"

namespace keel::db {

void detail::PoolState::release(std::unique_ptr<Driver> driver) noexcept {
  bool keep = driver->alive();
  if (keep && driver->in_transaction()) {
    // Returned inside a transaction (no Transaction object, or one that could
    // not roll back): the next borrower must start clean.
    try {
      driver->execute("ROLLBACK", {}, true);
      keep = !driver->in_transaction() && driver->alive();
    } catch (...) {
      keep = false;
    }
  }
  std::unique_ptr<Driver> closing;
  {
    const std::lock_guard lock(mutex);
    --in_use;
    if (keep) {
      idle.push_back(std::move(driver));
    } else {
      --open;
      closing = std::move(driver);
    }
  }
  available.notify_one();
  // `closing` is destroyed here, outside the lock: closing a socket may block.
}

Pool::Pool(PoolOptions options, Connector connector, QueryObserver observer,
           std::shared_ptr<const StatementCatalog> catalog)
    : state_(std::make_shared<detail::PoolState>()) {
  if (options.size < 1) options.size = 1;
  state_->options = std::move(options);
  state_->connector = std::move(connector);
  state_->observer = std::move(observer);
  state_->catalog = std::move(catalog);
}

Pool::~Pool() = default;

const PoolOptions& Pool::options() const { return state_->options; }

Connection Pool::acquire() { return acquire(state_->options.acquire_timeout); }

Connection Pool::acquire(std::chrono::milliseconds timeout) {
  detail::PoolState& s = *state_;
  const Clock::time_point deadline = Clock::now() + timeout;
  std::unique_lock lock(s.mutex);
  for (;;) {
    if (!s.idle.empty()) {
      // Most recently used first: it is the likeliest to be alive and warm.
      std::unique_ptr<Driver> driver = std::move(s.idle.back());
      s.idle.pop_back();
      ++s.in_use;
      lock.unlock();
      if (driver->alive()) return Connection(std::move(driver), state_);
      driver.reset();  // dead (server restarted, socket closed): replace it
      lock.lock();
      --s.in_use;
      --s.open;
      continue;
    }
    if (s.open < s.options.size) {
      ++s.open;
      ++s.in_use;
      lock.unlock();
      try {
        return Connection(s.connector(deadline), state_);
      } catch (...) {
        lock.lock();
        --s.open;
        --s.in_use;
        ++s.connect_failures;
        lock.unlock();
        s.available.notify_one();
        throw;
      }
    }
    ++s.waiting;
    const bool ready =
        s.available.wait_until(lock, deadline, [&] { return !s.idle.empty() || s.open < s.options.size; });
    --s.waiting;
    if (!ready) {
      ++s.acquire_timeouts;
      throw DatabaseError(ErrorKind::unavailable, "database pool \"" + s.options.name + "\" exhausted: all " +
                                                      std::to_string(s.options.size) +
                                                      " connections busy for " +
                                                      std::to_string(timeout.count()) + " ms");
    }
  }
}

PoolStats Pool::stats() const {
  const std::lock_guard lock(state_->mutex);
  return PoolStats{state_->options.size,     state_->open,
                   state_->in_use,           state_->waiting,
                   state_->acquire_timeouts, state_->connect_failures};
}

std::optional<Clock::time_point> Pool::last_success() const {
  const Clock::rep ticks = state_->last_success.load(std::memory_order_relaxed);
  if (ticks == 0) return std::nullopt;
  return Clock::time_point(Clock::duration(ticks));
}

}  // namespace keel::db
