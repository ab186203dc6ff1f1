#include "keel/db/write_batch.hpp"

#include <optional>
#include <vector>

#include "keel/db/driver.hpp"
#include "keel/db/pool.hpp"
#include "keel/db/transaction.hpp"

namespace keel::db {
namespace {

// Run through the driver (like BEGIN and COMMIT), so an enforcing catalog need not list them.
constexpr Sql kSavepoint = "SAVEPOINT keel_write";
constexpr Sql kRelease = "RELEASE keel_write";
constexpr Sql kRollbackToSavepoint = "ROLLBACK TO keel_write";

// t_running_batch is set while this thread runs a batch's writes: run() from there would wait on itself.
thread_local bool t_running_batch = false;

struct RunningBatch {
  RunningBatch() { t_running_batch = true; }
  ~RunningBatch() { t_running_batch = false; }
  RunningBatch(const RunningBatch&) = delete;
  RunningBatch& operator=(const RunningBatch&) = delete;
};

}  // namespace

// Write is one run() call; it lives on its caller's stack, which waits until `done`.
struct WriteBatch::Write {
  explicit Write(const std::function<void(Connection&)>& w) : work(&w) {}
  const std::function<void(Connection&)>* work;
  std::exception_ptr error;
  std::condition_variable wake;  // on mutex_: taken as leader, or done
  bool taken = false;            // a leader has it
  bool done = false;             // committed, or failed with `error`
};

WriteBatch::WriteBatch(Pool& pool, std::size_t max_batch) : pool_(pool), max_batch_(max_batch) {}

void WriteBatch::run(const std::function<void(Connection&)>& work) {
  if (t_running_batch) {
    throw DatabaseError(ErrorKind::other, "a write transaction cannot be opened inside another");
  }
  Write write(work);
  std::unique_lock lock(mutex_);
  queue_.push_back(&write);
  while (!write.done) {
    if (!write.taken && !leading_) {
      lead(lock, write);
      continue;
    }
    write.wake.wait(lock);
  }
  lock.unlock();
  if (write.error) std::rethrow_exception(write.error);
}

WriteBatchStats WriteBatch::stats() const {
  const std::lock_guard lock(mutex_);
  return stats_;
}

void WriteBatch::wake_next_leader() {
  if (!leading_ && !queue_.empty()) queue_.front()->wake.notify_one();
}

// lead opens a transaction, takes the queue, runs each write under a
// savepoint, commits, and reports to every writer taken. Writes that arrive
// meanwhile queue for the next leader, so one batch forms while the previous
// one waits for its fsync. Called and returns with `lock` held.
void WriteBatch::lead(std::unique_lock<std::mutex>& lock, Write& own) {
  leading_ = true;
  lock.unlock();
  std::optional<Connection> connection;
  std::optional<Transaction> transaction;
  try {
    connection.emplace(pool_.acquire());
    transaction.emplace(*connection);
  } catch (...) {
    // No connection or no write lock: this writer fails alone, the next one tries again.
    const std::exception_ptr error = std::current_exception();
    transaction.reset();
    connection.reset();
    lock.lock();
    leading_ = false;
    std::erase(queue_, &own);
    own.error = error;
    own.done = true;
    wake_next_leader();
    return;
  }

  lock.lock();
  std::vector<Write*> batch;
  while (!queue_.empty() && batch.size() < max_batch_) {
    batch.push_back(queue_.front());
    batch.back()->taken = true;
    queue_.pop_front();
  }
  ++stats_.batches;
  stats_.writes += batch.size();
  lock.unlock();

  Driver& driver = driver_of(*connection);
  std::size_t finished = 0;
  bool transaction_lost = false;
  {
    const RunningBatch running;
    for (; finished < batch.size() && !transaction_lost; ++finished) {
      Write& write = *batch[finished];
      try {
        driver.execute(kSavepoint.text(), {}, true);
        (*write.work)(*connection);
        driver.execute(kRelease.text(), {}, true);
      } catch (...) {
        write.error = std::current_exception();
        // SQLite rolls the whole transaction back after some errors (an
        // interrupted statement, a full disk): the earlier writes are gone too.
        try {
          transaction_lost = !driver.alive() || !driver.in_transaction();
          if (!transaction_lost) {
            driver.execute(kRollbackToSavepoint.text(), {}, true);
            driver.execute(kRelease.text(), {}, true);
          }
        } catch (...) {
          transaction_lost = true;
        }
      }
    }
  }
  if (transaction_lost) {
    const auto lost = std::make_exception_ptr(
        DatabaseError(ErrorKind::unavailable, "a write in the same transaction failed and rolled it back"));
    for (std::size_t i = 0; i + 1 < finished; ++i) {
      if (!batch[i]->error) batch[i]->error = lost;
    }
  } else {
    try {
      transaction->commit();
    } catch (...) {
      for (Write* write : batch) {
        if (!write->error) write->error = std::current_exception();
      }
    }
  }
  transaction.reset();
  connection.reset();  // back to the pool before anyone is woken

  lock.lock();
  leading_ = false;
  // Writes the lost transaction never reached go back to the front of the queue.
  for (std::size_t i = batch.size(); i > finished; --i) {
    batch[i - 1]->taken = false;
    queue_.push_front(batch[i - 1]);
  }
  for (std::size_t i = 0; i < finished; ++i) {
    batch[i]->done = true;
    if (batch[i] != &own) batch[i]->wake.notify_one();
  }
  wake_next_leader();
}

}  // namespace keel::db
