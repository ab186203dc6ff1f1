#include "keel/jobs/runner.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <mutex>
#include <stdexcept>

#include "keel/jobs/test_support.hpp"

namespace keel::jobs {
namespace {

using db::testing::DialectTest;
using testing::eventually;
using testing::FakeClock;
using ::testing::HasSubstr;
using testing::JobsDatabase;
using testing::quiet_logger;
using namespace std::chrono_literals;

RunnerOptions fast_options(FakeClock& clock, std::string name = "test") {
  return RunnerOptions{.name = std::move(name),
                       .poll_interval = 5ms,
                       .visibility_timeout = 60s,
                       .clock = clock.function(),
                       .logger = &quiet_logger()};
}

std::string enqueue_now(db::Database& db, const JobRequest& request, FakeClock& clock) {
  return db.in_transaction([&](db::Connection& c) { return enqueue(c, request, clock.function()); });
}

JobRecord load(db::Database& db, const std::string& id) {
  db::Connection connection = db.acquire();
  return find_job(connection, id).value_or(JobRecord{});
}

bool in_state(db::Database& db, const std::string& id, JobState state) { return load(db, id).state == state; }

class RunnerTest : public DialectTest {};

TEST_P(RunnerTest, ACommittedJobRunsOnceAndSucceeds) {
  JobsDatabase t(GetParam());
  FakeClock clock;
  observability::MetricsRegistry registry;
  RunnerOptions options = fast_options(clock);
  options.metrics = &registry;
  JobRunner runner(t.db(), options);
  std::atomic<int> runs{0};
  std::string seen_payload;
  runner.register_handler("test.hello", [&](const Job& job) {
    seen_payload = job.payload_json;
    ++runs;
  });
  runner.start(2);
  const std::string id = enqueue_now(t.db(), {.kind = "test.hello", .payload_json = R"({"to":"x"})"}, clock);
  ASSERT_TRUE(eventually([&] { return in_state(t.db(), id, JobState::succeeded); }));
  ASSERT_TRUE(runner.stop(1s));
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(seen_payload, R"({"to":"x"})");
  const JobRecord job = load(t.db(), id);
  EXPECT_EQ(job.attempts, 1);
  EXPECT_EQ(job.finished_at, clock.now());
  EXPECT_EQ(runner.counters().succeeded, 1U);
  EXPECT_EQ(runner.counters().failed, 0U);
  const std::string metrics = registry.render();
  EXPECT_THAT(metrics, HasSubstr(R"(keel_jobs_runs_total{kind="test.hello",outcome="succeeded"} 1)"));
  EXPECT_THAT(metrics, HasSubstr(R"(keel_jobs_duration_seconds_count{kind="test.hello"} 1)"));
  EXPECT_THAT(metrics, HasSubstr(R"(keel_jobs_depth{state="succeeded"} )"));  // refreshed at start
}

TEST_P(RunnerTest, FailuresAreRetriedWithBackoffThenDead) {
  JobsDatabase t(GetParam());
  FakeClock clock;
  JobRunner runner(t.db(), fast_options(clock));
  std::atomic<int> runs{0};
  runner.register_handler("test.fail", [&](const Job& job) {
    ++runs;
    throw std::runtime_error("smtp refused attempt " + std::to_string(job.attempt));
  });
  runner.start(1);
  const std::string id = enqueue_now(t.db(), {.kind = "test.fail", .max_attempts = 3}, clock);

  // Attempt n fails → due again 2^n s × [0.5, 1.5) later.
  for (int attempt = 1; attempt <= 2; ++attempt) {
    ASSERT_TRUE(eventually([&] {
      return load(t.db(), id).attempts == attempt && in_state(t.db(), id, JobState::queued);
    })) << "attempt "
        << attempt;
    const JobRecord job = load(t.db(), id);
    const std::int64_t base = std::int64_t{1000} << attempt;
    EXPECT_GE(job.run_at, clock.now() + base / 2);
    EXPECT_LT(job.run_at, clock.now() + base * 3 / 2);
    EXPECT_EQ(job.last_error, "smtp refused attempt " + std::to_string(attempt));
    std::this_thread::sleep_for(20ms);  // polls happen, but the retry is not due yet
    EXPECT_EQ(runs.load(), attempt);
    clock.advance(std::chrono::milliseconds(job.run_at - clock.now()));
  }
  ASSERT_TRUE(eventually([&] { return in_state(t.db(), id, JobState::dead); }));
  const JobRecord dead = load(t.db(), id);
  EXPECT_EQ(dead.attempts, 3);
  EXPECT_EQ(dead.last_error, "smtp refused attempt 3");
  EXPECT_EQ(dead.finished_at, clock.now());
  EXPECT_TRUE(runner.stop(1s));
  EXPECT_EQ(runs.load(), 3);
  EXPECT_EQ(runner.counters().failed, 2U);
  EXPECT_EQ(runner.counters().dead, 1U);
}

TEST_P(RunnerTest, AFutureJobWaitsForItsTime) {
  JobsDatabase t(GetParam());
  FakeClock clock;
  JobRunner runner(t.db(), fast_options(clock));
  std::atomic<int> runs{0};
  runner.register_handler("test.later", [&](const Job&) { ++runs; });
  runner.start(1);
  const std::string id = enqueue_now(t.db(), {.kind = "test.later", .run_at = clock.now() + 60'000}, clock);
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(runs.load(), 0);
  EXPECT_TRUE(in_state(t.db(), id, JobState::queued));
  clock.advance(60s);
  ASSERT_TRUE(eventually([&] { return in_state(t.db(), id, JobState::succeeded); }));
  EXPECT_EQ(runs.load(), 1);
}

TEST_P(RunnerTest, AJobOfACrashedWorkerRunsAgainAfterTheVisibilityTimeout) {
  JobsDatabase t(GetParam());
  FakeClock clock;
  const std::string id = enqueue_now(t.db(), {.kind = "test.crash"}, clock);
  {
    db::Connection connection = t.db().acquire();
    ASSERT_TRUE(
        claim_next(connection, {.worker = "crashed#0", .now_ms = clock.now(), .visibility_timeout = 60s}));
  }
  JobRunner runner(t.db(), fast_options(clock));
  std::atomic<int> runs{0};
  runner.register_handler("test.crash", [&](const Job& job) {
    EXPECT_EQ(job.attempt, 2);
    ++runs;
  });
  runner.start(1);
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(runs.load(), 0);  // still locked by the crashed worker
  clock.advance(61s);
  ASSERT_TRUE(eventually([&] { return in_state(t.db(), id, JobState::succeeded); }));
  EXPECT_EQ(runs.load(), 1);
}

TEST_P(RunnerTest, APeriodicJobRunsOncePerPeriodAcrossRunners) {
  JobsDatabase t(GetParam());
  std::unique_ptr<db::Database> other_db = t.second();
  FakeClock clock;
  std::mutex mutex;
  std::map<std::int64_t, int> runs_per_period;  // guarded by mutex
  const auto handler = [&](const Job& job) {
    const auto colon = job.idempotency_key.value_or("").rfind(':');
    std::lock_guard lock(mutex);
    ++runs_per_period[std::stoll(job.idempotency_key->substr(colon + 1))];
  };
  JobRunner a(t.db(), fast_options(clock, "a"));
  JobRunner b(*other_db, fast_options(clock, "b"));
  for (JobRunner* runner : {&a, &b}) runner->register_periodic("retention", 1h, handler);
  a.start(2);
  b.start(2);
  const std::int64_t first = clock.now() / 3'600'000;
  const auto periods_done = [&](std::size_t n) {
    std::lock_guard lock(mutex);
    return runs_per_period.size() >= n;
  };
  ASSERT_TRUE(eventually([&] { return periods_done(1); }));
  for (std::size_t period = 2; period <= 3; ++period) {
    std::this_thread::sleep_for(20ms);  // both runners poll; the next period is not due
    EXPECT_FALSE(periods_done(period));
    clock.advance(1h);
    ASSERT_TRUE(eventually([&] { return periods_done(period); })) << period;
  }
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(a.stop(1s));
  ASSERT_TRUE(b.stop(1s));
  std::lock_guard lock(mutex);
  EXPECT_EQ(runs_per_period, (std::map<std::int64_t, int>{{first, 1}, {first + 1, 1}, {first + 2, 1}}));
  db::Connection connection = t.db().acquire();
  EXPECT_EQ(depth_by_state(connection).at(JobState::queued), 1);  // the next period waits
  EXPECT_EQ(a.counters().succeeded + b.counters().succeeded, 3U);
}

TEST_P(RunnerTest, TwoRunnersRunEveryJobExactlyOnce) {
  JobsDatabase t(GetParam());
  std::unique_ptr<db::Database> other_db = t.second();
  FakeClock clock;
  constexpr int kJobs = 200;
  std::vector<std::string> ids;
  t.db().in_transaction([&](db::Connection& c) {
    for (int i = 0; i < kJobs; ++i) ids.push_back(enqueue(c, {.kind = "test.count"}, clock.function()));
  });
  std::mutex mutex;
  std::map<std::string, int> runs;  // guarded by mutex
  std::atomic<int> total{0};
  const auto handler = [&](const Job& job) {
    {
      std::lock_guard lock(mutex);
      ++runs[job.id];
    }
    ++total;
  };
  JobRunner a(t.db(), fast_options(clock, "a"));
  JobRunner b(*other_db, fast_options(clock, "b"));
  a.register_handler("test.count", handler);
  b.register_handler("test.count", handler);
  a.start(3);
  b.start(3);
  ASSERT_TRUE(eventually([&] { return total.load() >= kJobs; }, 8s)) << total.load();
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(a.stop(1s));
  ASSERT_TRUE(b.stop(1s));
  std::lock_guard lock(mutex);
  EXPECT_EQ(total.load(), kJobs);
  ASSERT_EQ(runs.size(), static_cast<std::size_t>(kJobs));
  for (const std::string& id : ids) EXPECT_EQ(runs[id], 1) << id;
  EXPECT_EQ(a.counters().succeeded + b.counters().succeeded, static_cast<std::uint64_t>(kJobs));
  if (GetParam() == db::Dialect::postgresql) {
    // SKIP LOCKED shares the work. (SQLite has one writer at a time and no fair queue
    // for its lock, so with instant handlers one process may take every job.)
    EXPECT_GT(a.counters().succeeded, 0U);
    EXPECT_GT(b.counters().succeeded, 0U);
  }
  db::Connection connection = t.db().acquire();
  EXPECT_EQ(depth_by_state(connection).at(JobState::succeeded), kJobs);
}

TEST_P(RunnerTest, StopWaitsForTheRunningJobAndLeavesQueuedJobsQueued) {
  JobsDatabase t(GetParam());
  FakeClock clock;
  JobRunner runner(t.db(), fast_options(clock));
  std::promise<void> started;
  std::atomic<int> runs{0};
  runner.register_handler("test.slow", [&](const Job&) {
    if (runs++ == 0) started.set_value();
    std::this_thread::sleep_for(100ms);
  });
  const std::string first = enqueue_now(t.db(), {.kind = "test.slow"}, clock);
  runner.start(1);
  ASSERT_EQ(started.get_future().wait_for(5s), std::future_status::ready);
  const std::string second = enqueue_now(t.db(), {.kind = "test.slow"}, clock);
  const std::string third = enqueue_now(t.db(), {.kind = "test.slow"}, clock);
  EXPECT_TRUE(runner.stop(5s));
  EXPECT_EQ(runs.load(), 1);
  EXPECT_TRUE(in_state(t.db(), first, JobState::succeeded));
  EXPECT_TRUE(in_state(t.db(), second, JobState::queued));
  EXPECT_TRUE(in_state(t.db(), third, JobState::queued));
}

TEST_P(RunnerTest, AJobOverrunningTheGraceKeepsItsLock) {
  JobsDatabase t(GetParam());
  FakeClock clock;
  std::promise<void> started;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::string id;
  {
    JobRunner runner(t.db(), fast_options(clock));
    runner.register_handler("test.stuck", [&](const Job&) {
      started.set_value();
      released.wait();
    });
    id = enqueue_now(t.db(), {.kind = "test.stuck"}, clock);
    runner.start(1);
    ASSERT_EQ(started.get_future().wait_for(5s), std::future_status::ready);
    EXPECT_FALSE(runner.stop(30ms));
    const JobRecord running = load(t.db(), id);
    EXPECT_EQ(running.state, JobState::running);
    EXPECT_EQ(running.locked_by, "test#0");
    EXPECT_EQ(running.locked_until, clock.now() + 60'000);
    release.set_value();  // the destructor waits for the handler
  }
  EXPECT_TRUE(in_state(t.db(), id, JobState::succeeded));
}

TEST_P(RunnerTest, AJobWithoutAHandlerFailsAndNamesTheKind) {
  JobsDatabase t(GetParam());
  FakeClock clock;
  JobRunner runner(t.db(), fast_options(clock));
  runner.register_handler("test.known", [](const Job&) {});
  const std::string id = enqueue_now(t.db(), {.kind = "test.unknown", .max_attempts = 1}, clock);
  runner.start(1);
  ASSERT_TRUE(eventually([&] { return in_state(t.db(), id, JobState::dead); }));
  EXPECT_EQ(load(t.db(), id).last_error, "no handler is registered for job kind 'test.unknown'");
}

TEST_P(RunnerTest, APermanentErrorKillsTheJobAtOnce) {
  JobsDatabase t(GetParam());
  FakeClock clock;
  JobRunner runner(t.db(), fast_options(clock));
  runner.register_handler("email.send",
                          [](const Job&) { throw PermanentJobError("smtp: 550 mailbox unavailable"); });
  const std::string id = enqueue_now(t.db(), {.kind = "email.send", .max_attempts = 5}, clock);
  runner.start(1);
  ASSERT_TRUE(eventually([&] { return in_state(t.db(), id, JobState::dead); }));
  const JobRecord job = load(t.db(), id);
  EXPECT_EQ(job.attempts, 1);
  EXPECT_EQ(job.last_error, "smtp: 550 mailbox unavailable");
  EXPECT_TRUE(runner.stop(1s));
  EXPECT_EQ(runner.counters().dead, 1U);
  EXPECT_EQ(runner.counters().failed, 0U);
}

KEEL_DB_BOTH_DIALECTS(RunnerTest);

TEST(Backoff, DoublesPerAttemptWithJitterAndACap) {
  EXPECT_EQ(backoff_delay(1, 1.0, 1h), 2s);
  EXPECT_EQ(backoff_delay(3, 1.0, 1h), 8s);
  EXPECT_EQ(backoff_delay(3, 0.5, 1h), 4s);
  EXPECT_EQ(backoff_delay(3, 1.5, 1h), 12s);
  EXPECT_EQ(backoff_delay(3, 9.0, 1h), 12s);  // jitter clamped to [0.5, 1.5]
  EXPECT_EQ(backoff_delay(20, 1.0, 1h), 1h);
  EXPECT_EQ(backoff_delay(1000, 1.0, 1h), 1h);  // no overflow
}

TEST(Runner, RegistrationIsClosedOnceStarted) {
  JobsDatabase t(db::Dialect::sqlite);
  FakeClock clock;
  JobRunner runner(t.db(), fast_options(clock));
  EXPECT_THROW(runner.register_periodic("p", 0ms, [](const Job&) {}), std::invalid_argument);
  EXPECT_THROW(runner.start(0), std::invalid_argument);
  runner.start(1);
  EXPECT_THROW(runner.register_handler("late", [](const Job&) {}), std::logic_error);
  EXPECT_THROW(runner.start(1), std::logic_error);
  EXPECT_TRUE(runner.stop(1s));
  EXPECT_EQ(periodic_idempotency_key("retention", 42), "periodic:retention:42");
}

}  // namespace
}  // namespace keel::jobs
