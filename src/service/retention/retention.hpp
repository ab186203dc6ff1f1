// service/retention/retention.hpp — the periodic job that deletes what the service no longer needs to keep.
//
// Once an hour (one run across every process sharing the database, see
// keel::jobs::JobRunner::register_periodic) purge_expired deletes expired
// refresh tokens and the sessions left without any, expired one-time tokens
// (password reset, email verification), audit entries older than
// RETENTION_AUDIT_DAYS, succeeded jobs older than a day, dead jobs older than
// RETENTION_JOBS_DAYS, crash-left upload temporaries and stored upload files
// that no attachment row names. Access-token denylist entries are not here:
// they live in the shared store with a TTL and expire by themselves.
// docs/retention.md lists every period.
//
//   service::retention::register_retention(context);   // before context.jobs.start()
//
//   // tests move time instead of sleeping:
//   auto report = service::retention::purge_expired(db, policy, fixed_now + std::chrono::days(400));
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "keel/config/settings.hpp"
#include "keel/db/database.hpp"
#include "service/context.hpp"

namespace service::retention {

// RetentionPolicy is how long each kind of record is kept.
struct RetentionPolicy {
  std::chrono::days audit_age{365};           // RETENTION_AUDIT_DAYS
  std::chrono::days dead_jobs_age{30};        // RETENTION_JOBS_DAYS
  std::chrono::hours succeeded_jobs_age{24};  // done is done; a day to look at it
  std::string upload_dir{};                   // UPLOAD_DIR; empty: no file is touched
  // orphan_grace spares a stored file without a row while it is younger: an
  // upload commits its file before the row naming it, and must not lose it in between.
  std::chrono::seconds orphan_grace{std::chrono::hours(1)};
  // temporary_grace spares upload temp files younger than it: they may belong to an upload in progress.
  std::chrono::seconds temporary_grace{std::chrono::hours(1)};

  // from_settings reads RETENTION_AUDIT_DAYS, RETENTION_JOBS_DAYS and UPLOAD_DIR.
  static RetentionPolicy from_settings(const keel::config::Settings& settings);
};

// RetentionReport counts what one run deleted.
struct RetentionReport {
  std::int64_t refresh_tokens = 0;
  std::int64_t sessions = 0;
  std::int64_t one_time_tokens = 0;
  std::int64_t audit_entries = 0;
  std::int64_t succeeded_jobs = 0;
  std::int64_t dead_jobs = 0;
  std::int64_t upload_temporaries = 0;
  std::int64_t orphaned_files = 0;

  bool operator==(const RetentionReport&) const = default;
};

// register_retention_statements registers every statement purge_expired runs
// (its own, keel::audit's and keel::jobs' queue statements).
void register_retention_statements(keel::db::Database& database);

// purge_expired deletes everything expired at `now` under `policy`. Each kind
// goes in its own short transaction, so a failure leaves the earlier kinds
// purged; running it again is harmless. Upload temporaries are aged by the
// file system's clock (keel::upload::Storage), everything else by `now`.
// Throws keel::db::DatabaseError; file system errors skip the file.
RetentionReport purge_expired(keel::db::Database& database, const RetentionPolicy& policy,
                              std::chrono::system_clock::time_point now);

// kRetentionJobName is the periodic job's kind, as `keel jobs list` shows it.
inline constexpr std::string_view kRetentionJobName = "retention";

// register_retention registers the statements and the hourly "retention"
// periodic job, which logs one info line with the counts. Before the runner starts.
void register_retention(ServiceContext& context);

}  // namespace service::retention
