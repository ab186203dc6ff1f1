// keel/jobs/queue.hpp — the job queue's operations on one database connection.
//
// enqueue is what application code calls: it inserts on the caller's
// connection, so inside the caller's transaction the job exists if and only
// if that transaction commits (an email is queued with the user it welcomes,
// or not at all). The rest is what JobRunner (runner.hpp) and the operator
// commands (commands.hpp) are built from; it is public for them, for tools
// and for tests that need to act as a worker that crashed.
//
//   db.in_transaction([&](keel::db::Connection& c) {
//     c.execute(kInsertUser, {...});
//     keel::jobs::enqueue(c, {.kind = "email.send", .payload_json = payload,
//                             .idempotency_key = "welcome:" + user_id});
//   });
//
// Every function throws keel::db::DatabaseError when the database fails.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/db/connection.hpp"
#include "keel/jobs/job.hpp"

namespace keel::jobs {

// enqueue inserts `request` as a queued job on `connection` and returns its id;
// with an idempotency key already used it inserts nothing and returns the
// existing job's id. Call it inside the caller's Transaction. It wakes this
// process's idle workers (a wake that beats the commit is harmless: the job is
// then found at the next poll). Throws std::invalid_argument when the kind is
// empty, the payload is not JSON or max_attempts < 1.
std::string enqueue(db::Connection& connection, const JobRequest& request,
                    const Clock& clock = system_clock_ms);

// ClaimOptions identify the claiming worker and how long its claim holds.
struct ClaimOptions {
  std::string worker;                                                     // stored in locked_by
  std::int64_t now_ms = 0;                                                // the caller's clock
  std::chrono::milliseconds visibility_timeout{std::chrono::minutes(5)};  // lock length
};

// Claim is one claimed attempt; `exhausted` is set when it was re-claimed from
// an expired lock after its last allowed attempt: bury it, do not run it.
struct Claim {
  Job job;
  bool exhausted = false;
};

// claim_next claims the job that waited longest: first one whose worker's lock
// expired, else the oldest due queued one; nullopt when none is due. Runs in
// its own write transaction, or in the caller's when one is open (JobRunner
// records an outcome and claims the next job in one commit).
std::optional<Claim> claim_next(db::Connection& connection, const ClaimOptions& options);

// The outcomes of a claim. Each returns false (and changes nothing) when the
// claim is no longer the caller's: its lock expired and another worker took the job.

// mark_succeeded records success.
bool mark_succeeded(db::Connection& connection, const Job& job, std::string_view worker, std::int64_t now_ms);
// mark_retry puts the job back in the queue, due at `run_at_ms`, keeping the (redacted) error.
bool mark_retry(db::Connection& connection, const Job& job, std::string_view worker, std::int64_t run_at_ms,
                std::string_view error, std::int64_t now_ms);
// mark_dead records the final failure (the job is kept for `keel jobs list --state dead` and retry).
bool mark_dead(db::Connection& connection, const Job& job, std::string_view worker, std::string_view error,
               std::int64_t now_ms);

// find_job reads one job.
std::optional<JobRecord> find_job(db::Connection& connection, std::string_view id);

// list_jobs returns up to `limit` jobs, of one state (latest run_at first) or all (newest first).
std::vector<JobRecord> list_jobs(db::Connection& connection, std::optional<JobState> state, int limit);

// depth_by_state counts jobs per state; every state is present (0 when none).
std::map<JobState, std::int64_t> depth_by_state(db::Connection& connection);

// requeue makes a dead or queued job due at `now_ms` with its attempts reset;
// false when no such job is dead or queued.
bool requeue(db::Connection& connection, std::string_view id, std::int64_t now_ms);

// purge deletes jobs in a final state (succeeded or dead) that finished before
// `before_ms`; returns how many. Throws std::invalid_argument for other states.
std::int64_t purge(db::Connection& connection, JobState state, std::int64_t before_ms);

// kMaxErrorBytes caps last_error: a message, not a stack dump.
inline constexpr std::size_t kMaxErrorBytes = 1000;

}  // namespace keel::jobs
