// keel/db/driver.hpp — one physical database connection (internal to keel::db).
//
// The SQLite and PostgreSQL drivers implement Driver; Pool owns them and
// hands them out wrapped in a Connection. Application code never sees a
// Driver: it would let SQL text in from anywhere. Only keel::db itself calls
// `execute` with text that is not a compile-time Sql (migration files,
// EXPLAIN, test helpers), and such text never contains a value.
//
//   std::unique_ptr<Driver> d = connect_driver(target, deadline);
//   Result r = d->execute("SELECT $1", params, /*cacheable=*/false);
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keel/db/row.hpp"
#include "keel/db/statement.hpp"
#include "keel/db/value.hpp"

namespace keel::db {

using Clock = std::chrono::steady_clock;

// Driver is one open connection, used by one thread at a time.
class Driver {
 public:
  virtual ~Driver() = default;
  Driver() = default;
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  virtual Dialect dialect() const = 0;
  // execute prepares (or reuses) and runs one statement with $N placeholders.
  // `cacheable` promises that `sql` has static storage (a compile-time Sql):
  // the prepared statement is then kept for the life of the connection.
  virtual Result execute(std::string_view sql, std::span<const Param> params, bool cacheable) = 0;
  // execute_script runs parameterless SQL that may hold several statements (migration files).
  virtual void execute_script(std::string_view sql) = 0;
  // explain returns the query plan of `sql` ($N placeholders unbound), one line per node.
  virtual std::vector<std::string> explain(std::string_view sql) = 0;
  // alive is a cheap check without a round trip: false once the connection is known dead.
  virtual bool alive() = 0;
  // in_transaction is true while a transaction is open (or failed and not yet rolled back).
  virtual bool in_transaction() const = 0;
  // transaction_failed is true inside a transaction a failed statement aborted (PostgreSQL).
  virtual bool transaction_failed() const = 0;
  // set_statement_timeout changes the per-statement limit; 0 disables it (migrations).
  virtual void set_statement_timeout(std::chrono::milliseconds timeout) = 0;
  // mark_broken makes alive() false so the pool discards the connection.
  virtual void mark_broken() = 0;
  // reserve_writer runs right before BEGIN of a write transaction. SQLite
  // queues this process's writers on a mutex there; PostgreSQL needs nothing.
  virtual void reserve_writer() {}
};

// ConnectTarget is everything needed to open one connection.
struct ConnectTarget {
  std::string url;                          // DATABASE_URL or DATABASE_READ_URL (holds the password)
  std::chrono::milliseconds timeout{5000};  // statement timeout and SQLite busy timeout
};

// connect_driver opens a connection to `target`, giving up at `deadline`;
// throws DatabaseError(unavailable) when it cannot.
std::unique_ptr<Driver> connect_driver(const ConnectTarget& target, Clock::time_point deadline);

}  // namespace keel::db
