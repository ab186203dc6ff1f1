// keel/db/error.hpp — the one exception type of the database layer.
//
// Every failure below keel::db surfaces as DatabaseError with a kind the
// caller can act on; the app layer maps unavailable/timeout to 503
// `database_unavailable` (with Retry-After) and constraint_unique to 409.
// Messages name what failed (SQLSTATE, SQLite code, constraint, statement
// name) but never contain a password or a bound value, so they are safe to log.
//
//   try {
//     conn.execute(kInsertUser, {email, hash});
//   } catch (const keel::db::DatabaseError& e) {
//     if (e.kind() == keel::db::ErrorKind::constraint_unique) throw ApiError(ErrorCode::email_taken, ...);
//     throw;
//   }
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace keel::db {

// ErrorKind says what the caller can do about a DatabaseError.
enum class ErrorKind : std::uint8_t {
  unavailable,             // cannot connect, pool exhausted, connection lost: retry later
  timeout,                 // statement timeout, lock wait, deadlock or serialization failure: retry later
  constraint_unique,       // a UNIQUE or PRIMARY KEY constraint rejected the row
  constraint_foreign_key,  // a FOREIGN KEY constraint rejected the change
  constraint_other,        // NOT NULL, CHECK and other constraints
  other,                   // anything else: a bug in SQL or data, not retryable
};

// to_string returns the kind's snake_case name ("constraint_unique").
std::string_view to_string(ErrorKind kind);

// is_transient is true for the kinds worth retrying later (unavailable, timeout).
constexpr bool is_transient(ErrorKind kind) {
  return kind == ErrorKind::unavailable || kind == ErrorKind::timeout;
}

// DatabaseError is thrown by every keel::db operation that fails.
class DatabaseError : public std::runtime_error {
 public:
  DatabaseError(ErrorKind kind, const std::string& message, std::string constraint = {})
      : std::runtime_error(message), kind_(kind), constraint_(std::move(constraint)) {}

  ErrorKind kind() const { return kind_; }
  // constraint names the violated constraint when known: the PostgreSQL
  // constraint name ("users_email_key") or SQLite's column list ("users.email").
  const std::string& constraint() const { return constraint_; }

 private:
  ErrorKind kind_;
  std::string constraint_;
};

}  // namespace keel::db
