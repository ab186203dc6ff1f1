#include "service/retention/retention.hpp"

#include <filesystem>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "keel/audit/audit_log.hpp"
#include "keel/audit/timestamp.hpp"
#include "keel/jobs/jobs_sql.hpp"
#include "keel/jobs/queue.hpp"
#include "keel/observability/logger.hpp"
#include "keel/upload/storage.hpp"
#include "service/retention/retention_sql.hpp"

namespace service::retention {

namespace {

using std::chrono::system_clock;

std::int64_t unix_ms(system_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

// purge_refresh_tokens deletes expired refresh tokens, then each session they leave without a token.
void purge_refresh_tokens(keel::db::Database& database, const std::string& cutoff, RetentionReport& report) {
  database.in_transaction([&](keel::db::Connection& connection) {
    std::set<std::string> families;
    for (const auto& row : connection.execute(sql::kExpiredRefreshFamilies, {cutoff})) {
      families.insert(row.get<std::string>(0));
    }
    report.refresh_tokens += connection.execute(sql::kDeleteExpiredRefreshTokens, {cutoff}).affected_rows();
    for (const auto& family : families) {
      report.sessions += connection.execute(sql::kDeleteTokenlessSession, {family}).affected_rows();
    }
  });
}

// purge_orphaned_files deletes stored files older than the grace that no attachment row names.
std::int64_t purge_orphaned_files(keel::db::Database& database, const keel::upload::Storage& storage,
                                  system_clock::time_point cutoff) {
  std::int64_t removed = 0;
  std::error_code error;
  std::vector<std::string> candidates;
  for (const auto& entry : std::filesystem::directory_iterator(storage.dir(), error)) {
    std::error_code ignored;
    const std::string name = entry.path().filename().string();
    if (!keel::upload::Storage::is_stored_name(name) || !entry.is_regular_file(ignored)) continue;
    const auto written = entry.last_write_time(ignored);
    if (ignored || std::chrono::file_clock::to_sys(written) >= cutoff) continue;
    candidates.push_back(name);
  }
  if (candidates.empty()) return 0;
  // The primary, not a replica: a row the replica has not seen yet must still protect its file.
  auto connection = database.acquire();
  for (const auto& name : candidates) {
    if (connection.execute(sql::kAttachmentByStorageName, {name}).empty() && storage.remove(name)) ++removed;
  }
  return removed;
}

// log_report writes the run's one info line. Keys avoid "token" and "session":
// the logger redacts fields so named as secrets.
void log_report(const RetentionReport& report) {
  keel::observability::logger().info("retention purge", {{"refresh_grants", report.refresh_tokens},
                                                         {"sign_ins", report.sessions},
                                                         {"one_time_links", report.one_time_tokens},
                                                         {"audit_entries", report.audit_entries},
                                                         {"succeeded_jobs", report.succeeded_jobs},
                                                         {"dead_jobs", report.dead_jobs},
                                                         {"upload_temporaries", report.upload_temporaries},
                                                         {"orphaned_files", report.orphaned_files}});
}

}  // namespace

RetentionPolicy RetentionPolicy::from_settings(const keel::config::Settings& settings) {
  RetentionPolicy policy;
  policy.audit_age = std::chrono::days(settings.retention_audit_days);
  policy.dead_jobs_age = std::chrono::days(settings.retention_jobs_days);
  policy.upload_dir = settings.upload_dir;
  return policy;
}

void register_retention_statements(keel::db::Database& database) {
  database.register_statements(sql::kRetentionStatements);
  database.register_statements(keel::audit::statements());
  database.register_statements(keel::jobs::kJobStatements);
}

RetentionReport purge_expired(keel::db::Database& database, const RetentionPolicy& policy,
                              system_clock::time_point now) {
  RetentionReport report;
  const std::string now_text = keel::audit::format_timestamp(now);
  purge_refresh_tokens(database, now_text, report);
  {
    auto connection = database.acquire();
    report.one_time_tokens = connection.execute(sql::kDeleteExpiredOneTimeTokens, {now_text}).affected_rows();
    report.audit_entries =
        keel::audit::purge_before(connection, keel::audit::format_timestamp(now - policy.audit_age));
    report.succeeded_jobs = keel::jobs::purge(connection, keel::jobs::JobState::succeeded,
                                              unix_ms(now - policy.succeeded_jobs_age));
    report.dead_jobs =
        keel::jobs::purge(connection, keel::jobs::JobState::dead, unix_ms(now - policy.dead_jobs_age));
  }
  if (!policy.upload_dir.empty()) {
    const keel::upload::Storage storage(policy.upload_dir);
    report.upload_temporaries =
        static_cast<std::int64_t>(storage.remove_stale_temporaries(policy.temporary_grace));
    report.orphaned_files = purge_orphaned_files(database, storage, now - policy.orphan_grace);
  }
  return report;
}

void register_retention(ServiceContext& context) {
  register_retention_statements(context.database);
  auto& database = context.database;
  const RetentionPolicy policy = RetentionPolicy::from_settings(context.app.settings());
  context.jobs.register_periodic(std::string(kRetentionJobName), std::chrono::hours(1),
                                 [&database, policy](const keel::jobs::Job&) {
                                   log_report(purge_expired(database, policy, system_clock::now()));
                                 });
}

}  // namespace service::retention
