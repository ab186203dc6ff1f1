// keel/db/connection.hpp — a pooled connection and the statements it runs.
//
// A Connection is borrowed from a Pool (Database::acquire) and goes back when
// it is destroyed; a connection that broke while borrowed is discarded, and
// one returned inside an open transaction is rolled back first. It runs
// compile-time SQL with bound parameters only (statement.hpp).
//
// Threading: a Connection is used by one thread at a time. Calls block until
// the database answers or DATABASE_TIMEOUT_MS passes; Keel runs handlers on
// its handler thread pool, never on the HTTP I/O threads, so blocking here
// stalls no other request.
//
//   keel::db::Connection conn = db.acquire();
//   keel::db::Result r = conn.execute(kItemById, {id, owner_id});
//   conn.execute("UPDATE items SET title = $1 WHERE id = $2", {title, id});  // ad hoc, still bound
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "keel/db/error.hpp"
#include "keel/db/row.hpp"
#include "keel/db/statement.hpp"
#include "keel/db/value.hpp"

namespace keel::db {

class Driver;
class Pool;
namespace detail {
struct PoolState;
}

// QueryEvent describes one finished statement, for metrics and logs.
struct QueryEvent {
  std::string_view statement;  // the Statement's name, or "sql" for an unnamed Sql
  std::chrono::nanoseconds duration{};
  std::optional<ErrorKind> error;  // set when the statement failed
};

// QueryObserver is called on the executing thread after every statement.
using QueryObserver = std::function<void(const QueryEvent&)>;

// Connection is one borrowed database connection.
class Connection {
 public:
  Connection(Connection&& other) noexcept = default;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // dialect tells which SQL flavour this connection speaks.
  Dialect dialect() const;
  // execute runs a catalogued statement with its bound parameters.
  Result execute(const Statement& statement, std::initializer_list<Param> params = {});
  Result execute(const Statement& statement, std::span<const Param> params);
  // execute runs ad-hoc compile-time SQL (the same text for both dialects).
  // Refused when the Database enforces its statement catalog.
  Result execute(Sql sql, std::initializer_list<Param> params = {});
  Result execute(Sql sql, std::span<const Param> params);
  // ping runs a trivial query; throws DatabaseError when the database does not answer.
  void ping();
  // in_transaction is true while a transaction is open on this connection.
  bool in_transaction() const;

 private:
  friend class Pool;
  friend Driver& driver_of(Connection& connection);
  Connection(std::unique_ptr<Driver> driver, std::shared_ptr<detail::PoolState> pool);
  Result run(const Statement* statement, Sql sql, std::span<const Param> params);
  void give_back() noexcept;

  std::unique_ptr<Driver> driver_;
  std::shared_ptr<detail::PoolState> pool_;
};

// driver_of exposes the physical connection to keel::db's own machinery
// (transactions, migrations, backups, EXPLAIN). Not for application code.
Driver& driver_of(Connection& connection);

}  // namespace keel::db
