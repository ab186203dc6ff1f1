// keel/jobs/runner.hpp — worker threads that run queued jobs, retry failures and schedule periodic jobs.
//
// A JobRunner claims due jobs (queue.hpp), calls the handler registered for
// their kind outside any transaction, and records the outcome: a handler that
// returns succeeded; one that throws failed, and its job is retried after
// backoff_delay() until max_attempts, then it is dead (at once when it threw
// PermanentJobError). Delivery is at least
// once — a worker that dies mid-job leaves its lock to expire (the visibility
// timeout) and another worker runs the job again — so handlers must be
// idempotent. Any number of runners, in one process or many, may share a database.
//
//   keel::jobs::JobRunner runner(db, {.metrics = &keel::observability::metrics()});
//   runner.register_handler("email.send", [&](const keel::jobs::Job& job) { mailer.send(job.payload_json);
//   }); runner.register_periodic("retention", std::chrono::hours(1), [&](const keel::jobs::Job&) {
//   purge_old(db); }); runner.start(settings.job_workers); … if (!runner.stop(std::chrono::seconds(10))) { /*
//   a job overran: its lock expires, another process retries it */ }
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "keel/db/database.hpp"
#include "keel/jobs/job.hpp"
#include "keel/jobs/queue.hpp"
#include "keel/observability/logger.hpp"
#include "keel/observability/metrics.hpp"

namespace keel::jobs {

// Handler runs one attempt of a job; throwing marks the attempt failed (the
// exception's message, redacted, becomes last_error: never put secrets in it).
using Handler = std::function<void(const Job&)>;

// PermanentJobError is thrown by a handler whose job can never succeed (a
// mail server's 550, a payload naming a deleted user): the job is dead at once,
// without its remaining attempts.
class PermanentJobError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// RunnerOptions tune a JobRunner; the defaults are production's.
struct RunnerOptions {
  std::string name{};                            // this process in locked_by; empty: "<host>:<pid>:<random>"
  std::chrono::milliseconds poll_interval{200};  // idle wait between polls (enqueue here wakes sooner)
  std::chrono::milliseconds visibility_timeout{
      std::chrono::minutes(5)};                                  // a claim's lock; longer jobs run twice
  std::chrono::milliseconds max_backoff{std::chrono::hours(1)};  // cap of backoff_delay
  Clock clock = system_clock_ms;                                 // job times; tests move it
  observability::MetricsRegistry* metrics = nullptr;             // registers keel_jobs_* when set
  std::chrono::milliseconds depth_refresh_interval{std::chrono::seconds(15)};  // keel_jobs_depth staleness
  observability::Logger* logger = nullptr;                                     // nullptr: the process logger
};

// RunnerCounters are this runner's totals since it started.
struct RunnerCounters {
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;               // failed attempts that were scheduled for a retry
  std::uint64_t dead = 0;                 // final failures
  std::uint64_t lost_claims = 0;          // outcomes dropped: the lock expired and another worker took over
  std::chrono::microseconds run_time{0};  // total handler time of the counted outcomes
};

// kJobDurationBuckets are keel_jobs_duration_seconds' bounds: jobs run from milliseconds to minutes.
inline constexpr std::array<double, 11> kJobDurationBuckets{0.005, 0.01, 0.05, 0.1, 0.5, 1,
                                                            5,     10,   30,   60,  300};

// backoff_delay is the wait before retrying after `attempts` failed runs:
// 2^attempts seconds × `jitter` (drawn from [0.5, 1.5) so failing jobs spread
// out), at most `cap`.
std::chrono::milliseconds backoff_delay(int attempts, double jitter, std::chrono::milliseconds cap);

// periodic_idempotency_key is "periodic:<name>:<period>", the key that makes each period run once.
std::string periodic_idempotency_key(std::string_view name, std::int64_t period);

// JobRunner owns worker threads polling one Database.
class JobRunner {
 public:
  // JobRunner registers its metrics (when options.metrics is set) but starts nothing.
  explicit JobRunner(db::Database& db, RunnerOptions options = {});
  // ~JobRunner stops claiming and waits for running handlers (call stop() first to bound the wait).
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // register_handler sets the handler of `kind`; before start() only (std::logic_error after).
  void register_handler(std::string kind, Handler handler);
  // register_periodic runs `handler` once per `interval` across every runner of
  // the database: periods are aligned to the Unix epoch, the job of period N
  // has the idempotency key periodic_idempotency_key(name, N) and, when it
  // finishes (succeeded or dead), enqueues period N+1 in the same transaction;
  // start() enqueues the current period. The handler sees kind == name and
  // payload {"period": N}. Before start() only.
  void register_periodic(std::string name, std::chrono::milliseconds interval, Handler handler,
                         int max_attempts = 3);

  // start launches `worker_count` (≥ 1) threads; once per runner (std::logic_error otherwise).
  void start(int worker_count);
  // stop stops claiming and waits up to `grace` for running handlers; queued
  // jobs stay queued. True when every worker finished; false when a handler
  // still runs (it keeps its lock; if the process exits now, the visibility
  // timeout lets another process retry the job).
  bool stop(std::chrono::milliseconds grace);

  // counters returns this runner's totals (also exported as keel_jobs_runs_total).
  RunnerCounters counters() const;
  // name is this runner's locked_by prefix; workers are "<name>#<index>".
  const std::string& name() const { return name_; }

 private:
  struct Periodic {
    std::chrono::milliseconds interval;
    int max_attempts;
  };
  enum class Outcome : std::uint8_t { succeeded, failed, dead };
  struct DepthCache;

  void work(int index);
  ClaimOptions claim_options(const std::string& worker) const;
  // run_due_jobs claims and runs jobs until none is due or the runner stops.
  void run_due_jobs(const std::string& worker);
  // run runs one claimed job and returns the next claim (made by finish).
  std::optional<Claim> run(const std::string& worker, const Claim& claim);
  // finish records an attempt's outcome and, unless stopping, claims the next job in the same transaction.
  std::optional<Claim> finish(const std::string& worker, const Job& job,
                              const std::optional<std::string>& error, bool permanent,
                              std::chrono::nanoseconds duration);
  void schedule_periodics();
  void schedule_next_period(db::Connection& connection, const Job& job);
  void refresh_depth();
  void count(const Job& job, Outcome outcome, std::chrono::nanoseconds duration);
  observability::Logger& log() const;

  db::Database& db_;
  RunnerOptions options_;
  std::string name_;
  std::map<std::string, Handler, std::less<>> handlers_;    // fixed once started
  std::map<std::string, Periodic, std::less<>> periodics_;  // fixed once started

  std::atomic<bool> stopping_{false};
  std::atomic<bool> periodics_pending_{false};  // start()'s scheduling of the current periods is still to do
  std::atomic<std::int64_t> next_depth_refresh_{0};  // steady-clock ns

  std::atomic<std::uint64_t> succeeded_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::uint64_t> dead_{0};
  std::atomic<std::uint64_t> lost_claims_{0};
  std::atomic<std::int64_t> run_time_us_{0};

  observability::CounterFamily* runs_metric_ = nullptr;
  observability::HistogramFamily* duration_metric_ = nullptr;
  observability::CallbackFamily* depth_metric_ = nullptr;
  std::shared_ptr<DepthCache> depth_;  // shared with the depth callbacks, which may outlive a scrape

  std::mutex mutex_;
  std::condition_variable exited_changed_;
  std::size_t exited_ = 0;  // guarded by mutex_
  bool started_ = false;    // guarded by mutex_
  std::vector<std::thread> workers_;
};

}  // namespace keel::jobs
