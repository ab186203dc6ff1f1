#include "keel/db/write_batch.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "keel/db/database.hpp"
#include "keel/db/testing.hpp"

namespace keel::db {
namespace {

using testing::TestDatabase;

constexpr Statement kCreateNotes{"test.create_notes",
                                 "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)"};
constexpr Statement kInsertNote{"test.insert_note", "INSERT INTO notes (id, body) VALUES ($1, $2)"};
constexpr Statement kNoteIds{"test.note_ids", "SELECT id FROM notes ORDER BY id"};

std::vector<std::int64_t> note_ids(Database& db) {
  std::vector<std::int64_t> ids;
  for (const Row& row : db.acquire().execute(kNoteIds)) ids.push_back(row.get<std::int64_t>("id"));
  return ids;
}

// BlockedBatch holds a first write transaction open until release(), so that
// the writes started meanwhile queue up behind it and form the next batch.
class BlockedBatch {
 public:
  explicit BlockedBatch(Database& db) {
    first_ = std::async(std::launch::async, [&db, gate = gate_.get_future().share()] {
      db.in_transaction([&](Connection& c) {
        c.execute(kInsertNote, {1, "first"});
        gate.wait();
      });
    });
  }
  // release lets the first transaction commit, once the writes started before it had time to queue.
  void release() {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    gate_.set_value();
    first_.get();
  }

 private:
  std::promise<void> gate_;
  std::future<void> first_;
};

TEST(WriteBatch, SqliteWritesQueuedBehindARunningTransactionCommitAsOneBatch) {
  TestDatabase t(Dialect::sqlite, DatabaseOptions{.pool_size = 2});
  t.db().acquire().execute(kCreateNotes);
  ASSERT_NE(t.db().write_batch(), nullptr);
  const WriteBatchStats before = t.db().write_batch()->stats();

  BlockedBatch blocked(t.db());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the first write leads its own batch
  std::vector<std::future<std::int64_t>> writes;
  for (std::int64_t id = 2; id <= 9; ++id) {
    writes.push_back(std::async(std::launch::async, [&t, id] {
      return t.db().in_transaction([&](Connection& c) {
        c.execute(kInsertNote, {id, "note " + std::to_string(id)});
        return id * 10;
      });
    }));
  }
  blocked.release();
  for (std::int64_t id = 2; id <= 9; ++id) EXPECT_EQ(writes[static_cast<std::size_t>(id - 2)].get(), id * 10);

  const WriteBatchStats after = t.db().write_batch()->stats();
  EXPECT_EQ(after.writes - before.writes, 9U);
  EXPECT_EQ(after.batches - before.batches, 2U);  // the first alone, then the eight queued behind it
  EXPECT_EQ(note_ids(t.db()), (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  t.reopen();  // committed, not just visible to this process's connections
  EXPECT_EQ(note_ids(t.db()).size(), 9U);
}

TEST(WriteBatch, AFailingWriteRollsBackOnlyItsOwnChangesAndGetsItsOwnError) {
  TestDatabase t(Dialect::sqlite, DatabaseOptions{.pool_size = 2});
  t.db().acquire().execute(kCreateNotes);

  BlockedBatch blocked(t.db());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto throws = std::async(std::launch::async, [&t] {
    t.db().in_transaction([](Connection& c) {
      c.execute(kInsertNote, {10, "written, then abandoned"});
      throw std::invalid_argument("handler refused");
    });
  });
  auto duplicate = std::async(std::launch::async, [&t] {
    t.db().in_transaction([](Connection& c) {
      c.execute(kInsertNote, {11, "kept only if the whole write succeeds"});
      c.execute(kInsertNote, {12, "first"});  // body is UNIQUE: "first" is taken
    });
  });
  auto succeeds = std::async(std::launch::async, [&t] {
    t.db().in_transaction([](Connection& c) { c.execute(kInsertNote, {13, "fine"}); });
  });
  blocked.release();

  EXPECT_THROW(throws.get(), std::invalid_argument);
  try {
    duplicate.get();
    ADD_FAILURE() << "the duplicate write reported success";
  } catch (const DatabaseError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::constraint_unique);
  }
  EXPECT_NO_THROW(succeeds.get());
  EXPECT_EQ(note_ids(t.db()), (std::vector<std::int64_t>{1, 13}));
}

TEST(WriteBatch, AWriteTransactionInsideAnotherIsRefusedNotDeadlocked) {
  TestDatabase t(Dialect::sqlite);
  t.db().acquire().execute(kCreateNotes);
  EXPECT_THROW(t.db().in_transaction([&](Connection& c) {
    c.execute(kInsertNote, {1, "outer"});
    t.db().in_transaction([](Connection& inner) { inner.execute(kInsertNote, {2, "inner"}); });
  }),
               DatabaseError);
  EXPECT_TRUE(note_ids(t.db()).empty());
  t.db().in_transaction([](Connection& c) { c.execute(kInsertNote, {3, "afterwards"}); });
  EXPECT_EQ(note_ids(t.db()), (std::vector<std::int64_t>{3}));
}

TEST(WriteBatch, PostgresqlTransactionsAreNotBatched) {
  if (!TestDatabase::postgres_url()) GTEST_SKIP() << "KEEL_TEST_POSTGRES_URL is not set";
  TestDatabase t(Dialect::postgresql);
  EXPECT_EQ(t.db().write_batch(), nullptr);
}

}  // namespace
}  // namespace keel::db
