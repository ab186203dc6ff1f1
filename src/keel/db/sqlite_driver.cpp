#include "keel/db/sqlite_driver.hpp"

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <system_error>
#include <utility>

#include "keel/db/error.hpp"
#include "keel/db/sql_text.hpp"

namespace keel::db {
namespace {

struct FinalizeStatement {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using OwnedStatement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

// ResetStatement returns a (cached) statement to its initial state on every
// exit path, so the next execute starts clean and no read transaction stays open.
struct ResetStatement {
  explicit ResetStatement(sqlite3_stmt* s) : stmt(s) {}
  ~ResetStatement() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
  ResetStatement(const ResetStatement&) = delete;
  ResetStatement& operator=(const ResetStatement&) = delete;
  sqlite3_stmt* stmt;
};

bool only_separators(const char* tail) {
  for (; tail != nullptr && *tail != '\0'; ++tail) {
    if (*tail != ';' && *tail != ' ' && *tail != '\n' && *tail != '\t' && *tail != '\r') return false;
  }
  return true;
}

ErrorKind kind_of(int rc) {
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY: return ErrorKind::constraint_unique;
    case SQLITE_CONSTRAINT_FOREIGNKEY: return ErrorKind::constraint_foreign_key;
    default: break;
  }
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT: return ErrorKind::constraint_other;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_INTERRUPT: return ErrorKind::timeout;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_NOMEM: return ErrorKind::unavailable;
    default: return ErrorKind::other;
  }
}

// kCheckpointPages is SQLite's default auto-checkpoint threshold, which the WAL hook replaces.
constexpr int kCheckpointPages = 1000;

}  // namespace

// WriteCoordinator is one database file's writer queue and group commit in
// this process (see the header). Thread-safe.
class WriteCoordinator {
 public:
  // acquire_write_slot waits up to `timeout` for the write slot, held from
  // before BEGIN IMMEDIATE until the transaction ends (a flag under a mutex,
  // not a timed_mutex: the slot is a state, and ThreadSanitizer cannot follow
  // pthread_mutex_clocklock).
  bool acquire_write_slot(std::chrono::milliseconds timeout) {
    std::unique_lock lock(slot_mutex_);
    if (!slot_freed_.wait_for(lock, timeout, [this] { return !slot_taken_; })) return false;
    slot_taken_ = true;
    return true;
  }

  void release_write_slot() {
    {
      std::lock_guard lock(slot_mutex_);
      slot_taken_ = false;
    }
    slot_freed_.notify_one();
  }

  // sync returns once an fsync of the WAL that started after this call has
  // finished: the commit that preceded the call is then on disk.
  int sync(sqlite3_file& wal) {
    std::unique_lock lock(mutex_);
    const std::uint64_t ticket = ++stats_.commits;
    while (synced_ < ticket) {
      if (syncing_) {
        synced_changed_.wait(lock);
        continue;
      }
      // Leader: one fsync covers every commit announced so far.
      syncing_ = true;
      const std::uint64_t covered = stats_.commits;
      lock.unlock();
      const int rc = wal.pMethods->xSync(&wal, SQLITE_SYNC_NORMAL);
      lock.lock();
      syncing_ = false;
      if (rc == SQLITE_OK) {
        synced_ = std::max(synced_, covered);
        ++stats_.syncs;
      }
      synced_changed_.notify_all();
      if (rc != SQLITE_OK) return rc;
    }
    return SQLITE_OK;
  }

  WalSyncStats stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
  }

  // for_file returns the WriteCoordinator every connection of this process to `path` shares.
  static std::shared_ptr<WriteCoordinator> for_file(const std::string& path) {
    static std::mutex registry_mutex;
    static std::map<std::string, std::weak_ptr<WriteCoordinator>> registry;
    std::error_code ec;
    const auto canonical = std::filesystem::weakly_canonical(path, ec);
    const std::string key = ec ? path : canonical.string();
    std::lock_guard lock(registry_mutex);
    std::erase_if(registry, [](const auto& entry) { return entry.second.expired(); });
    auto& slot = registry[key];
    auto shared = slot.lock();
    if (!shared) {
      shared = std::make_shared<WriteCoordinator>();
      slot = shared;
    }
    return shared;
  }

 private:
  std::mutex slot_mutex_;
  std::condition_variable slot_freed_;
  bool slot_taken_ = false;  // a connection of this process is in a write transaction
  mutable std::mutex mutex_;
  std::condition_variable synced_changed_;
  WalSyncStats stats_;
  std::uint64_t synced_ = 0;  // every commit up to this ticket is on disk
  bool syncing_ = false;      // a leader's fsync is running
};

SqliteDriver::SqliteDriver(sqlite3* db, std::string path, std::chrono::milliseconds timeout)
    : db_(db), path_(std::move(path)), statement_timeout_(timeout), busy_timeout_(timeout) {}

SqliteDriver::~SqliteDriver() {
  release_writer();
  for (auto& [text, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

std::unique_ptr<SqliteDriver> SqliteDriver::open(const std::string& path, std::chrono::milliseconds timeout) {
  if (path != ":memory:") {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) {
      throw DatabaseError(ErrorKind::unavailable,
                          "SQLite: cannot create directory " + parent.string() + ": " + ec.message());
    }
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<SqliteDriver> driver(new SqliteDriver(db, path, timeout));
  if (db == nullptr) throw DatabaseError(ErrorKind::unavailable, "SQLite: out of memory opening " + path);
  if (rc != SQLITE_OK) driver->fail(rc, "cannot open " + path);
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db,
                       static_cast<int>(std::min<std::chrono::milliseconds::rep>(timeout.count(), 1 << 30)));
  sqlite3_progress_handler(db, 1000, &SqliteDriver::on_progress, driver.get());
  try {
    const Result mode = driver->execute("PRAGMA journal_mode=WAL", {}, false);
    const std::string journal = mode.empty() ? "" : mode[0].get<std::string>(0);
    if (journal != "wal" && journal != "memory") {
      throw DatabaseError(ErrorKind::unavailable,
                          "SQLite: " + path + " cannot use WAL (journal_mode " + journal + ")");
    }
    // NORMAL plus the WAL hook's group fsync: a commit that returned is durable (see the header).
    driver->execute_script("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA trusted_schema=OFF;");
    if (journal == "wal") {
      driver->writers_ = WriteCoordinator::for_file(path);
      sqlite3_wal_hook(db, &SqliteDriver::on_wal_commit, driver.get());
    }
  } catch (const DatabaseError& e) {
    // A file that is not a database, or an unwritable one, makes the database unavailable.
    throw DatabaseError(ErrorKind::unavailable, e.what());
  }
  return driver;
}

int SqliteDriver::on_wal_commit(void* self, sqlite3* db, const char* schema, int wal_pages) {
  sqlite3_file* wal = nullptr;
  if (sqlite3_file_control(db, schema, SQLITE_FCNTL_JOURNAL_POINTER, &wal) != SQLITE_OK || wal == nullptr ||
      wal->pMethods == nullptr) {
    return SQLITE_IOERR_FSYNC;
  }
  auto* driver = static_cast<SqliteDriver*>(self);
  // The commit is in the WAL: the next writer may start while this one waits for the fsync.
  driver->release_writer();
  // An error here fails the statement (the commit itself has happened): the
  // caller reports the database unavailable rather than acknowledging it.
  if (const int rc = driver->writers_->sync(*wal); rc != SQLITE_OK) return rc;
  if (wal_pages >= kCheckpointPages) {
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  return SQLITE_OK;
}

WalSyncStats SqliteDriver::wal_sync_stats() const { return writers_ ? writers_->stats() : WalSyncStats{}; }

void SqliteDriver::reserve_writer() {
  if (!writers_ || holds_writer_) return;
  if (!writers_->acquire_write_slot(busy_timeout_)) {
    throw DatabaseError(ErrorKind::timeout, "SQLite: no write slot within the busy timeout (" +
                                                std::to_string(busy_timeout_.count()) + " ms)");
  }
  holds_writer_ = true;
}

void SqliteDriver::release_writer() {
  if (!holds_writer_) return;
  holds_writer_ = false;
  writers_->release_write_slot();
}

void SqliteDriver::release_writer_if_done() {
  // Autocommit again: the write transaction committed (without writing, so
  // no WAL hook ran), rolled back, or never began.
  if (holds_writer_ && sqlite3_get_autocommit(db_) != 0) release_writer();
}

int SqliteDriver::on_progress(void* self) {
  const auto* driver = static_cast<const SqliteDriver*>(self);
  return driver->deadline_armed_ && Clock::now() > driver->deadline_ ? 1 : 0;
}

void SqliteDriver::arm_deadline() {
  deadline_armed_ = statement_timeout_.count() > 0;
  if (deadline_armed_) deadline_ = Clock::now() + statement_timeout_;
}

void SqliteDriver::fail(int rc, std::string_view context) {
  deadline_armed_ = false;
  const ErrorKind kind = kind_of(rc);
  std::string message = "SQLite: ";
  message.append(context).append(": ");
  if ((rc & 0xff) == SQLITE_INTERRUPT) {
    message += "statement timeout (" + std::to_string(statement_timeout_.count()) + " ms) exceeded";
  } else {
    message += db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    if ((rc & 0xff) == SQLITE_BUSY) message += " (busy timeout exceeded)";
  }
  message += " [SQLite code " + std::to_string(rc) + "]";
  std::string constraint;
  if (kind == ErrorKind::constraint_unique || kind == ErrorKind::constraint_other) {
    // "UNIQUE constraint failed: users.email" → "users.email" (names, never values).
    const std::string text = db_ != nullptr ? sqlite3_errmsg(db_) : "";
    if (const auto colon = text.find("failed: "); colon != std::string::npos)
      constraint = text.substr(colon + 8);
  }
  if (kind == ErrorKind::unavailable) broken_ = true;
  throw DatabaseError(kind, message, std::move(constraint));
}

sqlite3_stmt* SqliteDriver::prepare(std::string_view sql) {
  const std::string text = to_sqlite_placeholders(sql);
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v3(db_, text.c_str(), static_cast<int>(text.size() + 1),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
  if (rc != SQLITE_OK) fail(rc, "prepare");
  OwnedStatement owned(stmt);
  if (stmt == nullptr) throw DatabaseError(ErrorKind::other, "SQLite: prepare: empty statement");
  if (!only_separators(tail)) {
    throw DatabaseError(ErrorKind::other, "SQLite: prepare: more than one statement in one execute");
  }
  return owned.release();
}

// ReleaseWriterWhenDone runs release_writer_if_done on every exit path of a statement.
struct SqliteDriver::ReleaseWriterWhenDone {
  explicit ReleaseWriterWhenDone(SqliteDriver& d) : driver(d) {}
  ~ReleaseWriterWhenDone() { driver.release_writer_if_done(); }
  ReleaseWriterWhenDone(const ReleaseWriterWhenDone&) = delete;
  ReleaseWriterWhenDone& operator=(const ReleaseWriterWhenDone&) = delete;
  SqliteDriver& driver;
};

Result SqliteDriver::execute(std::string_view sql, std::span<const Param> params, bool cacheable) {
  const ReleaseWriterWhenDone release_writer_when_done{*this};
  if (broken_) throw DatabaseError(ErrorKind::unavailable, "SQLite: connection unusable after an I/O error");
  sqlite3_stmt* stmt = nullptr;
  OwnedStatement owned;
  if (cacheable) {
    if (const auto it = cache_.find(sql.data()); it != cache_.end()) {
      stmt = it->second;
    } else {
      stmt = prepare(sql);
      cache_.emplace(sql.data(), stmt);
    }
  } else {
    stmt = prepare(sql);
    owned.reset(stmt);
  }
  const ResetStatement reset{stmt};
  const int expected = sqlite3_bind_parameter_count(stmt);
  if (static_cast<std::size_t>(expected) != params.size()) {
    throw DatabaseError(ErrorKind::other, "statement expects " + std::to_string(expected) +
                                              " bound parameters, got " + std::to_string(params.size()));
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i + 1);
    const Value& v = params[i].value();
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::nullptr_t>(v)) {
      rc = sqlite3_bind_null(stmt, index);
    } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, index, *n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(stmt, index, *d);
    } else if (const auto* b = std::get_if<bool>(&v)) {
      rc = sqlite3_bind_int64(stmt, index, *b ? 1 : 0);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      // The Param outlives the statement run (bindings are cleared on exit).
      rc = sqlite3_bind_text64(stmt, index, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
    } else if (const auto* blob = std::get_if<Blob>(&v)) {
      rc = blob->empty() ? sqlite3_bind_zeroblob(stmt, index, 0)
                         : sqlite3_bind_blob64(stmt, index, blob->data(), blob->size(), SQLITE_STATIC);
    }
    if (rc != SQLITE_OK) fail(rc, "bind");
  }

  const int column_count = sqlite3_column_count(stmt);
  auto columns = std::make_shared<std::vector<std::string>>();
  columns->reserve(static_cast<std::size_t>(column_count));
  for (int c = 0; c < column_count; ++c) columns->emplace_back(sqlite3_column_name(stmt, c));

  std::vector<Row> rows;
  arm_deadline();
  for (;;) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) fail(rc, "execute");
    std::vector<Value> cells;
    cells.reserve(static_cast<std::size_t>(column_count));
    for (int c = 0; c < column_count; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER:
          cells.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(stmt, c)));
          break;
        case SQLITE_FLOAT: cells.emplace_back(sqlite3_column_double(stmt, c)); break;
        case SQLITE_TEXT: {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          cells.emplace_back(std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
          break;
        }
        case SQLITE_BLOB: {
          const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, c));
          cells.emplace_back(Blob(data, data + sqlite3_column_bytes(stmt, c)));
          break;
        }
        default: cells.emplace_back(nullptr); break;
      }
    }
    rows.emplace_back(columns, std::move(cells));
  }
  deadline_armed_ = false;
  const std::int64_t affected = sqlite3_stmt_readonly(stmt) != 0 ? 0 : sqlite3_changes64(db_);
  return Result(std::move(rows), affected);
}

void SqliteDriver::execute_script(std::string_view sql) {
  const ReleaseWriterWhenDone release_writer_when_done{*this};
  if (broken_) throw DatabaseError(ErrorKind::unavailable, "SQLite: connection unusable after an I/O error");
  const std::string text(sql);
  arm_deadline();
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  deadline_armed_ = false;
  if (rc != SQLITE_OK) fail(rc, "script");
}

std::vector<std::string> SqliteDriver::explain(std::string_view sql) {
  const std::string text = "EXPLAIN QUERY PLAN " + std::string(sql);
  OwnedStatement stmt(prepare(text));
  std::vector<std::string> lines;
  for (;;) {
    const int rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) fail(rc, "explain");
    lines.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 3)));
  }
  return lines;
}

bool SqliteDriver::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

}  // namespace keel::db
