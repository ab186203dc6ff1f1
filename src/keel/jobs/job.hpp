// keel/jobs/job.hpp — the vocabulary of the job queue: requests, jobs, states and time.
//
// A job is a row in the `jobs` table (migrations/*/0002_jobs.up.sql): a kind
// naming its handler, a JSON payload, and the bookkeeping of its attempts.
// Times are Unix milliseconds everywhere (columns, Clock, JobRequest::run_at)
// so that tests move a Clock instead of sleeping.
//
//   keel::jobs::JobRequest request{.kind = "email.send",
//                                  .payload_json = R"({"message_id":"0192…"})",
//                                  .idempotency_key = "verify-email:" + user_id};
//   keel::jobs::Clock clock = [&] { return fake_now_ms; };   // tests; production: system_clock_ms
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace keel::jobs {

// Clock returns the current time as Unix milliseconds; injectable so tests move time.
using Clock = std::function<std::int64_t()>;

// system_clock_ms is the real Unix time in milliseconds (the default Clock).
std::int64_t system_clock_ms();

// kDefaultMaxAttempts is how many times a job runs before it is dead.
inline constexpr int kDefaultMaxAttempts = 5;

// JobRequest describes a job to enqueue.
struct JobRequest {
  std::string kind;                              // the handler's name, e.g. "email.send"
  std::string payload_json = "{}";               // handler input; keep ids here, not secrets
  std::optional<std::int64_t> run_at{};          // Unix ms; unset: now
  int max_attempts = kDefaultMaxAttempts;        // ≥ 1
  std::optional<std::string> idempotency_key{};  // a repeated key returns the first job's id
};

// JobState is a job's place in its life: queued → running → succeeded | queued (retry) | dead.
enum class JobState : std::uint8_t { queued, running, succeeded, dead };

// to_string returns the state as stored: "queued", "running", "succeeded" or "dead".
std::string_view to_string(JobState state);
// parse_job_state reads a stored state name; nullopt for anything else.
std::optional<JobState> parse_job_state(std::string_view text);

// Job is what a handler receives: one claimed attempt of a job.
struct Job {
  std::string id;
  std::string kind;
  std::string payload_json;
  int attempt = 1;  // 1 for the first run, counting runs whose lock expired
  int max_attempts = kDefaultMaxAttempts;
  std::int64_t run_at = 0;  // when it became due, Unix ms
  std::int64_t created_at = 0;
  std::optional<std::string> idempotency_key;
};

// JobRecord is a whole row, for listings and tests.
struct JobRecord {
  std::string id;
  std::string kind;
  std::string payload_json;
  JobState state = JobState::queued;
  int attempts = 0;
  int max_attempts = kDefaultMaxAttempts;
  std::int64_t run_at = 0;
  std::optional<std::string> locked_by;
  std::optional<std::int64_t> locked_until;
  std::optional<std::string> last_error;
  std::optional<std::string> idempotency_key;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::optional<std::int64_t> finished_at;
};

// new_job_id returns a fresh RFC 9562 version-7 UUID ("0192f0c1-7a3e-7c4d-9b1a-5f2e8d3c4b21"):
// time-ordered for the primary key's B-tree, 74 random bits from std::random_device.
std::string new_job_id();

}  // namespace keel::jobs
