// keel/db/database.hpp — the application's handle on its database.
//
// Database owns the connection pool for DATABASE_URL and, when
// DATABASE_READ_URL is set, a second pool for read-only queries on a
// replica. It connects lazily: constructing it never blocks, so the server
// can start (and report not-ready) while the database is still coming up.
//
// Threading: share one Database between threads; each thread borrows its own
// Connection. All calls block for at most DATABASE_TIMEOUT_MS per wait (pool
// acquire, connect, statement). Keel runs handlers on its handler thread
// pool, never on the HTTP I/O threads, so this blocking is bounded and stalls
// no other request; do not call into keel::db from an I/O thread.
//
//   keel::db::Database db(settings);                 // DATABASE_URL, pool size, timeout
//   db.register_statements(service::items::kItemStatements);
//   auto item = db.acquire_read().execute(kItemById, {id, owner});   // replica if configured
//   db.in_transaction([&](keel::db::Connection& c) {
//     c.execute(kInsertItem, {id, owner, title});
//   });
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>

#include "keel/config/settings.hpp"
#include "keel/db/catalog.hpp"
#include "keel/db/connection.hpp"
#include "keel/db/pool.hpp"
#include "keel/db/transaction.hpp"
#include "keel/db/write_batch.hpp"

namespace keel::db {

// DatabaseOptions configures a Database; from_settings reads SPEC §3's variables.
struct DatabaseOptions {
  std::string url = "sqlite:///./data/keel.db";  // DATABASE_URL (may hold a password)
  std::optional<std::string> read_url{};         // DATABASE_READ_URL
  int pool_size = 2;                             // DATABASE_POOL_SIZE, per pool
  std::chrono::milliseconds timeout{5000};       // DATABASE_TIMEOUT_MS: acquire, connect, statement, busy
  bool enforce_catalog = false;  // refuse statements missing from the catalog (development, tests)
  QueryObserver on_query{};      // metrics hook: called after every statement

  static DatabaseOptions from_settings(const config::Settings& settings);
};

// Database is the pools for one primary and an optional read replica.
class Database {
 public:
  // Database validates the URLs (throws DatabaseError(other) naming the
  // variable, with the password redacted) but does not connect.
  explicit Database(DatabaseOptions options);
  explicit Database(const config::Settings& settings) : Database(DatabaseOptions::from_settings(settings)) {}
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // dialect is the primary's SQL flavour.
  Dialect dialect() const { return dialect_; }
  // acquire borrows a read-write connection to the primary.
  Connection acquire() { return primary_->acquire(); }
  // acquire_read borrows a connection for read-only queries: the replica when
  // DATABASE_READ_URL is set (it may lag the primary: read your own writes
  // from acquire()), the primary otherwise.
  Connection acquire_read() { return replica_ ? replica_->acquire() : primary_->acquire(); }

  // in_transaction runs `work(connection)` in a write transaction on the
  // primary and commits when it returns; any exception rolls back and propagates.
  // On SQLite, concurrent calls share one transaction and its fsync
  // (write_batch.hpp); each still commits or fails on its own.
  template <class Work>
  auto in_transaction(Work&& work) -> std::invoke_result_t<Work&, Connection&> {
    using WorkResult = std::invoke_result_t<Work&, Connection&>;
    if (write_batch_) {
      if constexpr (std::is_void_v<WorkResult>) {
        write_batch_->run([&](Connection& connection) { work(connection); });
        return;
      } else {
        std::optional<WorkResult> result;
        write_batch_->run([&](Connection& connection) { result.emplace(work(connection)); });
        return std::move(*result);
      }
    }
    Connection connection = acquire();
    Transaction transaction(connection);
    if constexpr (std::is_void_v<std::invoke_result_t<Work&, Connection&>>) {
      work(connection);
      transaction.commit();
    } else {
      auto result = work(connection);
      transaction.commit();
      return result;
    }
  }

  // register_statements adds a resource's statements to the catalog (before serving).
  void register_statements(std::span<const Statement* const> statements) { catalog_->add(statements); }
  // catalog is every registered statement.
  const StatementCatalog& catalog() const { return *catalog_; }

  // write_batch merges SQLite's write transactions; null on PostgreSQL.
  const WriteBatch* write_batch() const { return write_batch_.get(); }
  // primary_pool and replica_pool expose the pools (stats for /metrics).
  Pool& primary_pool() { return *primary_; }
  Pool* replica_pool() { return replica_.get(); }
  // url returns DATABASE_URL itself — it may hold the password: never log it.
  const std::string& url() const { return options_.url; }
  // redacted_url is DATABASE_URL with the password hidden, for logs and messages.
  std::string redacted_url() const;
  // timeout is DATABASE_TIMEOUT_MS.
  std::chrono::milliseconds timeout() const { return options_.timeout; }

 private:
  DatabaseOptions options_;
  Dialect dialect_;
  std::shared_ptr<StatementCatalog> catalog_;
  std::unique_ptr<Pool> primary_;
  std::unique_ptr<Pool> replica_;
  std::unique_ptr<WriteBatch> write_batch_;  // SQLite only
};

}  // namespace keel::db
