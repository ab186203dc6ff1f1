// keel/db/transaction.hpp — RAII transactions: rolled back unless committed.
//
// A Transaction begins in its constructor and rolls back in its destructor
// unless commit() ran, so an exception anywhere in between (a failed
// statement, an ApiError from validation) leaves no partial write behind.
// Write transactions take SQLite's write lock up front (BEGIN IMMEDIATE), so
// two writers queue on busy_timeout instead of one failing at its first
// write with SQLITE_BUSY; read transactions are READ ONLY on PostgreSQL.
//
//   keel::db::Connection conn = db.acquire();
//   keel::db::Transaction tx(conn);
//   conn.execute(kInsertItem, {id, owner, title});
//   conn.execute(kInsertAudit, {owner, "item.create", id});
//   tx.commit();                      // nothing is written if this line is not reached
//
// Or, with Database::in_transaction:
//   db.in_transaction([&](keel::db::Connection& c) { c.execute(kInsertItem, {...}); });
#pragma once

#include <cstdint>

#include "keel/db/connection.hpp"

namespace keel::db {

// TransactionMode says whether the transaction writes.
enum class TransactionMode : std::uint8_t { write, read };

// Transaction is one database transaction on a borrowed connection.
class Transaction {
 public:
  // Transaction begins; throws DatabaseError(other) when one is already open on `connection`.
  explicit Transaction(Connection& connection, TransactionMode mode = TransactionMode::write);
  // ~Transaction rolls back unless committed; a failed rollback discards the connection.
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // commit makes the writes durable; throws DatabaseError if the database
  // refuses (the transaction is then rolled back).
  void commit();
  // rollback undoes the writes now.
  void rollback();

 private:
  Connection& connection_;
  bool open_ = false;
};

}  // namespace keel::db
