#include "keel/db/commands.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "keel/db/migrations.hpp"
#include "keel/db/test_fixture.hpp"

namespace keel::db {
namespace {

using commands::Output;
using testing::TestDatabase;

constexpr Statement kCreateToy{
    "test.create_toy",
    "CREATE TABLE toy (id INTEGER PRIMARY KEY, label TEXT, amount REAL, payload BLOB, "
    "meta_key TEXT REFERENCES keel_meta(key) ON DELETE SET NULL)",
    "CREATE TABLE toy (id BIGINT PRIMARY KEY, label TEXT, amount DOUBLE PRECISION, payload BYTEA, "
    "meta_key TEXT REFERENCES keel_meta(key) ON DELETE SET NULL)"};
constexpr Statement kInsertToy{
    "test.insert_toy", "INSERT INTO toy (id, label, amount, payload, meta_key) VALUES ($1, $2, $3, $4, $5)"};
constexpr Statement kDropToy{"test.drop_toy", "DROP TABLE toy"};
constexpr Statement kTamper{"test.tamper",
                            "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1"};

// CapturedOutput is an Output writing into strings.
struct CapturedOutput {
  std::ostringstream out;
  std::ostringstream err;
  Output io(bool terminal = false) { return Output{out, err, terminal}; }
};

class CommandsTest : public testing::DialectTest {};

// head_version is the newest migration this binary embeds (the service adds its own over time).
std::int64_t head_version(Dialect dialect) { return embedded_migrations(dialect).back().version; }

// version_list renders 1..head as a JSON array body: "1,2,3".
std::string version_list(std::int64_t head) {
  std::string list;
  for (std::int64_t v = 1; v <= head; ++v) list += (v == 1 ? "" : ",") + std::to_string(v);
  return list;
}

TEST_P(CommandsTest, MigrateCommandsPrintOneJsonLineWhenNotOnATerminal) {
  TestDatabase t(GetParam());
  CapturedOutput up;
  EXPECT_EQ(commands::migrate_up(t.db(), up.io()), commands::kExitOk);
  const auto head = head_version(GetParam());
  const auto h = std::to_string(head);
  EXPECT_EQ(up.out.str(), "{\"command\":\"migrate up\",\"ok\":true,\"applied\":[" + version_list(head) +
                              "],\"version\":" + h + "}\n");
  EXPECT_EQ(up.err.str(), "");

  CapturedOutput status;
  EXPECT_EQ(commands::migrate_status(t.db(), status.io()), commands::kExitOk);
  const std::string json = status.out.str();
  EXPECT_TRUE(
      json.starts_with("{\"command\":\"migrate status\",\"ok\":true,\"state\":\"at_head\",\"at_head\":true,"
                       "\"version\":" + h + ",\"head\":" + h +
                       ",\"applied\":[{\"version\":1,\"name\":\"framework_baseline\","
                       "\"applied_at\":\""))
      << json;
  EXPECT_EQ(std::count(json.begin(), json.end(), '\n'), 1);

  CapturedOutput down;
  EXPECT_EQ(commands::migrate_down(t.db(), 1, down.io()), commands::kExitOk);
  EXPECT_EQ(down.out.str(), "{\"command\":\"migrate down\",\"ok\":true,\"rolled_back\":[" + h +
                                "],\"version\":" + std::to_string(head - 1) + "}\n");

  CapturedOutput bad;
  EXPECT_EQ(commands::migrate_down(t.db(), 0, bad.io()), commands::kExitUsage);
  EXPECT_NE(bad.out.str().find("\"ok\":false"), std::string::npos);
}

TEST_P(CommandsTest, TerminalOutputShowsProgress) {
  TestDatabase t(GetParam());
  CapturedOutput up;
  EXPECT_EQ(commands::migrate_up(t.db(), up.io(true)), commands::kExitOk);
  EXPECT_NE(up.out.str().find("applying 0001_framework_baseline ... ok ("), std::string::npos)
      << up.out.str();
  EXPECT_NE(up.out.str().find("database at version " + std::to_string(head_version(GetParam()))),
            std::string::npos)
      << up.out.str();
  CapturedOutput status;
  EXPECT_EQ(commands::migrate_status(t.db(), status.io(true)), commands::kExitOk);
  EXPECT_NE(status.out.str().find("0001_framework_baseline  applied"), std::string::npos) << status.out.str();
  EXPECT_NE(status.out.str().find("state: at_head"), std::string::npos) << status.out.str();
}

TEST_P(CommandsTest, EditedMigrationMakesMigrateRefuseWithExit65) {
  TestDatabase t(GetParam());
  migrations::up(t.db());
  t.db().acquire().execute(kTamper);
  CapturedOutput up;
  EXPECT_EQ(commands::migrate_up(t.db(), up.io()), commands::kExitSchema);
  EXPECT_NE(up.out.str().find("\"kind\":\"schema\""), std::string::npos) << up.out.str();
  EXPECT_NE(up.out.str().find("0001_framework_baseline was edited"), std::string::npos) << up.out.str();
  CapturedOutput status;
  EXPECT_EQ(commands::migrate_status(t.db(), status.io()), commands::kExitSchema);
  EXPECT_NE(status.out.str().find("\"state\":\"checksum_mismatch\""), std::string::npos) << status.out.str();
  CapturedOutput terminal;
  EXPECT_EQ(commands::migrate_down(t.db(), 1, terminal.io(true)), commands::kExitSchema);
  EXPECT_NE(terminal.err.str().find("keel migrate down: migration 0001_framework_baseline"),
            std::string::npos);
}

TEST_P(CommandsTest, BackupDestroyRestoreGivesBackEveryRow) {
  TestDatabase t(GetParam());
  migrations::up(t.db());
  {
    Connection conn = t.db().acquire();
    conn.execute(kCreateToy);
    for (int i = 1; i <= 50; ++i) {
      conn.execute(kInsertToy, {i, i % 7 == 0 ? Param(nullptr) : Param("row " + std::to_string(i) + " é ✓"),
                                i * 1.25, Blob{static_cast<std::uint8_t>(i), 0, 255},
                                i % 2 == 0 ? Param("installation_id") : Param(nullptr)});
    }
  }
  const testing::Snapshot before = testing::snapshot(t.db());
  ASSERT_EQ(before.at("toy").size(), 50U);
  ASSERT_EQ(before.at("keel_meta").size(), 1U);

  const std::filesystem::path file =
      std::filesystem::temp_directory_path() /
      ("keel_backup_" + std::to_string(::getpid()) + "_" + std::string(to_string(GetParam())) + ".bak");
  CapturedOutput backup;
  ASSERT_EQ(commands::backup(t.db(), file, backup.io()), commands::kExitOk) << backup.out.str();
  EXPECT_TRUE(backup.out.str().starts_with("{\"command\":\"backup\",\"ok\":true,\"path\":"))
      << backup.out.str();
  EXPECT_FALSE(std::filesystem::exists(file.string() + ".partial"));
  EXPECT_FALSE(std::filesystem::exists(file.string() + "-wal"));

  // Destroy: SQLite loses its file, PostgreSQL every table.
  if (GetParam() == Dialect::sqlite) {
    const std::filesystem::path db_file = t.sqlite_path();
    t.reopen();  // closes the pool's connections...
    std::filesystem::remove(db_file);
    std::filesystem::remove(db_file.string() + "-wal");
    std::filesystem::remove(db_file.string() + "-shm");
    t.reopen();  // ...and this one starts from an empty file
  } else {
    t.db().acquire().execute(kDropToy);
    migrations::down(t.db(), 10);
  }
  EXPECT_EQ(testing::snapshot(t.db()).count("toy"), 0U);

  CapturedOutput refused;
  EXPECT_EQ(commands::restore(t.db(), file, false, refused.io()), commands::kExitUsage);
  EXPECT_NE(refused.out.str().find("--yes"), std::string::npos);
  CapturedOutput restore;
  ASSERT_EQ(commands::restore(t.db(), file, true, restore.io(true)), commands::kExitOk)
      << restore.out.str() << restore.err.str();
  EXPECT_NE(restore.out.str().find("restored "), std::string::npos) << restore.out.str();

  t.reopen();
  EXPECT_EQ(testing::snapshot(t.db()), before);
  EXPECT_TRUE(migrations::at_head(t.db()));
  // Restoring only read the backup: nothing appeared beside it.
  EXPECT_FALSE(std::filesystem::exists(file.string() + "-wal"));
  EXPECT_FALSE(std::filesystem::exists(file.string() + "-shm"));
  std::filesystem::remove(file);
}

TEST_P(CommandsTest, RestoreRefusesAFileThatIsNotABackup) {
  TestDatabase t(GetParam());
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("keel_not_backup_" + std::to_string(::getpid()));
  {
    std::ofstream junk(file);
    junk << "this is not a database backup\n";
  }
  CapturedOutput restore;
  EXPECT_EQ(commands::restore(t.db(), file, true, restore.io()), commands::kExitFailure);
  EXPECT_NE(restore.out.str().find("\"ok\":false"), std::string::npos) << restore.out.str();
  CapturedOutput missing;
  EXPECT_EQ(commands::restore(t.db(), file.string() + ".nope", true, missing.io()), commands::kExitFailure);
  std::filesystem::remove(file);
}

KEEL_DB_BOTH_DIALECTS(CommandsTest);

TEST(Commands, UnreachableDatabaseExits69WithoutThePassword) {
  Database db(DatabaseOptions{.url = "postgresql://keel:hunter2secret@127.0.0.1:1/keel",
                              .timeout = std::chrono::milliseconds(500)});
  CapturedOutput status;
  EXPECT_EQ(commands::migrate_status(db, status.io()), commands::kExitUnavailable);
  EXPECT_NE(status.out.str().find("\"kind\":\"unavailable\""), std::string::npos) << status.out.str();
  CapturedOutput backup;
  EXPECT_EQ(commands::backup(db, "/tmp/never-written.bak", backup.io(true)), commands::kExitUnavailable);
  EXPECT_EQ(backup.err.str().find("hunter2secret"), std::string::npos) << backup.err.str();
  EXPECT_FALSE(std::filesystem::exists("/tmp/never-written.bak"));
}

}  // namespace
}  // namespace keel::db
