#include "keel/db/transaction.hpp"

#include "keel/db/driver.hpp"

namespace keel::db {
namespace {

// These run through the driver, not Connection::execute, so an enforcing
// statement catalog does not need to list them.
constexpr Statement kBeginWrite{"transaction.begin", "BEGIN IMMEDIATE", "BEGIN"};
constexpr Statement kBeginRead{"transaction.begin_read", "BEGIN", "BEGIN READ ONLY"};
constexpr Sql kCommit = "COMMIT";
constexpr Sql kRollback = "ROLLBACK";

}  // namespace

Transaction::Transaction(Connection& connection, TransactionMode mode) : connection_(connection) {
  Driver& driver = driver_of(connection_);
  if (driver.in_transaction()) {
    throw DatabaseError(ErrorKind::other, "a transaction is already open on this connection");
  }
  const Statement& begin = mode == TransactionMode::write ? kBeginWrite : kBeginRead;
  if (mode == TransactionMode::write) driver.reserve_writer();
  driver.execute(begin.sql(driver.dialect()).text(), {}, true);
  open_ = true;
}

Transaction::~Transaction() {
  if (!open_) return;
  try {
    rollback();
  } catch (...) {
    // The connection's state is unknown: make the pool close it.
    driver_of(connection_).mark_broken();
  }
}

void Transaction::commit() {
  Driver& driver = driver_of(connection_);
  open_ = false;
  if (!driver.in_transaction()) {
    // SQLite rolls back by itself after some errors (an interrupted write).
    throw DatabaseError(ErrorKind::other, "commit: the transaction was already rolled back after an error");
  }
  if (driver.transaction_failed()) {
    // PostgreSQL would answer COMMIT with a silent ROLLBACK.
    driver.execute(kRollback.text(), {}, true);
    throw DatabaseError(ErrorKind::other, "commit: a statement in the transaction failed; rolled back");
  }
  try {
    driver.execute(kCommit.text(), {}, true);
  } catch (...) {
    if (driver.alive() && driver.in_transaction()) driver.execute(kRollback.text(), {}, true);
    throw;
  }
}

void Transaction::rollback() {
  if (!open_) return;
  open_ = false;
  Driver& driver = driver_of(connection_);
  if (driver.alive() && driver.in_transaction()) driver.execute(kRollback.text(), {}, true);
}

}  // namespace keel::db
