// SQLite durability: a row whose commit returned survives kill -9 of the
// process right afterwards (what a 201 promises the client).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <thread>
#include <vector>

#include "keel/db/database.hpp"
#include "keel/db/sqlite_driver.hpp"
#include "keel/db/testing.hpp"

namespace keel::db {
namespace {

constexpr Statement kCreate{"test.create_events", "CREATE TABLE events (id INTEGER PRIMARY KEY)"};
constexpr Statement kInsert{"test.insert_event", "INSERT INTO events (id) VALUES ($1)"};
constexpr Statement kMax{"test.max_event", "SELECT count(*), coalesce(max(id), 0) FROM events"};

TEST(SqliteDurability, CommittedRowsSurviveKillDashNine) {
  testing::TestDatabase t(Dialect::sqlite);
  t.db().acquire().execute(kCreate);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    try {
      // A fresh Database: connections must never cross a fork.
      Database db(t.options());
      Connection conn = db.acquire();
      for (int id = 1;; ++id) {
        conn.execute(kInsert, {id});  // autocommit: returns after COMMIT
        if (::write(pipe_fds[1], &id, sizeof id) != sizeof id) ::_exit(2);
      }
    } catch (...) {
      ::_exit(1);
    }
  }
  ::close(pipe_fds[1]);
  int committed = 0;
  while (committed < 25) {
    ASSERT_EQ(::read(pipe_fds[0], &committed, sizeof committed), static_cast<ssize_t>(sizeof committed));
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the writer died on its own";
  // Reports written before the kill name rows that were committed.
  for (int id = 0; ::read(pipe_fds[0], &id, sizeof id) == sizeof id;) committed = id;
  ::close(pipe_fds[0]);

  t.reopen();
  const Row row = t.db().acquire().execute(kMax)[0];
  EXPECT_GE(row.get<int>(1), committed);
  EXPECT_EQ(row.get<int>(0), row.get<int>(1));  // no gaps: every committed row is there
}

WalSyncStats wal_stats(Connection& conn) { return dynamic_cast<SqliteDriver&>(driver_of(conn)).wal_sync_stats(); }

TEST(SqliteGroupCommit, EveryCommitWaitsForAnFsyncOfTheWal) {
  testing::TestDatabase t(Dialect::sqlite);
  Connection conn = t.db().acquire();
  conn.execute(kCreate);
  const WalSyncStats before = wal_stats(conn);
  for (int id = 1; id <= 5; ++id) conn.execute(kInsert, {id});
  // Alone, every commit is its own group: one fsync each, before execute returns.
  const WalSyncStats after = wal_stats(conn);
  EXPECT_EQ(after.commits - before.commits, 5U);
  EXPECT_EQ(after.syncs - before.syncs, 5U);
  // A read-only statement commits nothing and syncs nothing.
  (void)conn.execute(kMax);
  EXPECT_EQ(wal_stats(conn).syncs, after.syncs);
}

TEST(SqliteGroupCommit, ConcurrentWritersShareTheFileAndEveryCommitIsCounted) {
  testing::TestDatabase t(Dialect::sqlite);
  t.db().acquire().execute(kCreate);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 40;
  Database db([&] {
    auto options = t.options();
    options.pool_size = kThreads;
    return options;
  }());
  const WalSyncStats before = [&] {
    Connection conn = db.acquire();
    return wal_stats(conn);
  }();
  const WriteBatchStats batches_before = db.write_batch()->stats();
  std::vector<std::thread> writers;
  for (int w = 0; w < kThreads; ++w) {
    writers.emplace_back([&db, w] {
      for (int i = 0; i < kPerThread; ++i) db.in_transaction([&](Connection& c) { c.execute(kInsert, {w * 1000 + i}); });
    });
  }
  for (auto& writer : writers) writer.join();
  Connection conn = db.acquire();
  const WalSyncStats after = wal_stats(conn);
  // Writes that queued together were committed together (write_batch.hpp): one commit per batch.
  const WriteBatchStats batches_after = db.write_batch()->stats();
  EXPECT_EQ(batches_after.writes - batches_before.writes, static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(after.commits - before.commits, batches_after.batches - batches_before.batches);
  EXPECT_GE(after.syncs - before.syncs, 1U);
  EXPECT_LE(after.syncs - before.syncs, after.commits - before.commits);
  EXPECT_EQ(conn.execute(kMax)[0].get<int>(0), kThreads * kPerThread);
}

TEST(SqliteWriters, AWriterWaitsForTheProcessWriteSlotAndGetsItWhenTheFirstCommits) {
  testing::TestDatabase t(Dialect::sqlite, DatabaseOptions{.pool_size = 2, .timeout = std::chrono::milliseconds(200)});
  t.db().acquire().execute(kCreate);
  Connection first = t.db().acquire();
  std::optional<Transaction> holding(std::in_place, first);
  first.execute(kInsert, {1});
  // The second writer queues on this process's write slot, not on SQLite's
  // lock: it times out with Keel's message after the busy timeout.
  Connection second = t.db().acquire();
  try {
    Transaction waiting(second);
    FAIL() << "a second write transaction started while the first was open";
  } catch (const DatabaseError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::timeout);
    EXPECT_NE(std::string(e.what()).find("no write slot"), std::string::npos) << e.what();
  }
  holding->commit();
  holding.reset();
  // The slot is free again once the first transaction has committed.
  Transaction next(second);
  second.execute(kInsert, {2});
  next.commit();
  EXPECT_EQ(second.execute(kMax)[0].get<int>(0), 2);
  // A rolled-back write transaction frees the slot too.
  { Transaction abandoned(first); }
  Transaction after_rollback(second);
  after_rollback.commit();
}

}  // namespace
}  // namespace keel::db
