// keel/jobs/test_support.hpp — shared pieces of the keel::jobs tests (test-only).
//
// A migrated throwaway database whose catalog is enforced (so every statement
// the queue runs must be in kJobStatements), a clock tests move by hand, a
// logger that swallows the runner's warnings, and a bounded wait for
// conditions that worker threads make true.
//
//   class RunnerTest : public keel::db::testing::DialectTest {};
//   TEST_P(RunnerTest, X) {
//     JobsDatabase t(GetParam());
//     FakeClock clock;
//     keel::db::Connection connection = t.db().acquire();
//     keel::jobs::enqueue(connection, {.kind = "k"}, clock.function());
//     ASSERT_TRUE(eventually([&] { return ...; }));
//   }
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "keel/db/migrations.hpp"
#include "keel/db/test_fixture.hpp"
#include "keel/jobs/job.hpp"
#include "keel/jobs/jobs_sql.hpp"
#include "keel/observability/logger.hpp"

namespace keel::jobs::testing {

// kStart is the fake clock's starting time: 2026-11-27T00:00:00Z, a whole number of hours.
inline constexpr std::int64_t kStart = 1'795'737'600'000;

// FakeClock is a Clock tests move explicitly.
class FakeClock {
 public:
  std::int64_t now() const { return now_.load(); }
  void advance(std::chrono::milliseconds by) { now_ += by.count(); }
  // function returns a Clock reading this object (which must outlive it).
  Clock function() {
    return [this] { return now_.load(); };
  }

 private:
  std::atomic<std::int64_t> now_{kStart};
};

// kDeleteAllJobs empties the table between tests.
inline constexpr db::Statement kDeleteAllJobs{"test.jobs.delete_all", "DELETE FROM jobs",
                                              db::FullScan{"tests empty the table between cases"}};
inline constexpr const db::Statement* kTestStatements[] = {&kDeleteAllJobs};

// JobsDatabase is a migrated database with an empty jobs table and the jobs
// statements registered and enforced. Migrating costs 150–300 ms (SQLite syncs
// every commit; PostgreSQL runs every migration), so each dialect's database is
// migrated once per process and emptied per test; tests run one at a time.
class JobsDatabase {
 public:
  explicit JobsDatabase(db::Dialect dialect) : test_(shared(dialect)) {
    test_.db().acquire().execute(kDeleteAllJobs);
  }
  db::Database& db() { return test_.db(); }
  // second opens another Database on the same database, as a second process would.
  std::unique_ptr<db::Database> second() {
    auto other = std::make_unique<db::Database>(test_.options());
    other->register_statements(kJobStatements);
    return other;
  }

 private:
  static db::testing::TestDatabase& shared(db::Dialect dialect) {
    const auto prepare = [](db::testing::TestDatabase& test) {
      db::migrations::up(test.db());
      test.db().register_statements(kJobStatements);
      test.db().register_statements(kTestStatements);
      return &test;
    };
    if (dialect == db::Dialect::sqlite) {
      static db::testing::TestDatabase sqlite(db::Dialect::sqlite, options());
      static db::testing::TestDatabase* const ready = prepare(sqlite);
      return *ready;
    }
    static db::testing::TestDatabase postgresql(db::Dialect::postgresql, options());
    static db::testing::TestDatabase* const ready = prepare(postgresql);
    return *ready;
  }
  static db::DatabaseOptions options() {
    db::DatabaseOptions options;
    options.pool_size = 6;
    options.enforce_catalog = true;
    return options;
  }
  db::testing::TestDatabase& test_;
};

// quiet_logger discards the runner's log lines (failures are expected in these tests).
inline observability::Logger& quiet_logger() {
  static observability::Logger logger(observability::LoggerOptions{.writer = [](std::string_view) {}});
  return logger;
}

// eventually polls `condition` every 2 ms until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace keel::jobs::testing
