// keel/db/test_fixture.hpp — GoogleTest fixture running a test on both dialects.
//
// Tests derive from DialectTest and are instantiated for SQLite and
// PostgreSQL; the PostgreSQL instance skips (saying why) unless
// KEEL_TEST_POSTGRES_URL names a server (ctest's unit.db.postgres starts one).
// Test-only: included by *_test.cpp files.
//
//   class PoolTest : public DialectTest {};
//   TEST_P(PoolTest, Works) { TestDatabase t(GetParam()); ... }
//   KEEL_DB_BOTH_DIALECTS(PoolTest);
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "keel/db/error.hpp"
#include "keel/db/statement.hpp"
#include "keel/db/testing.hpp"

namespace keel::db {
// PrintTo makes GoogleTest name the dialect in failure messages (GoogleTest picks the name).
// NOLINTNEXTLINE(readability-identifier-naming)
inline void PrintTo(Dialect dialect, std::ostream* os) { *os << to_string(dialect); }
}  // namespace keel::db

namespace keel::db::testing {

// DialectTest skips the PostgreSQL instance when no server is configured.
class DialectTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    if (GetParam() == Dialect::postgresql && !TestDatabase::postgres_url()) {
      GTEST_SKIP()
          << "KEEL_TEST_POSTGRES_URL is not set; PostgreSQL cases run under ctest's unit.db.postgres";
    }
  }
};

// database_error runs `work` and returns the DatabaseError it threw (a test
// failure, and a placeholder error, when it threw none).
template <class Work>
DatabaseError database_error(Work&& work) {
  try {
    work();
  } catch (const DatabaseError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a keel::db::DatabaseError";
  return DatabaseError(ErrorKind::other, "no error was thrown");
}

// dialect_name names instances ".../sqlite" and ".../postgresql".
inline std::string dialect_name(const ::testing::TestParamInfo<Dialect>& info) {
  return std::string(to_string(info.param));
}

}  // namespace keel::db::testing

// KEEL_DB_BOTH_DIALECTS instantiates a DialectTest suite for SQLite and PostgreSQL.
#define KEEL_DB_BOTH_DIALECTS(suite)                                                                        \
  INSTANTIATE_TEST_SUITE_P(Dialects, suite,                                                                 \
                           ::testing::Values(::keel::db::Dialect::sqlite, ::keel::db::Dialect::postgresql), \
                           ::keel::db::testing::dialect_name)
