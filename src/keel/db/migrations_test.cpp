#include "keel/db/migrations.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "keel/db/health.hpp"
#include "keel/db/test_fixture.hpp"

namespace keel::db {
namespace {

using testing::TestDatabase;

constexpr Statement kCountTable{
    "test.count_table", "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
    "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = $1"};
constexpr Statement kCountApplied{"test.count_applied", "SELECT count(*) FROM schema_migrations"};
constexpr Statement kInstallationId{"test.installation_id",
                                    "SELECT value FROM keel_meta WHERE key = 'installation_id'"};
constexpr Statement kTamper{"test.tamper",
                            "UPDATE schema_migrations SET checksum = 'edited' WHERE version = $1"};

bool has_table(Database& db, std::string_view table) {
  return db.acquire().execute(kCountTable, {std::string(table)})[0].get<std::int64_t>(0) == 1;
}

// A toy history: three versions, each adding a table.
std::vector<Migration> toy_migrations(std::string_view sleep_sql = "") {
  std::vector<MigrationFile> files;
  const std::string sql_pairs[][2] = {
      {"CREATE TABLE alpha (id INTEGER PRIMARY KEY, name TEXT NOT NULL);", "DROP TABLE alpha;"},
      {"CREATE TABLE beta (id INTEGER PRIMARY KEY, alpha_id INTEGER NOT NULL REFERENCES alpha(id) ON DELETE "
       "CASCADE);\nCREATE INDEX beta_alpha_id ON beta (alpha_id);",
       "DROP TABLE beta;"},
      {"CREATE TABLE gamma (id INTEGER PRIMARY KEY);", "DROP TABLE gamma;"}};
  const std::string first_up = std::string(sleep_sql) + sql_pairs[0][0];
  files = {{"0001_alpha.up.sql", first_up},        {"0001_alpha.down.sql", sql_pairs[0][1]},
           {"0002_beta.up.sql", sql_pairs[1][0]},  {"0002_beta.down.sql", sql_pairs[1][1]},
           {"0003_gamma.up.sql", sql_pairs[2][0]}, {"0003_gamma.down.sql", sql_pairs[2][1]}};
  MigrationSet set = parse_migrations(files);
  EXPECT_TRUE(set.problems.empty());
  return set.migrations;
}

class MigrationsTest : public testing::DialectTest {};

TEST_P(MigrationsTest, EmbeddedBaselineGoesUpAndDown) {
  TestDatabase t(GetParam());
  const std::vector<Migration>& embedded = embedded_migrations(GetParam());
  ASSERT_FALSE(embedded.empty());
  EXPECT_EQ(embedded.front().version, 1);
  EXPECT_EQ(embedded.front().name, "framework_baseline");
  EXPECT_EQ(embedded.front().checksum, sha256_hex(embedded.front().up_sql));

  MigrationStatus before = migrations::status(t.db());
  EXPECT_FALSE(before.at_head());
  EXPECT_EQ(before.pending.size(), embedded.size());
  EXPECT_EQ(before.current(), 0);
  EXPECT_FALSE(has_table(t.db(), "schema_migrations"));  // status only reads

  const std::vector<std::int64_t> applied = migrations::up(t.db());
  EXPECT_EQ(applied.size(), embedded.size());
  EXPECT_TRUE(migrations::at_head(t.db()));
  EXPECT_EQ(t.db().acquire().execute(kInstallationId)[0].get<std::string>(0).size(), 32U);
  EXPECT_TRUE(migrations::up(t.db()).empty());  // idempotent

  const MigrationStatus after = migrations::status(t.db());
  ASSERT_EQ(after.applied.size(), embedded.size());
  EXPECT_EQ(after.applied.front().applied_at.size(), 24U)
      << after.applied.front().applied_at;  // ISO 8601, ms, Z
  EXPECT_EQ(after.applied.front().applied_at.back(), 'Z');

  EXPECT_EQ(migrations::down(t.db(), 1), std::vector<std::int64_t>{embedded.back().version});
  EXPECT_FALSE(migrations::at_head(t.db()));
  if (embedded.size() == 1) {
    EXPECT_FALSE(has_table(t.db(), "keel_meta"));
  }
}

TEST_P(MigrationsTest, AppliesInOrderAndRollsBackNewestFirst) {
  TestDatabase t(GetParam());
  const std::vector<Migration> toy = toy_migrations();
  std::vector<std::int64_t> order;
  MigrateOptions options;
  options.on_progress = [&](const MigrationEvent& e) {
    if (e.phase == MigrationEvent::Phase::finished) order.push_back(e.up ? e.version : -e.version);
  };
  EXPECT_EQ(migrations::up(t.db(), toy, options), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_TRUE(has_table(t.db(), "gamma"));
  EXPECT_EQ(migrations::down(t.db(), toy, 2, options), (std::vector<std::int64_t>{3, 2}));
  EXPECT_EQ(order, (std::vector<std::int64_t>{1, 2, 3, -3, -2}));
  EXPECT_TRUE(has_table(t.db(), "alpha"));
  EXPECT_FALSE(has_table(t.db(), "beta"));
  const MigrationStatus s = migrations::status(t.db(), toy);
  EXPECT_EQ(s.current(), 1);
  ASSERT_EQ(s.pending.size(), 2U);
  EXPECT_EQ(s.pending[0].version, 2);
  EXPECT_EQ(migrations::down(t.db(), toy, 5, options), std::vector<std::int64_t>{1});  // more than applied
  EXPECT_TRUE(migrations::down(t.db(), toy, 1).empty());
}

TEST_P(MigrationsTest, AnEditedAppliedMigrationIsReportedAndBlocksEverything) {
  TestDatabase t(GetParam());
  std::vector<Migration> toy = toy_migrations();
  migrations::up(t.db(), std::span(toy).first(2));
  toy[0].up_sql += "\n-- edited";
  toy[0].checksum = sha256_hex(toy[0].up_sql);
  const MigrationStatus s = migrations::status(t.db(), toy);
  ASSERT_EQ(s.mismatched.size(), 1U);
  EXPECT_EQ(s.mismatched[0].version, 1);
  EXPECT_FALSE(s.at_head());
  try {
    migrations::up(t.db(), toy);
    FAIL() << "migrated over an edited migration";
  } catch (const DatabaseError& e) {
    EXPECT_NE(std::string(e.what()).find("0001_alpha was edited"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(has_table(t.db(), "gamma"));
  EXPECT_THROW(migrations::down(t.db(), toy, 1), DatabaseError);
  EXPECT_TRUE(has_table(t.db(), "beta"));
}

TEST_P(MigrationsTest, UnknownAppliedVersionsMeanTheSchemaIsAhead) {
  TestDatabase t(GetParam());
  const std::vector<Migration> toy = toy_migrations();
  migrations::up(t.db(), toy);
  const auto older_binary = std::span(toy).first(2);
  const MigrationStatus s = migrations::status(t.db(), older_binary);
  ASSERT_EQ(s.unknown.size(), 1U);
  EXPECT_EQ(s.unknown[0].version, 3);
  EXPECT_EQ(s.unknown[0].name, "gamma");
  EXPECT_EQ(s.current(), 3);
  EXPECT_THROW(migrations::up(t.db(), older_binary), DatabaseError);
  EXPECT_THROW(migrations::down(t.db(), older_binary, 1), DatabaseError);
  EXPECT_TRUE(has_table(t.db(), "gamma"));
}

TEST_P(MigrationsTest, AFailingMigrationLeavesThePreviousVersionIntact) {
  TestDatabase t(GetParam());
  std::vector<Migration> toy = toy_migrations();
  toy[1].up_sql = "CREATE TABLE half_done (id INTEGER PRIMARY KEY);\nCREATE TABLE broken (;";
  toy[1].checksum = sha256_hex(toy[1].up_sql);
  try {
    migrations::up(t.db(), toy);
    FAIL() << "broken migration applied";
  } catch (const DatabaseError& e) {
    EXPECT_NE(std::string(e.what()).find("migration 0002_beta failed"), std::string::npos) << e.what();
  }
  const MigrationStatus s = migrations::status(t.db(), toy);
  EXPECT_EQ(s.current(), 1);
  EXPECT_TRUE(has_table(t.db(), "alpha"));
  EXPECT_FALSE(has_table(t.db(), "half_done"));  // DDL rolled back with its migration
  EXPECT_EQ(t.db().acquire().execute(kCountApplied)[0].get<int>(0), 1);
}

TEST_P(MigrationsTest, TwoMigratorsAtOnceApplyEachVersionOnce) {
  TestDatabase t(GetParam());
  // The first migration is slow, so the second migrator arrives while it runs.
  const std::vector<Migration> toy =
      toy_migrations(GetParam() == Dialect::postgresql ? "SELECT pg_sleep(0.3);\n" : "");
  Database second(t.options());
  std::vector<std::int64_t> first_applied;
  std::vector<std::int64_t> second_applied;
  std::exception_ptr first_error;
  std::exception_ptr second_error;
  std::thread a([&] {
    try {
      first_applied = migrations::up(t.db(), toy);
    } catch (...) {
      first_error = std::current_exception();
    }
  });
  std::thread b([&] {
    try {
      second_applied = migrations::up(second, toy);
    } catch (...) {
      second_error = std::current_exception();
    }
  });
  a.join();
  b.join();
  EXPECT_FALSE(first_error);
  EXPECT_FALSE(second_error);
  std::vector<std::int64_t> all = first_applied;
  all.insert(all.end(), second_applied.begin(), second_applied.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(t.db().acquire().execute(kCountApplied)[0].get<int>(0), 3);
}

TEST_P(MigrationsTest, CheckSchemaAndReadinessFollowTheMigrationState) {
  TestDatabase t(GetParam());
  SchemaCheck check = check_schema(t.db());
  EXPECT_EQ(check.state, SchemaState::behind);
  EXPECT_NE(check.message.find("keel migrate up"), std::string::npos) << check.message;
  EXPECT_NE(check.message.find("0001_framework_baseline"), std::string::npos) << check.message;
  Probe probe = readiness(t.db());
  EXPECT_FALSE(probe.ok);
  const auto pending = embedded_migrations(GetParam()).size();
  EXPECT_EQ(probe.reason, "schema behind: " + std::to_string(pending) + " pending migration(s)");

  migrations::up(t.db());
  EXPECT_TRUE(check_schema(t.db()).ok());
  probe = readiness(t.db());
  EXPECT_TRUE(probe.ok) << probe.reason;

  t.db().acquire().execute(kTamper, {1});
  check = check_schema(t.db());
  EXPECT_EQ(check.state, SchemaState::checksum_mismatch);
  EXPECT_NE(check.message.find("0001_framework_baseline was edited"), std::string::npos) << check.message;
  EXPECT_EQ(readiness(t.db()).reason, "schema checksum mismatch");
}

KEEL_DB_BOTH_DIALECTS(MigrationsTest);

TEST(Migrations, ParseReportsBadNamesAndMissingHalves) {
  const MigrationFile files[] = {{"0001_ok.up.sql", "SELECT 1;"},
                                 {"0001_ok.down.sql", "SELECT 1;"},
                                 {"0002_lonely.up.sql", "SELECT 2;"},
                                 {"3_Bad-Name.up.sql", "x"},
                                 {"0004_x.sql", "x"},
                                 {"0001_other.down.sql", "x"}};
  const MigrationSet set = parse_migrations(files);
  ASSERT_EQ(set.migrations.size(), 1U);
  EXPECT_EQ(set.migrations[0].name, "ok");
  ASSERT_EQ(set.problems.size(), 4U);
  EXPECT_NE(set.problems[0].find("3_Bad-Name.up.sql"), std::string::npos);
  EXPECT_NE(set.problems[1].find("0004_x.sql"), std::string::npos);
  EXPECT_NE(set.problems[2].find("0001_other.down.sql: version 1 is also named ok"), std::string::npos);
  EXPECT_NE(set.problems[3].find("0002_lonely: needs both"), std::string::npos);
}

TEST(Migrations, ChecksumIsSha256OfTheUpFile) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(migration_label(7, "add_users"), "0007_add_users");
}

TEST(Migrations, UnreachableDatabaseIsReportedBySchemaCheckAndReadiness) {
  Database db(DatabaseOptions{.url = "postgresql://keel@127.0.0.1:1/keel",
                              .timeout = std::chrono::milliseconds(500)});
  EXPECT_EQ(check_schema(db).state, SchemaState::unreachable);
  const Probe probe = readiness(db);
  EXPECT_FALSE(probe.ok);
  EXPECT_EQ(probe.reason, "unavailable");
}

}  // namespace
}  // namespace keel::db
