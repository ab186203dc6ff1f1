// PostgreSQL outage: stop the server under a live pool, expect fast
// `unavailable` errors (never a hang), start it again, expect the pool to
// reconnect by itself with every committed row still there.
#include <gtest/gtest.h>

#include <cstdlib>

#include "keel/db/database.hpp"
#include "keel/db/health.hpp"
#include "keel/db/test_fixture.hpp"

namespace keel::db {
namespace {

using std::chrono::milliseconds;

constexpr Statement kCreate{"test.create_ledger", "CREATE TABLE ledger (id BIGINT PRIMARY KEY)"};
constexpr Statement kInsert{"test.insert_ledger", "INSERT INTO ledger (id) VALUES ($1)"};
constexpr Statement kCount{"test.count_ledger", "SELECT count(*) FROM ledger"};

// ServerControl stops and starts the throwaway server through tests/support/postgres.sh.
class ServerControl {
 public:
  ServerControl(std::string script, std::string dir) : script_(std::move(script)), dir_(std::move(dir)) {}
  ~ServerControl() {
    if (stopped_) start();  // never leave the shared server down for the tests after us
  }
  ServerControl(const ServerControl&) = delete;
  ServerControl& operator=(const ServerControl&) = delete;

  bool stop() {
    stopped_ = run("stop '" + dir_ + "' --keep");
    return stopped_;
  }
  bool start() {
    const bool ok = run("start '" + dir_ + "'");
    if (ok) stopped_ = false;
    return ok;
  }

 private:
  // The test runs alone in its process: system() races with nothing.
  bool run(const std::string& args) const {
    const std::string command = "'" + script_ + "' " + args + " >/dev/null";
    return std::system(command.c_str()) == 0;  // NOLINT(concurrency-mt-unsafe)
  }

  std::string script_;
  std::string dir_;
  bool stopped_ = false;
};

TEST(PostgresFault, StopAndStartTheServerUnderALivePool) {
  const char* dir = std::getenv("KEEL_TEST_POSTGRES_DIR");        // NOLINT(concurrency-mt-unsafe)
  const char* script = std::getenv("KEEL_TEST_POSTGRES_SCRIPT");  // NOLINT(concurrency-mt-unsafe)
  if (!testing::TestDatabase::postgres_url() || dir == nullptr || script == nullptr) {
    GTEST_SKIP() << "needs KEEL_TEST_POSTGRES_URL, KEEL_TEST_POSTGRES_DIR and KEEL_TEST_POSTGRES_SCRIPT "
                    "(set by ctest's unit.db.postgres)";
  }
  testing::TestDatabase t(Dialect::postgresql,
                          DatabaseOptions{.pool_size = 2, .timeout = milliseconds(1000)});
  Database& db = t.db();
  db.acquire().execute(kCreate);
  db.acquire().execute(kInsert, {1});
  ASSERT_EQ(db.primary_pool().stats().open, 1);  // one idle, live connection

  ServerControl server(script, dir);
  ASSERT_TRUE(server.stop());
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto started = std::chrono::steady_clock::now();
    const DatabaseError e = testing::database_error([&] { db.acquire().execute(kCount); });
    EXPECT_EQ(e.kind(), ErrorKind::unavailable) << e.what();
    EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(1500));
  }
  const Probe down = readiness(db);
  EXPECT_FALSE(down.ok);
  EXPECT_EQ(down.reason, "unavailable");
  EXPECT_EQ(db.primary_pool().stats().open, 0);  // the dead connection was discarded

  ASSERT_TRUE(server.start());
  Connection conn = db.acquire();                     // no restart of the pool: it reconnects
  EXPECT_EQ(conn.execute(kCount)[0].get<int>(0), 1);  // the committed row survived
  conn.execute(kInsert, {2});
  EXPECT_EQ(conn.execute(kCount)[0].get<int>(0), 2);
  EXPECT_GE(db.primary_pool().stats().connect_failures, 1U);
}

}  // namespace
}  // namespace keel::db
