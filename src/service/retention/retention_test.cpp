#include "service/retention/retention.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "keel/app/app.hpp"
#include "keel/audit/timestamp.hpp"
#include "keel/db/catalog.hpp"
#include "keel/db/migrations.hpp"
#include "keel/db/test_fixture.hpp"
#include "keel/jobs/queue.hpp"
#include "keel/jobs/runner.hpp"
#include "keel/security/password_hasher.hpp"
#include "service/retention/retention_sql.hpp"

namespace service::retention {
namespace {

using keel::db::Statement;
using keel::db::testing::DialectTest;
using keel::db::testing::TestDatabase;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::system_clock;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// The rows the test writes and reads; the purge itself runs only catalogued statements.
constexpr Statement kInsertUser{
    "test.insert_user",
    "INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES ($1, $2, 'x', $3, $3)"};
constexpr Statement kInsertSession{
    "test.insert_session",
    "INSERT INTO sessions (family_id, user_id, created_at, last_used_at) VALUES ($1, 'u1', $2, $2)"};
constexpr Statement kInsertRefreshToken{
    "test.insert_refresh_token",
    "INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, scope, expires_at, created_at) "
    "VALUES ($1, $2, 'u1', $1, 'profile', $3, $3)"};
constexpr Statement kInsertOneTimeToken{
    "test.insert_one_time_token",
    "INSERT INTO one_time_tokens (id, user_id, purpose, token_hash, expires_at, used_at, created_at) "
    "VALUES ($1, 'u1', 'password_reset', $1, $2, $3, $2)"};
constexpr Statement kInsertAudit{"test.insert_audit",
                                 "INSERT INTO audit_log (at, action, outcome) VALUES ($1, $2, 'success')"};
constexpr Statement kInsertJob{
    "test.insert_job",
    "INSERT INTO jobs (id, kind, payload, state, max_attempts, run_at, created_at, updated_at, finished_at) "
    "VALUES ($1, 'test', '{}', $2, 1, 0, 0, 0, $3)"};
constexpr Statement kInsertItem{
    "test.insert_item",
    "INSERT INTO items (id, owner_id, title, created_at, updated_at) VALUES ('i1', 'u1', 'item', $1, $1)"};
constexpr Statement kInsertAttachment{
    "test.insert_attachment",
    "INSERT INTO attachments (id, item_id, owner_id, filename, content_type, size, sha256, storage_name, "
    "created_at) VALUES ($1, 'i1', 'u1', 'a.txt', 'text/plain', 1, '00', $1, $2)"};
constexpr Statement kSessionIds{"test.session_ids",
                                "SELECT family_id AS id FROM sessions ORDER BY family_id"};
constexpr Statement kRefreshTokenIds{"test.refresh_token_ids", "SELECT id FROM refresh_tokens ORDER BY id"};
constexpr Statement kOneTimeTokenIds{"test.one_time_token_ids", "SELECT id FROM one_time_tokens ORDER BY id"};
constexpr Statement kAuditActions{"test.audit_actions", "SELECT action AS id FROM audit_log ORDER BY action"};
constexpr Statement kJobIds{"test.job_ids", "SELECT id FROM jobs ORDER BY id"};
constexpr const Statement* kTestStatements[] = {
    &kInsertUser,  &kInsertSession,   &kInsertRefreshToken, &kInsertOneTimeToken,
    &kInsertAudit, &kInsertJob,       &kInsertItem,         &kInsertAttachment,
    &kSessionIds,  &kRefreshTokenIds, &kOneTimeTokenIds,    &kAuditActions,
    &kJobIds};

// Stored names are 32 lower-case hex digits.
const std::string kAttachedName(32, 'a');
const std::string kOldOrphanName(32, 'b');
const std::string kYoungOrphanName(32, 'c');

// kNow is the fixed "now" of the first run: 2026-11-27T12:00:00Z.
const system_clock::time_point kNow = std::chrono::sys_days{std::chrono::year{2026} / 11 / 27} + hours(12);

std::string at(system_clock::time_point when) { return keel::audit::format_timestamp(when); }

std::vector<std::string> ids(keel::db::Database& db, const Statement& statement) {
  std::vector<std::string> out;
  auto connection = db.acquire();
  for (const auto& row : connection.execute(statement)) out.push_back(row.get<std::string>(0));
  return out;
}

std::int64_t ms(system_clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
}

class RetentionTest : public DialectTest {
 protected:
  void SetUp() override {
    DialectTest::SetUp();
    if (IsSkipped()) return;
    // An enforcing catalog proves purge_expired runs only statements register_retention_statements adds.
    database_ =
        std::make_unique<TestDatabase>(GetParam(), keel::db::DatabaseOptions{.enforce_catalog = true});
    keel::db::migrations::up(db());
    register_retention_statements(db());
    db().register_statements(kTestStatements);
    upload_dir_ = std::filesystem::temp_directory_path() /
                  ("keel_retention_test_" + std::to_string(::getpid()) + "_" +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(upload_dir_);
    std::filesystem::create_directories(upload_dir_);
    policy_.upload_dir = upload_dir_.string();
  }

  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(upload_dir_, ignored);
  }

  keel::db::Database& db() { return database_->db(); }

  std::vector<std::string> ids(const Statement& statement) { return retention::ids(db(), statement); }

  std::vector<std::string> files() {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::directory_iterator(upload_dir_)) {
      out.push_back(entry.path().filename().string());
    }
    return out;
  }

  // write_file creates `name` in the upload directory, last written at `when` (file system time).
  void write_file(const std::string& name, std::filesystem::file_time_type when) {
    const auto path = upload_dir_ / name;
    std::ofstream(path) << "x";
    std::filesystem::last_write_time(path, when);
  }
  void write_file(const std::string& name, system_clock::time_point when) {
    write_file(name, std::chrono::file_clock::from_sys(when));
  }

  // seed writes the fixture: every kind of record on both sides of its cutoff at kNow.
  void seed() {
    auto c = db().acquire();
    c.execute(kInsertUser, {"u1", "u1@example.com", at(kNow - days(500))});
    // Sessions: one whose tokens all expired, one half expired, one live, one expiring exactly at kNow.
    for (const char* family : {"s_expired", "s_mixed", "s_live", "s_edge"}) {
      c.execute(kInsertSession, {family, at(kNow - days(20))});
    }
    c.execute(kInsertRefreshToken, {"r_expired_1", "s_expired", at(kNow - days(1))});
    c.execute(kInsertRefreshToken, {"r_expired_2", "s_expired", at(kNow - hours(1))});
    c.execute(kInsertRefreshToken, {"r_mixed_old", "s_mixed", at(kNow - hours(1))});
    c.execute(kInsertRefreshToken, {"r_mixed_new", "s_mixed", at(kNow + days(1))});
    c.execute(kInsertRefreshToken, {"r_live", "s_live", at(kNow + days(13))});
    c.execute(kInsertRefreshToken, {"r_edge", "s_edge", at(kNow)});
    // One-time tokens: expired, used and expired, live, used but not yet expired.
    c.execute(kInsertOneTimeToken, {"o_expired", at(kNow - minutes(1)), nullptr});
    c.execute(kInsertOneTimeToken, {"o_used_expired", at(kNow - hours(2)), at(kNow - hours(3))});
    c.execute(kInsertOneTimeToken, {"o_live", at(kNow + hours(1)), nullptr});
    c.execute(kInsertOneTimeToken, {"o_used_live", at(kNow + minutes(30)), at(kNow - minutes(5))});
    // Audit entries around the 365-day cutoff.
    c.execute(kInsertAudit, {at(kNow - days(366)), "a_366_days"});
    c.execute(kInsertAudit, {at(kNow - days(364)), "a_364_days"});
    c.execute(kInsertAudit, {at(kNow - hours(1)), "a_recent"});
    // Jobs: succeeded around 1 day, dead around 30 days, and one still queued.
    c.execute(kInsertJob, {"j_succeeded_25h", "succeeded", ms(kNow - hours(25))});
    c.execute(kInsertJob, {"j_succeeded_23h", "succeeded", ms(kNow - hours(23))});
    c.execute(kInsertJob, {"j_dead_31d", "dead", ms(kNow - days(31))});
    c.execute(kInsertJob, {"j_dead_29d", "dead", ms(kNow - days(29))});
    c.execute(kInsertJob, {"j_queued", "queued", nullptr});
    // Files: one with its attachment row, two orphans either side of the grace,
    // a file that is not a stored name, and upload temporaries (aged by the real clock).
    c.execute(kInsertItem, {at(kNow - days(2))});
    c.execute(kInsertAttachment, {kAttachedName, at(kNow - days(2))});
    write_file(kAttachedName, kNow - days(2));
    write_file(kOldOrphanName, kNow - hours(2));
    write_file(kYoungOrphanName, kNow - minutes(10));
    write_file("README.txt", kNow - days(2));
    write_file(".upload-stale", std::filesystem::file_time_type::clock::now() - hours(2));
    write_file(".upload-live", std::filesystem::file_time_type::clock::now());
  }

  std::unique_ptr<TestDatabase> database_;
  std::filesystem::path upload_dir_;
  RetentionPolicy policy_{};
};

TEST_P(RetentionTest, PurgesWhatExpiredAtNowAndKeepsTheRest) {
  seed();
  const auto report = purge_expired(db(), policy_, kNow);

  EXPECT_EQ(report, (RetentionReport{.refresh_tokens = 3,
                                     .sessions = 1,
                                     .one_time_tokens = 2,
                                     .audit_entries = 1,
                                     .succeeded_jobs = 1,
                                     .dead_jobs = 1,
                                     .upload_temporaries = 1,
                                     .orphaned_files = 1}));
  // A token expiring exactly now is still valid until after now.
  EXPECT_THAT(ids(kRefreshTokenIds), ElementsAre("r_edge", "r_live", "r_mixed_new"));
  EXPECT_THAT(ids(kSessionIds), ElementsAre("s_edge", "s_live", "s_mixed"));
  EXPECT_THAT(ids(kOneTimeTokenIds), ElementsAre("o_live", "o_used_live"));
  EXPECT_THAT(ids(kAuditActions), ElementsAre("a_364_days", "a_recent"));
  EXPECT_THAT(ids(kJobIds), ElementsAre("j_dead_29d", "j_queued", "j_succeeded_23h"));
  EXPECT_THAT(files(), UnorderedElementsAre(kAttachedName, kYoungOrphanName, "README.txt", ".upload-live"));
}

TEST_P(RetentionTest, RunningAgainAtTheSameTimeDeletesNothing) {
  seed();
  purge_expired(db(), policy_, kNow);
  EXPECT_EQ(purge_expired(db(), policy_, kNow), RetentionReport{});
}

TEST_P(RetentionTest, FourHundredDaysLaterOnlyLiveDataIsLeft) {
  seed();
  purge_expired(db(), policy_, kNow);
  const auto report = purge_expired(db(), policy_, kNow + days(400));

  EXPECT_EQ(report, (RetentionReport{.refresh_tokens = 3,
                                     .sessions = 3,
                                     .one_time_tokens = 2,
                                     .audit_entries = 2,
                                     .succeeded_jobs = 1,
                                     .dead_jobs = 1,
                                     .upload_temporaries = 0,
                                     .orphaned_files = 1}));
  EXPECT_THAT(ids(kRefreshTokenIds), IsEmpty());
  EXPECT_THAT(ids(kSessionIds), IsEmpty());
  EXPECT_THAT(ids(kOneTimeTokenIds), IsEmpty());
  EXPECT_THAT(ids(kAuditActions), IsEmpty());
  EXPECT_THAT(ids(kJobIds), ElementsAre("j_queued"));
  // The attached file stays however old; the live temporary is aged by the real clock, not kNow.
  EXPECT_THAT(files(), UnorderedElementsAre(kAttachedName, "README.txt", ".upload-live"));
}

TEST_P(RetentionTest, PeriodsComeFromThePolicy) {
  seed();
  policy_.audit_age = days(1);
  policy_.dead_jobs_age = days(40);
  policy_.succeeded_jobs_age = hours(48);
  policy_.orphan_grace = minutes(5);
  const auto report = purge_expired(db(), policy_, kNow);

  EXPECT_EQ(report.audit_entries, 2);
  EXPECT_EQ(report.succeeded_jobs, 0);
  EXPECT_EQ(report.dead_jobs, 0);
  EXPECT_EQ(report.orphaned_files, 2);
  EXPECT_THAT(ids(kAuditActions), ElementsAre("a_recent"));
  EXPECT_THAT(files(), UnorderedElementsAre(kAttachedName, "README.txt", ".upload-live"));
}

TEST_P(RetentionTest, WithoutAnUploadDirectoryFilesAreLeftAlone) {
  seed();
  policy_.upload_dir.clear();
  const auto report = purge_expired(db(), policy_, kNow);
  EXPECT_EQ(report.upload_temporaries, 0);
  EXPECT_EQ(report.orphaned_files, 0);
  EXPECT_EQ(files().size(), 6U);

  policy_.upload_dir = (upload_dir_ / "missing").string();
  EXPECT_EQ(purge_expired(db(), policy_, kNow).orphaned_files, 0);
}

TEST_P(RetentionTest, EveryStatementSeeksAnIndex) {
  auto connection = db().acquire();
  const auto report = keel::db::explain_statements(connection, sql::kRetentionStatements);
  EXPECT_TRUE(report.ok()) << report.summary();
  EXPECT_THAT(report.accepted_scans, IsEmpty());
}

KEEL_DB_BOTH_DIALECTS(RetentionTest);

// NoEmail is an EmailSender for a context that sends nothing.
class NoEmail : public EmailSender {
 public:
  void send(std::string_view, std::string_view, const EmailVariables&) override {}
};

TEST(RegisterRetentionTest, RunsThePurgeAsThePeriodicRetentionJob) {
  TestDatabase database(keel::db::Dialect::sqlite, keel::db::DatabaseOptions{.enforce_catalog = true});
  auto& db = database.db();
  keel::db::migrations::up(db);
  db.register_statements(kTestStatements);
  const auto upload_dir = database.sqlite_path().parent_path() / "uploads";
  std::filesystem::create_directories(upload_dir);
  keel::config::Settings settings;
  settings.app_env = keel::config::AppEnv::test;
  settings.upload_dir = upload_dir.string();
  keel::app::App app(settings);
  keel::security::PasswordHasher passwords({});
  NoEmail email;
  keel::jobs::JobRunner runner(db, {.poll_interval = std::chrono::milliseconds(10)});
  ServiceContext context{app, db, passwords, email, runner};

  // The handler purges at the real time: an hour-old expired token and an orphan older than the grace.
  const auto now = system_clock::now();
  {
    auto c = db.acquire();
    c.execute(kInsertUser, {"u1", "u1@example.com", at(now - days(1))});
    c.execute(kInsertSession, {"s1", at(now - days(1))});
    c.execute(kInsertRefreshToken, {"r1", "s1", at(now - hours(1))});
  }
  const auto orphan = upload_dir / std::string(32, 'd');
  std::ofstream(orphan) << "x";
  std::filesystem::last_write_time(orphan, std::filesystem::file_time_type::clock::now() - hours(2));

  register_retention(context);
  runner.start(1);
  std::vector<keel::jobs::JobRecord> done;
  for (int i = 0; i < 500 && done.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto c = db.acquire();
    done = keel::jobs::list_jobs(c, keel::jobs::JobState::succeeded, 10);
  }
  EXPECT_TRUE(runner.stop(std::chrono::seconds(5)));

  ASSERT_EQ(done.size(), 1U);
  EXPECT_EQ(done[0].kind, kRetentionJobName);
  EXPECT_THAT(ids(db, kRefreshTokenIds), IsEmpty());
  EXPECT_THAT(ids(db, kSessionIds), IsEmpty());
  EXPECT_FALSE(std::filesystem::exists(orphan));
}

TEST(RetentionPolicyTest, ReadsItsPeriodsFromSettings) {
  keel::config::Settings settings;
  settings.retention_audit_days = 90;
  settings.retention_jobs_days = 7;
  settings.upload_dir = "/var/lib/keel/uploads";
  const auto policy = RetentionPolicy::from_settings(settings);
  EXPECT_EQ(policy.audit_age, days(90));
  EXPECT_EQ(policy.dead_jobs_age, days(7));
  EXPECT_EQ(policy.succeeded_jobs_age, hours(24));
  EXPECT_EQ(policy.orphan_grace, hours(1));
  EXPECT_EQ(policy.upload_dir, "/var/lib/keel/uploads");
}

}  // namespace
}  // namespace service::retention
