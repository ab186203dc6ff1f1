#include "keel/jobs/commands.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <sstream>

#include "keel/jobs/queue.hpp"
#include "keel/jobs/test_support.hpp"

namespace keel::jobs {
namespace {

using db::testing::DialectTest;
using testing::FakeClock;
using ::testing::HasSubstr;
using testing::JobsDatabase;
using ::testing::Not;

// Captured is one command's output streams.
struct Captured {
  std::ostringstream out;
  std::ostringstream err;
  db::commands::Output output() { return db::commands::Output{out, err, false}; }
  // lines parses every line of `out` as a JSON object.
  std::vector<boost::json::object> lines() const {
    std::vector<boost::json::object> parsed;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) parsed.push_back(boost::json::parse(line).as_object());
    return parsed;
  }
};

// dead_job runs a job's only attempt into the dead state, failing with `error`.
std::string dead_job(db::Database& db, FakeClock& clock, std::string_view error) {
  db::Connection connection = db.acquire();
  const std::string id = enqueue(
      connection, {.kind = "email.send", .payload_json = R"({"to":"ada@example.com"})", .max_attempts = 1},
      clock.function());
  const std::optional<Claim> claim = claim_next(connection, {.worker = "w", .now_ms = clock.now()});
  EXPECT_TRUE(claim.has_value());
  EXPECT_TRUE(mark_dead(connection, claim->job, "w", error, clock.now()));
  return id;
}

class CommandsTest : public DialectTest {};

TEST_P(CommandsTest, ListPrintsOneJsonLinePerJobWithoutPayloads) {
  JobsDatabase t(GetParam());
  FakeClock clock;
  const std::string dead = dead_job(t.db(), clock, "smtp: 550 mailbox unavailable");
  {
    db::Connection connection = t.db().acquire();
    enqueue(connection, {.kind = "email.send", .idempotency_key = "welcome:7"}, clock.function());
  }

  Captured all;
  EXPECT_EQ(commands::list(t.db(), std::nullopt, 100, all.output()), 0);
  EXPECT_EQ(all.lines().size(), 2U);
  EXPECT_THAT(all.out.str(), Not(HasSubstr("ada@example.com")));

  Captured only_dead;
  EXPECT_EQ(commands::list(t.db(), "dead", 100, only_dead.output()), 0);
  const std::vector<boost::json::object> lines = only_dead.lines();
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0].at("id").as_string(), dead);
  EXPECT_EQ(lines[0].at("state").as_string(), "dead");
  EXPECT_EQ(lines[0].at("attempts").as_int64(), 1);
  EXPECT_EQ(lines[0].at("last_error").as_string(), "smtp: 550 mailbox unavailable");
  EXPECT_EQ(lines[0].at("run_at").as_string(), "2026-11-27T00:00:00.000Z");
  EXPECT_TRUE(lines[0].at("locked_by").is_null());
  EXPECT_FALSE(lines[0].contains("payload"));

  Captured bad;
  EXPECT_EQ(commands::list(t.db(), "stuck", 100, bad.output()), db::commands::kExitUsage);
  EXPECT_THAT(bad.err.str(), HasSubstr("--state must be queued, running, succeeded or dead"));
  EXPECT_EQ(bad.lines().at(0).at("ok").as_bool(), false);
  Captured bad_limit;
  EXPECT_EQ(commands::list(t.db(), std::nullopt, 0, bad_limit.output()), db::commands::kExitUsage);
}

TEST_P(CommandsTest, RetryRequeuesADeadJobOnly) {
  JobsDatabase t(GetParam());
  FakeClock clock;
  const std::string dead = dead_job(t.db(), clock, "boom");
  clock.advance(std::chrono::minutes(5));

  Captured retried;
  EXPECT_EQ(commands::retry(t.db(), dead, retried.output(), clock.function()), 0);
  EXPECT_EQ(retried.lines().at(0).at("ok").as_bool(), true);
  db::Connection connection = t.db().acquire();
  const JobRecord job = find_job(connection, dead).value();
  EXPECT_EQ(job.state, JobState::queued);
  EXPECT_EQ(job.attempts, 0);
  EXPECT_EQ(job.run_at, clock.now());

  ASSERT_TRUE(claim_next(connection, {.worker = "w", .now_ms = clock.now()}));
  Captured running;
  EXPECT_EQ(commands::retry(t.db(), dead, running.output(), clock.function()), db::commands::kExitFailure);
  EXPECT_THAT(running.err.str(), HasSubstr("the job is running"));
  Captured missing;
  EXPECT_EQ(commands::retry(t.db(), "no-such-id", missing.output(), clock.function()),
            db::commands::kExitFailure);
  EXPECT_EQ(missing.lines().at(0).at("kind").as_string(), "not_found");
}

TEST_P(CommandsTest, PurgeDeadHonoursTheAge) {
  JobsDatabase t(GetParam());
  FakeClock clock;
  dead_job(t.db(), clock, "old");
  clock.advance(std::chrono::hours(24 * 3));
  const std::string recent = dead_job(t.db(), clock, "recent");

  Captured week;
  EXPECT_EQ(commands::purge_dead(t.db(), 7, week.output(), clock.function()), 0);
  EXPECT_EQ(week.lines().at(0).at("deleted").as_int64(), 0);
  Captured two_days;
  EXPECT_EQ(commands::purge_dead(t.db(), 2, two_days.output(), clock.function()), 0);
  EXPECT_EQ(two_days.lines().at(0).at("deleted").as_int64(), 1);
  {
    db::Connection connection = t.db().acquire();
    EXPECT_TRUE(find_job(connection, recent).has_value());
  }
  Captured all;
  EXPECT_EQ(commands::purge_dead(t.db(), 0, all.output(), clock.function()), 0);
  EXPECT_EQ(all.lines().at(0).at("deleted").as_int64(), 1);
  Captured negative;
  EXPECT_EQ(commands::purge_dead(t.db(), -1, negative.output(), clock.function()), db::commands::kExitUsage);
}

KEEL_DB_BOTH_DIALECTS(CommandsTest);

TEST(Commands, AnUnreachableDatabaseExitsWith69) {
  db::DatabaseOptions options;
  options.url = "postgresql://keel@127.0.0.1:1/keel?sslmode=disable";
  options.timeout = std::chrono::milliseconds(500);
  db::Database unreachable(options);
  Captured captured;
  EXPECT_EQ(commands::list(unreachable, std::nullopt, 10, captured.output()), db::commands::kExitUnavailable);
  EXPECT_EQ(captured.lines().at(0).at("kind").as_string(), "unavailable");
}

}  // namespace
}  // namespace keel::jobs
