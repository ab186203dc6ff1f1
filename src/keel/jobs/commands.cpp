#include "keel/jobs/commands.hpp"

#include <array>
#include <boost/json.hpp>
#include <cstdio>
#include <ctime>
#include <string>

#include "keel/jobs/queue.hpp"

namespace keel::jobs::commands {

namespace {

constexpr std::int64_t kDayMs = 86'400'000;
constexpr int kMaxListLimit = 10'000;

// iso_time renders Unix milliseconds as "2026-11-27T10:00:00.000Z".
std::string iso_time(std::int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  std::array<char, 32> text{};
  const int n = std::snprintf(text.data(), text.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                              utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                              utc.tm_sec, static_cast<int>(ms % 1000));
  return std::string(text.data(), static_cast<std::size_t>(std::max(n, 0)));
}

boost::json::value optional_time(const std::optional<std::int64_t>& ms) {
  return ms ? boost::json::value(iso_time(*ms)) : boost::json::value(nullptr);
}

boost::json::value optional_text(const std::optional<std::string>& text) {
  return text ? boost::json::value(*text) : boost::json::value(nullptr);
}

boost::json::object job_line(const JobRecord& job) {
  return boost::json::object{{"id", job.id},
                             {"kind", job.kind},
                             {"state", to_string(job.state)},
                             {"attempts", job.attempts},
                             {"max_attempts", job.max_attempts},
                             {"run_at", iso_time(job.run_at)},
                             {"created_at", iso_time(job.created_at)},
                             {"updated_at", iso_time(job.updated_at)},
                             {"finished_at", optional_time(job.finished_at)},
                             {"locked_by", optional_text(job.locked_by)},
                             {"locked_until", optional_time(job.locked_until)},
                             {"last_error", optional_text(job.last_error)},
                             {"idempotency_key", optional_text(job.idempotency_key)}};
}

// fail prints the failure line on `out`, a readable one on `err`, and returns `code`.
int fail(const db::commands::Output& output, std::string_view command, std::string_view error, int code,
         std::string_view kind = "usage") {
  output.out << boost::json::serialize(boost::json::object{
                    {"command", command}, {"ok", false}, {"kind", kind}, {"error", error}})
             << '\n';
  output.err << "keel " << command << ": " << error << '\n';
  return code;
}

// guarded runs `work`, turning database failures into exit codes 69 (transient) or 1.
template <class Work>
int guarded(const db::commands::Output& output, std::string_view command, Work&& work) {
  try {
    return work();
  } catch (const db::DatabaseError& e) {
    const bool transient = db::is_transient(e.kind());
    return fail(output, command, e.what(),
                transient ? db::commands::kExitUnavailable : db::commands::kExitFailure,
                db::to_string(e.kind()));
  }
}

}  // namespace

int list(db::Database& db, std::optional<std::string_view> state, int limit,
         const db::commands::Output& output) {
  constexpr std::string_view kCommand = "jobs list";
  std::optional<JobState> filter;
  if (state) {
    filter = parse_job_state(*state);
    if (!filter) {
      return fail(output, kCommand,
                  "--state must be queued, running, succeeded or dead, not '" + std::string(*state) + "'",
                  db::commands::kExitUsage);
    }
  }
  if (limit < 1 || limit > kMaxListLimit) {
    return fail(output, kCommand, "--limit must be between 1 and 10000", db::commands::kExitUsage);
  }
  return guarded(output, kCommand, [&] {
    db::Connection connection = db.acquire_read();
    for (const JobRecord& job : list_jobs(connection, filter, limit)) {
      output.out << boost::json::serialize(job_line(job)) << '\n';
    }
    return db::commands::kExitOk;
  });
}

int retry(db::Database& db, std::string_view id, const db::commands::Output& output, const Clock& clock) {
  constexpr std::string_view kCommand = "jobs retry";
  return guarded(output, kCommand, [&] {
    db::Connection connection = db.acquire();
    if (!requeue(connection, id, clock())) {
      const std::optional<JobRecord> job = find_job(connection, id);
      if (!job)
        return fail(output, kCommand, "no job has the id '" + std::string(id) + "'",
                    db::commands::kExitFailure, "not_found");
      return fail(
          output, kCommand,
          "the job is " + std::string(to_string(job->state)) + "; only dead or queued jobs can be retried",
          db::commands::kExitFailure, "conflict");
    }
    output.out << boost::json::serialize(boost::json::object{{"command", kCommand}, {"ok", true}, {"id", id}})
               << '\n';
    return db::commands::kExitOk;
  });
}

int purge_dead(db::Database& db, int older_than_days, const db::commands::Output& output,
               const Clock& clock) {
  constexpr std::string_view kCommand = "jobs purge-dead";
  if (older_than_days < 0) {
    return fail(output, kCommand, "--older-than-days must be 0 or more", db::commands::kExitUsage);
  }
  return guarded(output, kCommand, [&] {
    db::Connection connection = db.acquire();
    // "At least N days ago": finished at or before now − N days.
    const std::int64_t cutoff = clock() - older_than_days * kDayMs + 1;
    const std::int64_t deleted = purge(connection, JobState::dead, cutoff);
    output.out << boost::json::serialize(boost::json::object{{"command", kCommand},
                                                             {"ok", true},
                                                             {"deleted", deleted},
                                                             {"older_than_days", older_than_days}})
               << '\n';
    return db::commands::kExitOk;
  });
}

}  // namespace keel::jobs::commands
