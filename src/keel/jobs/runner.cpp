#include "keel/jobs/runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cmath>
#include <random>
#include <stdexcept>

#include "keel/db/transaction.hpp"
#include "keel/jobs/wake_signal.hpp"

namespace keel::jobs {

namespace {

constexpr std::array<JobState, 4> kAllStates{JobState::queued, JobState::running, JobState::succeeded,
                                             JobState::dead};
// kMaxErrorBackoff bounds the wait between polls while the database fails.
constexpr std::chrono::milliseconds kMaxErrorBackoff{5000};

std::string default_runner_name() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  thread_local std::random_device device;
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string suffix;
  const std::uint32_t r = device();
  for (int i = 0; i < 4; ++i) suffix += kHex[(r >> (4 * i)) & 0xf];
  return std::string(host.data()) + ":" + std::to_string(::getpid()) + ":" + suffix;
}

double draw_jitter() {
  thread_local std::mt19937 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.5, 1.5)(generator);
}

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::chrono::milliseconds backoff_delay(int attempts, double jitter, std::chrono::milliseconds cap) {
  // 2^40 s is far beyond any sensible cap; clamping keeps the double exact and finite.
  const double base_seconds = std::ldexp(1.0, std::clamp(attempts, 0, 40));
  const double delay_ms = base_seconds * 1000.0 * std::clamp(jitter, 0.5, 1.5);
  return std::min(cap, std::chrono::milliseconds(static_cast<std::int64_t>(delay_ms)));
}

std::string periodic_idempotency_key(std::string_view name, std::int64_t period) {
  return "periodic:" + std::string(name) + ":" + std::to_string(period);
}

// DepthCache holds the last depth_by_state(); the keel_jobs_depth callbacks read it at scrape time
// (a scrape must not wait on the database).
struct JobRunner::DepthCache {
  std::array<std::atomic<std::int64_t>, 4> counts{};
  std::atomic<bool> known{false};
};

JobRunner::JobRunner(db::Database& db, RunnerOptions options)
    : db_(db),
      options_(std::move(options)),
      name_(options_.name.empty() ? default_runner_name() : options_.name) {
  if (!options_.clock) options_.clock = system_clock_ms;
  if (options_.metrics == nullptr) return;
  observability::MetricsRegistry& registry = *options_.metrics;
  runs_metric_ = &registry.counter(
      "keel_jobs_runs_total",
      "Job attempts by kind and outcome (succeeded; failed: a retry is scheduled; dead: final failure).",
      {"kind", "outcome"});
  duration_metric_ = &registry.histogram("keel_jobs_duration_seconds", "Handler run time of job attempts.",
                                         {"kind"}, kJobDurationBuckets);
  depth_metric_ =
      &registry.callback("keel_jobs_depth", "Jobs in the queue table by state (refreshed periodically).",
                         observability::MetricType::gauge, {"state"});
  depth_ = std::make_shared<DepthCache>();
  for (const JobState state : kAllStates) {
    depth_metric_->set({to_string(state)}, [cache = depth_, state]() -> std::optional<double> {
      if (!cache->known.load()) return std::nullopt;
      return static_cast<double>(cache->counts.at(static_cast<std::size_t>(state)).load());
    });
  }
}

JobRunner::~JobRunner() {
  stopping_ = true;
  detail::wake_signal().notify();
  for (std::thread& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  if (depth_metric_ != nullptr) {
    for (const JobState state : kAllStates) depth_metric_->remove({to_string(state)});
  }
}

void JobRunner::register_handler(std::string kind, Handler handler) {
  std::lock_guard lock(mutex_);
  if (started_) throw std::logic_error("JobRunner::register_handler after start()");
  if (kind.empty() || !handler)
    throw std::invalid_argument("JobRunner::register_handler needs a kind and a handler");
  handlers_[std::move(kind)] = std::move(handler);
}

void JobRunner::register_periodic(std::string name, std::chrono::milliseconds interval, Handler handler,
                                  int max_attempts) {
  std::lock_guard lock(mutex_);
  if (started_) throw std::logic_error("JobRunner::register_periodic after start()");
  if (name.empty() || !handler || interval.count() < 1 || max_attempts < 1) {
    throw std::invalid_argument(
        "JobRunner::register_periodic needs a name, a handler, and a positive interval and max_attempts");
  }
  periodics_[name] = Periodic{interval, max_attempts};
  handlers_[std::move(name)] = std::move(handler);
}

void JobRunner::start(int worker_count) {
  std::lock_guard lock(mutex_);
  if (started_) throw std::logic_error("JobRunner::start called twice");
  if (worker_count < 1) throw std::invalid_argument("JobRunner::start needs at least one worker");
  started_ = true;
  periodics_pending_ = !periodics_.empty();
  for (int i = 0; i < worker_count; ++i) workers_.emplace_back([this, i] { work(i); });
}

bool JobRunner::stop(std::chrono::milliseconds grace) {
  stopping_ = true;
  detail::wake_signal().notify();
  std::unique_lock lock(mutex_);
  const bool finished = exited_changed_.wait_for(lock, grace, [&] { return exited_ == workers_.size(); });
  lock.unlock();
  if (finished) {
    for (std::thread& worker : workers_) {
      if (worker.joinable()) worker.join();
    }
  }
  return finished;
}

RunnerCounters JobRunner::counters() const {
  return RunnerCounters{.succeeded = succeeded_.load(),
                        .failed = failed_.load(),
                        .dead = dead_.load(),
                        .lost_claims = lost_claims_.load(),
                        .run_time = std::chrono::microseconds(run_time_us_.load())};
}

observability::Logger& JobRunner::log() const {
  return options_.logger != nullptr ? *options_.logger : observability::logger();
}

void JobRunner::work(int index) {
  const std::string worker = name_ + "#" + std::to_string(index);
  std::chrono::milliseconds error_backoff{0};
  while (!stopping_) {
    // Read before polling: an enqueue between the poll and the wait still wakes us.
    const std::uint64_t seen = detail::wake_signal().generation();
    std::chrono::milliseconds wait = options_.poll_interval;
    try {
      if (periodics_pending_.exchange(false)) {
        try {
          schedule_periodics();
        } catch (...) {
          periodics_pending_ = true;  // another worker (or this one) tries again at its next poll
          throw;
        }
      }
      if (depth_ && steady_ns() >= next_depth_refresh_.load()) refresh_depth();
      run_due_jobs(worker);
      error_backoff = std::chrono::milliseconds(0);
    } catch (const std::exception& e) {
      // The database is down or timing out: wait longer each time, up to kMaxErrorBackoff.
      error_backoff = std::min(kMaxErrorBackoff, std::max(options_.poll_interval, error_backoff * 2));
      wait = error_backoff;
      log().warning("job worker cannot poll the queue", {{"worker", worker}, {"error", e.what()}});
    }
    detail::wake_signal().wait(seen, wait, [this] { return stopping_.load(); });
  }
  std::lock_guard lock(mutex_);
  ++exited_;
  exited_changed_.notify_all();
}

ClaimOptions JobRunner::claim_options(const std::string& worker) const {
  return ClaimOptions{
      .worker = worker, .now_ms = options_.clock(), .visibility_timeout = options_.visibility_timeout};
}

void JobRunner::run_due_jobs(const std::string& worker) {
  std::optional<Claim> claim;
  {
    // The connection goes back to the pool before the handler runs: handlers use the pool too.
    db::Connection connection = db_.acquire();
    claim = claim_next(connection, claim_options(worker));
  }
  while (claim) claim = run(worker, *claim);
}

std::optional<Claim> JobRunner::run(const std::string& worker, const Claim& claim) {
  const Job& job = claim.job;
  std::optional<std::string> error;
  bool permanent = false;
  const auto started = std::chrono::steady_clock::now();
  if (claim.exhausted) {
    error = "the final attempt's worker stopped before finishing (its lock expired)";
  } else if (const auto handler = handlers_.find(job.kind); handler == handlers_.end()) {
    error = "no handler is registered for job kind '" + job.kind + "'";
  } else {
    try {
      handler->second(job);
    } catch (const PermanentJobError& e) {
      error = *e.what() != '\0' ? e.what() : "the handler failed permanently without a message";
      permanent = true;
    } catch (const std::exception& e) {
      error = *e.what() != '\0' ? e.what() : "the handler failed without a message";
    } catch (...) {
      error = "the handler threw a non-standard exception";
    }
  }
  return finish(worker, job, error, permanent, std::chrono::steady_clock::now() - started);
}

std::optional<Claim> JobRunner::finish(const std::string& worker, const Job& job,
                                       const std::optional<std::string>& error, bool permanent,
                                       std::chrono::nanoseconds duration) {
  const std::int64_t now = options_.clock();
  const bool final = !error || permanent || job.attempt >= job.max_attempts;
  Outcome outcome = Outcome::succeeded;
  if (error) outcome = final ? Outcome::dead : Outcome::failed;
  db::Connection connection = db_.acquire();
  db::Transaction transaction(connection);
  bool ours = false;
  switch (outcome) {
    case Outcome::succeeded: ours = mark_succeeded(connection, job, worker, now); break;
    case Outcome::dead: ours = mark_dead(connection, job, worker, *error, now); break;
    case Outcome::failed: {
      const auto delay = backoff_delay(job.attempt, draw_jitter(), options_.max_backoff);
      ours = mark_retry(connection, job, worker, now + delay.count(), *error, now);
      break;
    }
  }
  // The next period is enqueued with this one's final state, so the chain cannot break in between.
  if (ours && final && periodics_.contains(job.kind)) schedule_next_period(connection, job);
  // Claiming the next job in the same transaction halves the commits (each one an fsync on SQLite).
  std::optional<Claim> next;
  if (!stopping_) next = claim_next(connection, claim_options(worker));
  transaction.commit();

  if (!ours) {
    ++lost_claims_;
    log().warning("job outcome dropped: its lock expired and another worker took the job",
                  {{"job_id", job.id}, {"kind", job.kind}, {"attempt", job.attempt}});
    return next;
  }
  count(job, outcome, duration);
  if (outcome == Outcome::dead) {
    log().error("job is dead after its final attempt",
                {{"job_id", job.id}, {"kind", job.kind}, {"attempt", job.attempt}, {"error", *error}});
  } else if (outcome == Outcome::failed) {
    log().warning("job attempt failed; retrying later",
                  {{"job_id", job.id}, {"kind", job.kind}, {"attempt", job.attempt}, {"error", *error}});
  }
  return next;
}

void JobRunner::schedule_periodics() {
  const std::int64_t now = options_.clock();
  db::Connection connection = db_.acquire();
  for (const auto& [name, periodic] : periodics_) {
    const std::int64_t period = now / periodic.interval.count();
    enqueue(connection,
            JobRequest{.kind = name,
                       .payload_json = R"({"period":)" + std::to_string(period) + "}",
                       .run_at = now,
                       .max_attempts = periodic.max_attempts,
                       .idempotency_key = periodic_idempotency_key(name, period)},
            options_.clock);
  }
}

void JobRunner::schedule_next_period(db::Connection& connection, const Job& job) {
  const Periodic& periodic = periodics_.find(job.kind)->second;
  const std::int64_t interval = periodic.interval.count();
  const std::int64_t now = options_.clock();
  // A run that was late (the process was down for a while) does not catch up
  // on every missed period: the next run is the next period that starts after now.
  std::int64_t next = now / interval + 1;
  boost::system::error_code parse_error;
  const boost::json::value payload = boost::json::parse(job.payload_json, parse_error);
  if (!parse_error && payload.is_object()) {
    if (const auto* period = payload.as_object().if_contains("period");
        period != nullptr && period->is_int64()) {
      next = std::max(next, period->as_int64() + 1);
    }
  }
  enqueue(connection,
          JobRequest{.kind = job.kind,
                     .payload_json = R"({"period":)" + std::to_string(next) + "}",
                     .run_at = next * interval,
                     .max_attempts = periodic.max_attempts,
                     .idempotency_key = periodic_idempotency_key(job.kind, next)},
          options_.clock);
}

void JobRunner::refresh_depth() {
  std::int64_t due = next_depth_refresh_.load();
  const std::int64_t now = steady_ns();
  const std::int64_t next = now + std::chrono::nanoseconds(options_.depth_refresh_interval).count();
  // One worker refreshes; the others go on polling.
  if (now < due || !next_depth_refresh_.compare_exchange_strong(due, next)) return;
  db::Connection connection = db_.acquire_read();
  for (const auto& [state, count] : depth_by_state(connection)) {
    depth_->counts.at(static_cast<std::size_t>(state)).store(count);
  }
  depth_->known = true;
}

void JobRunner::count(const Job& job, Outcome outcome, std::chrono::nanoseconds duration) {
  switch (outcome) {
    case Outcome::succeeded: ++succeeded_; break;
    case Outcome::failed: ++failed_; break;
    case Outcome::dead: ++dead_; break;
  }
  run_time_us_ += std::chrono::duration_cast<std::chrono::microseconds>(duration).count();
  if (runs_metric_ == nullptr) return;
  // Kinds come from table rows; only registered ones become label values, so
  // the label set stays bounded.
  const std::string_view kind = handlers_.contains(job.kind) ? std::string_view(job.kind) : "unregistered";
  std::string_view name = "succeeded";
  if (outcome == Outcome::failed) name = "failed";
  if (outcome == Outcome::dead) name = "dead";
  runs_metric_->labels({kind, name}).inc();
  duration_metric_->labels({kind}).observe(std::chrono::duration<double>(duration).count());
}

}  // namespace keel::jobs
