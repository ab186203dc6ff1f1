// SQLite durability: a row whose commit returned survives kill -9 of the
// process right afterwards (what a 201 promises the client).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keel/db/database.hpp"
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

}  // namespace
}  // namespace keel::db
