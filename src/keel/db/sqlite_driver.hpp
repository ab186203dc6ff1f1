// keel/db/sqlite_driver.hpp — the SQLite driver (internal to keel::db).
//
// Every connection is opened the same way: WAL journal (readers never block
// the writer), foreign_keys=ON, busy_timeout = DATABASE_TIMEOUT_MS, and a
// commit that returns only once the WAL is on disk: a row whose insert
// returned 201 survives kill -9 of the server and a power cut.
//
// Connections of one process to one file share a WriteCoordinator:
// - One writer at a time: a write transaction first takes the file's writer
//   slot (up to the busy timeout), so this process's writers queue and are
//   woken in turn, instead of failing BEGIN IMMEDIATE and polling in SQLite's
//   busy handler, which sleeps for milliseconds. Other processes still meet
//   SQLite's own lock and busy timeout.
// - Group commit: SQLite's synchronous=FULL would fsync the WAL inside every
//   COMMIT, under the write lock, so writers queue behind one fsync each.
//   Instead the connections run synchronous=NORMAL and a WAL hook (called
//   after the commit, with SQLite's write lock released) hands the writer
//   slot on and waits until one fsync of the WAL has covered that commit:
//   the first committer syncs, those that commit meanwhile wait for the next
//   sync, so N concurrent commits cost about one or two fsyncs, not N. The
//   hook also takes over SQLite's auto-checkpoint (a passive checkpoint once
//   the WAL holds 1000 pages).
// The statement timeout is enforced with a progress handler that interrupts
// a statement running past its deadline.
//
//   auto d = SqliteDriver::open("./data/keel.db", std::chrono::milliseconds(5000));
//   sqlite3_backup_init(dest, "main", d->handle(), "main");   // backup.cpp
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "keel/db/driver.hpp"

namespace keel::db {

// SqliteDriver is one sqlite3 connection with its prepared-statement cache.
class WriteCoordinator;

// WalSyncStats counts, per database file, commits and the fsyncs that made them durable.
struct WalSyncStats {
  std::uint64_t commits = 0;
  std::uint64_t syncs = 0;
};

class SqliteDriver final : public Driver {
 public:
  // open opens (creating the file and its parent directory if needed) and
  // configures a connection; throws DatabaseError(unavailable) on failure.
  static std::unique_ptr<SqliteDriver> open(const std::string& path, std::chrono::milliseconds timeout);
  ~SqliteDriver() override;

  Dialect dialect() const override { return Dialect::sqlite; }
  Result execute(std::string_view sql, std::span<const Param> params, bool cacheable) override;
  void execute_script(std::string_view sql) override;
  std::vector<std::string> explain(std::string_view sql) override;
  bool alive() override { return !broken_; }
  bool in_transaction() const override;
  bool transaction_failed() const override { return false; }  // SQLite keeps the transaction usable
  void set_statement_timeout(std::chrono::milliseconds timeout) override { statement_timeout_ = timeout; }
  void mark_broken() override { broken_ = true; }
  void reserve_writer() override;

  // handle is the raw connection, for the online backup API.
  sqlite3* handle() { return db_; }
  // path is the database file.
  const std::string& path() const { return path_; }
  // wal_sync_stats reads the group-commit counters of this connection's file.
  WalSyncStats wal_sync_stats() const;
  // fail throws the DatabaseError for result code `rc` of this connection.
  [[noreturn]] void fail(int rc, std::string_view context);

 private:
  SqliteDriver(sqlite3* db, std::string path, std::chrono::milliseconds timeout);
  static int on_progress(void* self);
  static int on_wal_commit(void* self, sqlite3* db, const char* schema, int wal_pages);
  // release_writer hands the write slot on once the write transaction has ended.
  void release_writer();
  void release_writer_if_done();
  struct ReleaseWriterWhenDone;
  sqlite3_stmt* prepare(std::string_view sql);
  void arm_deadline();

  sqlite3* db_;
  std::string path_;
  std::chrono::milliseconds statement_timeout_;
  std::chrono::milliseconds busy_timeout_;
  Clock::time_point deadline_{};
  bool deadline_armed_ = false;
  bool broken_ = false;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;  // keyed by the static Sql text
  std::shared_ptr<WriteCoordinator> writers_;  // shared with the file's other connections
  bool holds_writer_ = false;                  // this connection holds writers_'s write slot
};

}  // namespace keel::db
