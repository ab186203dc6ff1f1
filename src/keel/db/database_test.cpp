#include "keel/db/database.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "keel/db/test_fixture.hpp"

namespace keel::db {
namespace {

using std::chrono::milliseconds;
using testing::TestDatabase;

constexpr Statement kCreateNotes{
    "test.create_notes",
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE, score REAL, flag BOOLEAN, "
    "data BLOB, parent INTEGER REFERENCES notes(id) ON DELETE CASCADE)",
    "CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT NOT NULL UNIQUE, score DOUBLE PRECISION, "
    "flag BOOLEAN, data BYTEA, parent BIGINT REFERENCES notes(id) ON DELETE CASCADE)"};
constexpr Statement kInsertNote{
    "test.insert_note",
    "INSERT INTO notes (id, body, score, flag, data, parent) VALUES ($1, $2, $3, $4, $5, $6)"};
constexpr Statement kNoteById{"test.note_by_id",
                              "SELECT id, body, score, flag, data, parent FROM notes WHERE id = $1"};
constexpr Statement kCountNotes{"test.count_notes", "SELECT count(*) AS n FROM notes"};
constexpr Statement kSlow{
    "test.slow",
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) "
    "SELECT count(*) FROM c",
    "SELECT pg_sleep(5)"};

void create_notes(Database& db) { db.acquire().execute(kCreateNotes); }

std::int64_t count_notes(Database& db) { return db.acquire().execute(kCountNotes)[0].get<std::int64_t>("n"); }

class DatabaseTest : public testing::DialectTest {};

TEST_P(DatabaseTest, BoundParametersStoreAnInjectionStringLiterally) {
  TestDatabase t(GetParam());
  create_notes(t.db());
  const std::string evil = "x'); DROP TABLE notes; -- $1 ?1";
  Connection conn = t.db().acquire();
  EXPECT_EQ(conn.execute(kInsertNote, {1, evil, nullptr, nullptr, nullptr, nullptr}).affected_rows(), 1);
  const Result r = conn.execute(kNoteById, {1});
  ASSERT_EQ(r.size(), 1U);
  EXPECT_EQ(r[0].get<std::string>("body"), evil);
  EXPECT_EQ(count_notes(t.db()), 1);  // the table is still there
}

TEST_P(DatabaseTest, TypedRowsAndNulls) {
  TestDatabase t(GetParam());
  create_notes(t.db());
  Connection conn = t.db().acquire();
  const Blob bytes{0, 1, 0x7f, 0x80, 0xff};
  conn.execute(kInsertNote, {1, "first", 2.25, true, bytes, nullptr});
  conn.execute(kInsertNote, {2, "second", std::optional<double>(), false, Blob{}, 1});
  const Row one = conn.execute(kNoteById, {1})[0];
  EXPECT_EQ(one.get<std::int64_t>("id"), 1);
  EXPECT_DOUBLE_EQ(one.get<double>("score"), 2.25);
  EXPECT_TRUE(one.get<bool>("flag"));
  EXPECT_EQ(one.get<Blob>("data"), bytes);
  EXPECT_EQ(one.get<std::optional<std::int64_t>>("parent"), std::nullopt);
  const Row two = conn.execute(kNoteById, {2})[0];
  EXPECT_EQ(two.get<std::optional<double>>("score"), std::nullopt);
  EXPECT_FALSE(two.get<bool>("flag"));
  EXPECT_EQ(two.get<Blob>("data"), Blob{});
  EXPECT_EQ(two.get<int>("parent"), 1);
  EXPECT_TRUE(conn.execute(kNoteById, {3}).empty());
}

TEST_P(DatabaseTest, PlaceholdersMayBeReorderedAndReused) {
  TestDatabase t(GetParam());
  const Row row = t.db().acquire().execute("SELECT $2 AS b, $1 AS a, $2 AS b2", {"one", "two"})[0];
  EXPECT_EQ(row.get<std::string>("a"), "one");
  EXPECT_EQ(row.get<std::string>("b"), "two");
  EXPECT_EQ(row.get<std::string>("b2"), "two");
  EXPECT_THROW(t.db().acquire().execute("SELECT $1 AS a, $2 AS b", {"only one"}), DatabaseError);
}

TEST_P(DatabaseTest, ConstraintViolationsAreTypedAndMessagesCarryNoValues) {
  TestDatabase t(GetParam());
  create_notes(t.db());
  Connection conn = t.db().acquire();
  conn.execute(kInsertNote, {1, "secret-body-value", nullptr, nullptr, nullptr, nullptr});
  try {
    conn.execute(kInsertNote, {2, "secret-body-value", nullptr, nullptr, nullptr, nullptr});
    FAIL() << "duplicate accepted";
  } catch (const DatabaseError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::constraint_unique);
    EXPECT_FALSE(e.constraint().empty());
    EXPECT_EQ(std::string(e.what()).find("secret-body-value"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("test.insert_note"), std::string::npos) << e.what();
  }
  try {
    conn.execute(kInsertNote, {3, "orphan", nullptr, nullptr, nullptr, 999});
    FAIL() << "dangling foreign key accepted";
  } catch (const DatabaseError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::constraint_foreign_key);
  }
  try {
    conn.execute(kInsertNote, {4, nullptr, nullptr, nullptr, nullptr, nullptr});
    FAIL() << "NULL body accepted";
  } catch (const DatabaseError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::constraint_other);
  }
  try {
    conn.execute(kInsertNote, {"not-a-number-secret", "x", nullptr, nullptr, nullptr, nullptr});
    FAIL() << "text accepted as an integer key";
  } catch (const DatabaseError& e) {
    EXPECT_EQ(std::string(e.what()).find("not-a-number-secret"), std::string::npos) << e.what();
  }
}

TEST_P(DatabaseTest, TransactionRollsBackOnExceptionAndCommitPersists) {
  TestDatabase t(GetParam());
  create_notes(t.db());
  EXPECT_THROW(t.db().in_transaction([](Connection& c) {
    c.execute(kInsertNote, {1, "kept?", nullptr, nullptr, nullptr, nullptr});
    throw std::runtime_error("handler failed");
  }),
               std::runtime_error);
  EXPECT_EQ(count_notes(t.db()), 0);
  {
    Connection conn = t.db().acquire();
    Transaction tx(conn);
    conn.execute(kInsertNote, {1, "a", nullptr, nullptr, nullptr, nullptr});
    EXPECT_THROW(conn.execute(kInsertNote, {1, "a", nullptr, nullptr, nullptr, nullptr}), DatabaseError);
    // PostgreSQL aborted the transaction: commit reports it instead of silently rolling back.
    if (GetParam() == Dialect::postgresql) {
      EXPECT_THROW(tx.commit(), DatabaseError);
    }
  }
  EXPECT_EQ(count_notes(t.db()), 0);
  const int id = t.db().in_transaction([](Connection& c) {
    c.execute(kInsertNote, {7, "committed", nullptr, nullptr, nullptr, nullptr});
    return 7;
  });
  EXPECT_EQ(id, 7);
  t.reopen();
  EXPECT_EQ(count_notes(t.db()), 1);
}

TEST_P(DatabaseTest, ConnectionReturnedInsideATransactionIsRolledBack) {
  TestDatabase t(GetParam(), DatabaseOptions{.pool_size = 1});
  create_notes(t.db());
  {
    Connection conn = t.db().acquire();
    conn.execute("BEGIN");
    conn.execute(kInsertNote, {1, "uncommitted", nullptr, nullptr, nullptr, nullptr});
  }
  Connection conn = t.db().acquire();
  EXPECT_FALSE(conn.in_transaction());
  EXPECT_EQ(conn.execute(kCountNotes)[0].get<std::int64_t>(0), 0);
}

TEST_P(DatabaseTest, PoolExhaustionFailsFastAsUnavailable) {
  TestDatabase t(GetParam(), DatabaseOptions{.pool_size = 1, .timeout = milliseconds(300)});
  Connection held = t.db().acquire();
  const auto started = std::chrono::steady_clock::now();
  const DatabaseError e = testing::database_error([&] { (void)t.db().acquire(); });
  EXPECT_EQ(e.kind(), ErrorKind::unavailable);
  EXPECT_NE(std::string(e.what()).find("exhausted"), std::string::npos) << e.what();
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, milliseconds(250));
  EXPECT_LT(waited, milliseconds(2000));
  const PoolStats stats = t.db().primary_pool().stats();
  EXPECT_EQ(stats.acquire_timeouts, 1U);
  EXPECT_EQ(stats.in_use, 1);
  EXPECT_EQ(stats.size, 1);
}

TEST_P(DatabaseTest, StatementTimeoutStopsALongQuery) {
  TestDatabase t(GetParam(), DatabaseOptions{.timeout = milliseconds(300)});
  Connection conn = t.db().acquire();
  const auto started = std::chrono::steady_clock::now();
  const DatabaseError e = testing::database_error([&] { conn.execute(kSlow); });
  EXPECT_EQ(e.kind(), ErrorKind::timeout) << e.what();
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(2500));
  EXPECT_EQ(conn.execute("SELECT 1 AS one")[0].get<int>(0), 1);  // still usable
}

TEST_P(DatabaseTest, ConcurrentWritersThroughThePool) {
  TestDatabase t(GetParam(), DatabaseOptions{.pool_size = 3});
  create_notes(t.db());
  std::vector<std::thread> writers;
  writers.reserve(4);
  std::atomic<int> failures{0};
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 15; ++i) {
        try {
          t.db().in_transaction([&](Connection& c) {
            c.execute(kInsertNote, {w * 1000 + i, "note " + std::to_string(w * 1000 + i), nullptr, nullptr,
                                    nullptr, nullptr});
          });
        } catch (const DatabaseError&) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& w : writers) w.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(count_notes(t.db()), 60);
  EXPECT_LE(t.db().primary_pool().stats().open, 3);
}

TEST_P(DatabaseTest, ReadQueriesUseTheReplicaPoolWhenConfigured) {
  TestDatabase t(GetParam());
  create_notes(t.db());
  DatabaseOptions options = t.options();
  options.read_url = t.url();  // the same database stands in for a replica
  Database db(options);
  ASSERT_NE(db.replica_pool(), nullptr);
  Connection reader = db.acquire_read();
  EXPECT_EQ(reader.execute(kCountNotes)[0].get<int>(0), 0);
  EXPECT_EQ(db.replica_pool()->stats().in_use, 1);
  EXPECT_EQ(db.primary_pool().stats().in_use, 0);
  EXPECT_EQ(t.db().replica_pool(), nullptr);
}

TEST_P(DatabaseTest, EnforcedCatalogRefusesUnregisteredStatements) {
  DatabaseOptions options;
  options.enforce_catalog = true;
  TestDatabase t(GetParam(), options);
  EXPECT_THROW(create_notes(t.db()), DatabaseError);  // even DDL must be registered
  static constexpr const Statement* kRegistered[] = {&kCreateNotes, &kCountNotes};
  t.db().register_statements(kRegistered);
  create_notes(t.db());
  Connection conn = t.db().acquire();
  EXPECT_EQ(conn.execute(kCountNotes)[0].get<int>(0), 0);
  try {
    conn.execute(kNoteById, {1});
    FAIL() << "unregistered statement ran";
  } catch (const DatabaseError& e) {
    EXPECT_NE(std::string(e.what()).find("test.note_by_id: not in the registered statement catalog"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(conn.execute("SELECT 1"), DatabaseError);
  static constexpr Statement kImpostor{"test.count_notes", "SELECT 2"};
  static constexpr const Statement* kClash[] = {&kImpostor};
  EXPECT_THROW(t.db().register_statements(kClash), DatabaseError);
}

TEST_P(DatabaseTest, ObserverSeesEveryStatementWithItsOutcome) {
  std::mutex mutex;
  std::vector<std::pair<std::string, std::optional<ErrorKind>>> seen;
  DatabaseOptions options;
  options.on_query = [&](const QueryEvent& e) {
    const std::lock_guard lock(mutex);
    seen.emplace_back(std::string(e.statement), e.error);
  };
  TestDatabase t(GetParam(), options);
  create_notes(t.db());
  Connection conn = t.db().acquire();
  conn.execute(kCountNotes);
  EXPECT_THROW(conn.execute(kInsertNote, {1, nullptr, nullptr, nullptr, nullptr, nullptr}), DatabaseError);
  ASSERT_EQ(seen.size(), 3U);
  EXPECT_EQ(seen[1].first, "test.count_notes");
  EXPECT_EQ(seen[1].second, std::nullopt);
  EXPECT_EQ(seen[2].first, "test.insert_note");
  EXPECT_EQ(seen[2].second, ErrorKind::constraint_other);
}

KEEL_DB_BOTH_DIALECTS(DatabaseTest);

TEST(Database, BadUrlsAreRejectedWithoutThePassword) {
  try {
    Database db(DatabaseOptions{.url = "mysql://keel:hunter2secret@db/keel"});
    FAIL() << "mysql URL accepted";
  } catch (const DatabaseError& e) {
    EXPECT_NE(std::string(e.what()).find("DATABASE_URL"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find("hunter2secret"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Database(DatabaseOptions{.url = "sqlite:///./x.db", .read_url = "postgresql://h/db"}),
               DatabaseError);
}

TEST(Database, UnreachablePostgresIsUnavailableQuicklyAndHidesThePassword) {
  // Port 1 on loopback refuses at once; the URL's password must not leak.
  Database db(DatabaseOptions{.url = "postgresql://keel:hunter2secret@127.0.0.1:1/keel?sslmode=disable",
                              .timeout = milliseconds(1000)});
  const auto started = std::chrono::steady_clock::now();
  const DatabaseError e = testing::database_error([&] { (void)db.acquire(); });
  EXPECT_EQ(e.kind(), ErrorKind::unavailable);
  EXPECT_EQ(std::string(e.what()).find("hunter2secret"), std::string::npos) << e.what();
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(1500));
  EXPECT_EQ(db.primary_pool().stats().connect_failures, 1U);
  EXPECT_EQ(db.primary_pool().stats().open, 0);
  EXPECT_EQ(db.redacted_url(), "postgresql://keel:***@127.0.0.1:1/keel?sslmode=disable");
}

TEST(Database, SqliteCreatesTheParentDirectoryAndUsesWalWithGroupCommit) {
  TestDatabase t(Dialect::sqlite);
  const std::filesystem::path nested = t.sqlite_path().parent_path() / "a" / "b" / "keel.db";
  Database db(DatabaseOptions{.url = "sqlite:///" + nested.string()});
  Connection conn = db.acquire();
  EXPECT_EQ(conn.execute("PRAGMA journal_mode")[0].get<std::string>(0), "wal");
  // NORMAL: the commit's fsync is the WAL hook's group commit (durability_test.cpp).
  EXPECT_EQ(conn.execute("PRAGMA synchronous")[0].get<int>(0), 1);
  EXPECT_EQ(conn.execute("PRAGMA foreign_keys")[0].get<int>(0), 1);
  EXPECT_EQ(conn.execute("PRAGMA busy_timeout")[0].get<int>(0), 5000);
  EXPECT_TRUE(std::filesystem::exists(nested));
}

}  // namespace
}  // namespace keel::db
