#include "keel/jobs/queue.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "keel/db/catalog.hpp"
#include "keel/db/transaction.hpp"
#include "keel/jobs/jobs_sql.hpp"
#include "keel/jobs/test_support.hpp"

namespace keel::jobs {
namespace {

using db::testing::DialectTest;
using testing::FakeClock;
using ::testing::HasSubstr;
using testing::JobsDatabase;
using ::testing::Not;

constexpr std::chrono::milliseconds kVisibility{60'000};

JobRecord load(db::Database& db, const std::string& id) {
  db::Connection connection = db.acquire();
  std::optional<JobRecord> job = find_job(connection, id);
  EXPECT_TRUE(job.has_value()) << id;
  return job.value_or(JobRecord{});
}

class QueueTest : public DialectTest {};

TEST_P(QueueTest, EnqueueBelongsToTheCallersTransaction) {
  JobsDatabase t(GetParam());
  FakeClock clock;
  std::string rolled_back;
  {
    db::Connection connection = t.db().acquire();
    db::Transaction transaction(connection);
    rolled_back = enqueue(connection, {.kind = "test.rollback"}, clock.function());
    ASSERT_TRUE(find_job(connection, rolled_back).has_value());  // visible inside the transaction
    transaction.rollback();
  }
  const std::string committed = t.db().in_transaction([&](db::Connection& c) {
    return enqueue(c, {.kind = "test.commit", .payload_json = R"({"n":1})"}, clock.function());
  });

  db::Connection connection = t.db().acquire();
  EXPECT_FALSE(find_job(connection, rolled_back).has_value());
  const JobRecord job = load(t.db(), committed);
  EXPECT_EQ(job.kind, "test.commit");
  EXPECT_EQ(job.payload_json, R"({"n":1})");
  EXPECT_EQ(job.state, JobState::queued);
  EXPECT_EQ(job.attempts, 0);
  EXPECT_EQ(job.max_attempts, kDefaultMaxAttempts);
  EXPECT_EQ(job.run_at, clock.now());
  EXPECT_EQ(job.created_at, clock.now());
  EXPECT_FALSE(job.finished_at.has_value());
  EXPECT_EQ(depth_by_state(connection).at(JobState::queued), 1);
}

TEST_P(QueueTest, ADuplicateIdempotencyKeyReturnsTheFirstJob) {
  JobsDatabase t(GetParam());
  db::Connection connection = t.db().acquire();
  const std::string first = enqueue(connection, {.kind = "email.send", .idempotency_key = "welcome:42"});
  const std::string again =
      enqueue(connection,
              {.kind = "email.send", .payload_json = R"({"other":true})", .idempotency_key = "welcome:42"});
  const std::string other = enqueue(connection, {.kind = "email.send", .idempotency_key = "welcome:43"});
  const std::string unkeyed_a = enqueue(connection, {.kind = "email.send"});
  const std::string unkeyed_b = enqueue(connection, {.kind = "email.send"});
  EXPECT_EQ(again, first);
  EXPECT_EQ(load(t.db(), first).payload_json, "{}");  // the duplicate changed nothing
  EXPECT_EQ(std::set<std::string>({first, other, unkeyed_a, unkeyed_b}).size(), 4U);
  EXPECT_EQ(depth_by_state(connection).at(JobState::queued), 4);
}

TEST_P(QueueTest, AJobIsNotClaimedBeforeItsRunAt) {
  JobsDatabase t(GetParam());
  FakeClock clock;
  db::Connection connection = t.db().acquire();
  const std::string later =
      enqueue(connection, {.kind = "test.later", .run_at = clock.now() + 10'000}, clock.function());
  EXPECT_FALSE(claim_next(connection, {.worker = "w", .now_ms = clock.now() + 9'999}).has_value());
  clock.advance(std::chrono::milliseconds(10'000));
  const std::optional<Claim> claim = claim_next(connection, {.worker = "w", .now_ms = clock.now()});
  ASSERT_TRUE(claim.has_value());
  EXPECT_EQ(claim->job.id, later);
  EXPECT_EQ(claim->job.attempt, 1);
  EXPECT_FALSE(claim->exhausted);
}

TEST_P(QueueTest, ClaimsTakeTheOldestDueJobFirst) {
  JobsDatabase t(GetParam());
  FakeClock clock;
  db::Connection connection = t.db().acquire();
  const std::string newer = enqueue(connection, {.kind = "k", .run_at = clock.now() - 10}, clock.function());
  const std::string older = enqueue(connection, {.kind = "k", .run_at = clock.now() - 20}, clock.function());
  EXPECT_EQ(claim_next(connection, {.worker = "w", .now_ms = clock.now()})->job.id, older);
  EXPECT_EQ(claim_next(connection, {.worker = "w", .now_ms = clock.now()})->job.id, newer);
  EXPECT_FALSE(claim_next(connection, {.worker = "w", .now_ms = clock.now()}).has_value());
}

TEST_P(QueueTest, AnExpiredLockIsReclaimedAndTheLateWorkersOutcomeIsDropped) {
  JobsDatabase t(GetParam());
  FakeClock clock;
  db::Connection connection = t.db().acquire();
  const std::string id = enqueue(connection, {.kind = "test.crash", .max_attempts = 2}, clock.function());

  const ClaimOptions crashed{.worker = "crashed#0", .now_ms = clock.now(), .visibility_timeout = kVisibility};
  const std::optional<Claim> first = claim_next(connection, crashed);
  ASSERT_TRUE(first.has_value());
  JobRecord running = load(t.db(), id);
  EXPECT_EQ(running.state, JobState::running);
  EXPECT_EQ(running.locked_by, "crashed#0");
  EXPECT_EQ(running.locked_until, clock.now() + kVisibility.count());

  // Still locked: nobody else may take it.
  EXPECT_FALSE(claim_next(connection, {.worker = "b#0", .now_ms = clock.now() + kVisibility.count() - 1}));
  clock.advance(kVisibility + std::chrono::milliseconds(1));
  const std::optional<Claim> second =
      claim_next(connection, {.worker = "b#0", .now_ms = clock.now(), .visibility_timeout = kVisibility});
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->job.id, id);
  EXPECT_EQ(second->job.attempt, 2);
  EXPECT_FALSE(second->exhausted);

  EXPECT_FALSE(mark_succeeded(connection, first->job, "crashed#0", clock.now()));  // too late: not its claim
  EXPECT_EQ(load(t.db(), id).state, JobState::running);
  EXPECT_TRUE(mark_succeeded(connection, second->job, "b#0", clock.now()));
  const JobRecord done = load(t.db(), id);
  EXPECT_EQ(done.state, JobState::succeeded);
  EXPECT_EQ(done.finished_at, clock.now());
  EXPECT_FALSE(done.locked_by.has_value());
}

TEST_P(QueueTest, AReclaimAfterTheFinalAttemptIsExhausted) {
  JobsDatabase t(GetParam());
  FakeClock clock;
  db::Connection connection = t.db().acquire();
  const std::string id = enqueue(connection, {.kind = "test.crash", .max_attempts = 1}, clock.function());
  ASSERT_TRUE(
      claim_next(connection, {.worker = "a", .now_ms = clock.now(), .visibility_timeout = kVisibility}));
  clock.advance(kVisibility * 2);
  const std::optional<Claim> again = claim_next(connection, {.worker = "b", .now_ms = clock.now()});
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->exhausted);
  EXPECT_TRUE(mark_dead(connection, again->job, "b", "lock expired", clock.now()));
  EXPECT_EQ(load(t.db(), id).state, JobState::dead);
}

TEST_P(QueueTest, ErrorsAreStoredRedactedTruncatedAndValidUtf8) {
  JobsDatabase t(GetParam());
  FakeClock clock;
  db::Connection connection = t.db().acquire();
  const std::string id = enqueue(connection, {.kind = "k"}, clock.function());
  std::optional<Claim> claim = claim_next(connection, {.worker = "w", .now_ms = clock.now()});
  ASSERT_TRUE(claim);
  const std::string error = "login failed: password=hunter2 \xff\xfe " + std::string(5000, 'x');
  EXPECT_TRUE(mark_retry(connection, claim->job, "w", clock.now() + 5, error, clock.now()));
  const JobRecord job = load(t.db(), id);
  EXPECT_EQ(job.state, JobState::queued);
  EXPECT_EQ(job.run_at, clock.now() + 5);
  ASSERT_TRUE(job.last_error.has_value());
  EXPECT_THAT(*job.last_error, Not(HasSubstr("hunter2")));
  EXPECT_THAT(*job.last_error, HasSubstr("[REDACTED] ?? xxx"));
  EXPECT_EQ(job.last_error->size(), kMaxErrorBytes);
}

TEST_P(QueueTest, RequeueListAndPurge) {
  JobsDatabase t(GetParam());
  FakeClock clock;
  db::Connection connection = t.db().acquire();
  const std::string dead = enqueue(connection, {.kind = "k", .max_attempts = 1}, clock.function());
  const std::string queued =
      enqueue(connection, {.kind = "k", .run_at = clock.now() + 1'000'000}, clock.function());
  std::optional<Claim> claim = claim_next(connection, {.worker = "w", .now_ms = clock.now()});
  ASSERT_TRUE(claim);
  ASSERT_TRUE(mark_dead(connection, claim->job, "w", "boom", clock.now()));

  std::vector<JobRecord> dead_jobs = list_jobs(connection, JobState::dead, 10);
  ASSERT_EQ(dead_jobs.size(), 1U);
  EXPECT_EQ(dead_jobs[0].id, dead);
  EXPECT_EQ(dead_jobs[0].last_error, "boom");
  EXPECT_EQ(list_jobs(connection, std::nullopt, 10).size(), 2U);
  EXPECT_EQ(list_jobs(connection, std::nullopt, 1).size(), 1U);

  clock.advance(std::chrono::milliseconds(100));
  EXPECT_TRUE(requeue(connection, dead, clock.now()));
  JobRecord revived = load(t.db(), dead);
  EXPECT_EQ(revived.state, JobState::queued);
  EXPECT_EQ(revived.attempts, 0);
  EXPECT_EQ(revived.run_at, clock.now());
  EXPECT_FALSE(revived.finished_at.has_value());
  EXPECT_FALSE(requeue(connection, "no-such-job", clock.now()));

  claim = claim_next(connection, {.worker = "w", .now_ms = clock.now()});
  ASSERT_TRUE(claim);
  EXPECT_FALSE(requeue(connection, claim->job.id, clock.now()));  // running jobs are left alone
  ASSERT_TRUE(mark_dead(connection, claim->job, "w", "boom again", clock.now()));
  EXPECT_EQ(purge(connection, JobState::dead, clock.now()), 0);  // finished at now: not before it
  EXPECT_EQ(purge(connection, JobState::dead, clock.now() + 1), 1);
  EXPECT_THROW(purge(connection, JobState::queued, clock.now()), std::invalid_argument);
  const auto depth = depth_by_state(connection);
  EXPECT_EQ(depth.at(JobState::queued), 1);
  EXPECT_EQ(depth.at(JobState::dead), 0);
  EXPECT_EQ(depth.at(JobState::running), 0);
  EXPECT_TRUE(find_job(connection, queued).has_value());
}

TEST_P(QueueTest, EveryStatementUsesAnIndex) {
  JobsDatabase t(GetParam());
  db::Connection connection = t.db().acquire();
  const std::string watched[] = {"jobs"};
  const db::ExplainReport report = db::explain_statements(connection, kJobStatements, watched);
  EXPECT_TRUE(report.ok()) << report.summary();
  ASSERT_EQ(report.accepted_scans.size(), 1U) << report.summary();
  EXPECT_EQ(report.accepted_scans[0].statement, "jobs.list_all");
}

KEEL_DB_BOTH_DIALECTS(QueueTest);

TEST(Queue, EnqueueRejectsMalformedRequests) {
  JobsDatabase t(db::Dialect::sqlite);
  db::Connection connection = t.db().acquire();
  EXPECT_THROW(enqueue(connection, {.kind = ""}), std::invalid_argument);
  EXPECT_THROW(enqueue(connection, {.kind = "k", .payload_json = "{not json"}), std::invalid_argument);
  EXPECT_THROW(enqueue(connection, {.kind = "k", .max_attempts = 0}), std::invalid_argument);
  EXPECT_EQ(depth_by_state(connection).at(JobState::queued), 0);
}

TEST(Queue, JobIdsAreVersion7UuidsInTimeOrder) {
  std::set<std::string> ids;
  std::string previous;
  for (int i = 0; i < 200; ++i) {
    const std::string id = new_job_id();
    ASSERT_EQ(id.size(), 36U);
    EXPECT_EQ(id[14], '7') << id;
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
    EXPECT_GE(id.substr(0, 13), previous.substr(0, std::min<std::size_t>(13, previous.size()))) << id;
    previous = id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 200U);
}

TEST(Queue, StatesRoundTrip) {
  for (const JobState state : {JobState::queued, JobState::running, JobState::succeeded, JobState::dead}) {
    EXPECT_EQ(parse_job_state(to_string(state)), state);
  }
  EXPECT_FALSE(parse_job_state("Queued").has_value());
}

}  // namespace
}  // namespace keel::jobs
