// keel/db/write_batch.hpp — concurrent SQLite write transactions merged into one.
//
// SQLite lets one connection write at a time, so Keel's writers already queue
// (WriteCoordinator in sqlite_driver.cpp). Each transaction then pays its own
// BEGIN and COMMIT, writes its own copy of every page it touched to the WAL,
// and makes the other pooled connections drop their page caches. WriteBatch
// turns that queue into batches: while one batch runs and waits for its fsync,
// the next writers queue; the first of them then leads the next batch: it takes the queue, runs
// each under its own SAVEPOINT (one failing rolls back only its own changes
// and gets its own exception), and commits them all at once, behind one WAL
// fsync. Each caller returns only after that commit is durable, with its own
// result or error, exactly as if it had committed alone — the batch is
// serialisable in queue order, which is what the write lock gave before.
//
// Database::in_transaction uses it for SQLite; callers see no difference.
//
//   WriteBatch batch(pool);
//   batch.run([&](Connection& c) { c.execute(kInsertItem, {id, owner, title}); });
//
// Threading: run() is called from any number of threads and blocks its caller
// until its write has committed (or failed). A leader runs other callers'
// `work` on its own thread while they wait, so `work` must not depend on
// which thread runs it (Keel's handlers do not) and must not itself call
// run() (a nested write transaction would wait on itself; it throws instead).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>

#include "keel/db/connection.hpp"

namespace keel::db {

// WriteBatchStats counts what WriteBatch did since it started (tests, benchmarks).
struct WriteBatchStats {
  std::size_t writes = 0;   // run() calls that reached a transaction
  std::size_t batches = 0;  // transactions committed or failed
};

// WriteBatch merges concurrent write transactions on one Pool.
class WriteBatch {
 public:
  // WriteBatch takes writes to `pool` (which must outlive it), at most `max_batch` per transaction.
  explicit WriteBatch(Pool& pool, std::size_t max_batch = kDefaultMaxBatch);

  // run executes `work(connection)` inside a write transaction and returns
  // once that transaction is committed and durable; an exception from `work`
  // rolls back only `work`'s changes and is rethrown here, and a failed
  // BEGIN or COMMIT is rethrown to every caller it affected.
  void run(const std::function<void(Connection&)>& work);

  WriteBatchStats stats() const;

  // kDefaultMaxBatch bounds a batch, and so how long its first write waits for its last.
  static constexpr std::size_t kDefaultMaxBatch = 64;

 private:
  struct Write;
  void lead(std::unique_lock<std::mutex>& lock, Write& own);
  void wake_next_leader();

  Pool& pool_;
  const std::size_t max_batch_;
  mutable std::mutex mutex_;
  std::deque<Write*> queue_;  // waiting, not yet taken by a leader
  bool leading_ = false;      // a leader is running a batch; the queue waits for it
  WriteBatchStats stats_;
};

}  // namespace keel::db
