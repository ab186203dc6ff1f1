// keel/db/testing.hpp — throwaway databases for tests of code that uses keel::db.
//
// TestDatabase gives each test a fresh, empty database of either dialect: a
// SQLite file in a new temporary directory, or an emptied `public` schema in
// this process's own PostgreSQL database (created on the server named by
// KEEL_TEST_POSTGRES_URL, dropped at exit). Tests of one process run one at
// a time; separate processes never share a database. snapshot() renders every table row by row, for
// comparisons such as backup → restore. Header-only and test-only: the library never includes it.
//
//   if (dialect == Dialect::postgresql && !TestDatabase::postgres_url()) GTEST_SKIP() << "...";
//   TestDatabase t(dialect);
//   keel::db::migrations::up(t.db());
//   EXPECT_EQ(snapshot(t.db()), before);
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keel/db/database.hpp"
#include "keel/db/driver.hpp"

namespace keel::db::testing {

// TestDatabase owns one fresh database and a Database connected to it.
class TestDatabase {
 public:
  // postgres_url returns KEEL_TEST_POSTGRES_URL (a server tests may create databases on), if set.
  static std::optional<std::string> postgres_url() {
    const char* url =
        std::getenv("KEEL_TEST_POSTGRES_URL");  // NOLINT(concurrency-mt-unsafe): nothing sets it
    if (url == nullptr || *url == '\0') return std::nullopt;
    return std::string(url);
  }

  // TestDatabase creates the database; `options.url` is replaced by the new database's URL.
  explicit TestDatabase(Dialect dialect, DatabaseOptions options = {}) : dialect_(dialect) {
    static std::atomic<int> counter{0};
    if (dialect == Dialect::sqlite) {
      const std::string unique = std::to_string(::getpid()) + "_" + std::to_string(counter++);
      dir_ = std::filesystem::temp_directory_path() / ("keel_db_test_" + unique);
      std::filesystem::remove_all(dir_);
      std::filesystem::create_directories(dir_);
      url_ = "sqlite:///" + (dir_ / "keel.db").string();
    } else {
      // CREATE DATABASE per test costs ~0.3 s; one database per process with
      // its schema emptied per test costs a few milliseconds.
      url_ = process_database().url;
      run(url_, "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
    }
    options.url = url_;
    options_ = options;
    db_ = std::make_unique<Database>(options_);
  }

  ~TestDatabase() {
    db_.reset();
    if (dialect_ == Dialect::sqlite) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  Database& db() { return *db_; }
  // url is the database's URL, for a second Database or a child process.
  const std::string& url() const { return url_; }
  // options are the DatabaseOptions db() was made with.
  const DatabaseOptions& options() const { return options_; }
  // sqlite_path is the database file (SQLite only).
  std::filesystem::path sqlite_path() const { return dir_ / "keel.db"; }
  // reopen replaces db() with a new Database (closing every pooled connection).
  void reopen() {
    db_.reset();
    db_ = std::make_unique<Database>(options_);
  }

  // with_database returns a postgresql:// URL naming database `name` instead.
  static std::string with_database(const std::string& url, const std::string& name) {
    const auto authority = url.find("://") + 3;
    const auto path = url.find('/', authority);
    const auto query = url.find('?', authority);
    const std::string base = url.substr(0, std::min(path, query));
    const std::string tail = query == std::string::npos ? "" : url.substr(query);
    return base + "/" + name + tail;
  }

 private:
  // ProcessDatabase is this test process's PostgreSQL database, dropped at exit.
  struct ProcessDatabase {
    std::string admin_url = postgres_url().value();
    std::string name = "keel_test_" + std::to_string(::getpid());
    std::string url = with_database(admin_url, name);
    ProcessDatabase() {
      run(admin_url, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      run(admin_url, "CREATE DATABASE " + name);
    }
    ~ProcessDatabase() {
      try {
        run(admin_url, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      } catch (...) {  // NOLINT(bugprone-empty-catch): the throwaway server goes away anyway
      }
    }
    ProcessDatabase(const ProcessDatabase&) = delete;
    ProcessDatabase& operator=(const ProcessDatabase&) = delete;
  };
  static const ProcessDatabase& process_database() {
    static const ProcessDatabase database;
    return database;
  }

  // run executes maintenance SQL built from generated names, never from input.
  static void run(const std::string& url, const std::string& sql) {
    auto driver = connect_driver(ConnectTarget{url, std::chrono::milliseconds(10000)},
                                 Clock::now() + std::chrono::seconds(10));
    driver->execute_script(sql);
  }

  Dialect dialect_;
  std::filesystem::path dir_;
  std::string url_;
  DatabaseOptions options_;
  std::unique_ptr<Database> db_;
};

// Snapshot is every table's rows, each row rendered as "col=value|…", sorted.
using Snapshot = std::map<std::string, std::vector<std::string>>;

// snapshot reads every table of `db` (names come from the catalog tables).
inline Snapshot snapshot(Database& db) {
  Connection connection = db.acquire();
  Driver& driver = driver_of(connection);
  const bool sqlite = driver.dialect() == Dialect::sqlite;
  const Result tables = driver.execute(
      sqlite
          ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
          : "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename",
      {}, false);
  Snapshot out;
  for (const Row& table : tables) {
    const std::string name = table.get<std::string>(0);
    std::vector<std::string>& rows = out[name];
    for (const Row& row : driver.execute("SELECT * FROM \"" + name + "\"", {}, false)) {
      std::string line;
      for (std::size_t i = 0; i < row.size(); ++i) {
        line += row.columns()[i] + "=" + (row.is_null(i) ? "NULL" : row.get<std::string>(i)) + "|";
      }
      rows.push_back(std::move(line));
    }
    std::sort(rows.begin(), rows.end());
  }
  return out;
}

}  // namespace keel::db::testing
