// keel/db/statement.hpp — SQL text the application may run, fixed at compile time.
//
// Sql accepts only text known when the program is compiled (its constructor
// is consteval), so a value from a request can never become part of a
// statement: values travel as bound parameters, written $1, $2, … in both
// dialects (translated to SQLite's ?1, ?2 by the driver; a parameter may be
// used more than once). A Statement names one piece of SQL, optionally with a
// different text per dialect; a resource declares all of its statements in
// one file and lists them in a catalog, which the EXPLAIN test checks for
// full scans (catalog.hpp).
//
//   // src/service/items/items_sql.hpp
//   inline constexpr keel::db::Statement kItemById{
//       "items.by_id", "SELECT id, title FROM items WHERE id = $1 AND owner_id = $2"};
//   inline constexpr keel::db::Statement kItemsPage{
//       "items.page",
//       "SELECT id, title FROM items WHERE owner_id = $1 ORDER BY created_at DESC LIMIT $2",  // SQLite
//       "SELECT id, title FROM items WHERE owner_id = $1 ORDER BY created_at DESC LIMIT $2"}; // PostgreSQL
//   inline constexpr const keel::db::Statement* kItemStatements[] = {&kItemById, &kItemsPage};
//
//   conn.execute(kItemById, {id, owner});
//
// When a query's shape depends on input (sort order, optional filters),
// declare one Statement per shape and pick among them, or use
// `($2 IS NULL OR tag = $2)` for optional filters — never build SQL.
#pragma once

#include <cstdint>
#include <string_view>

namespace keel::db {

// Dialect is the SQL flavour of a connection.
enum class Dialect : std::uint8_t { sqlite, postgresql };

// to_string returns "sqlite" or "postgresql".
std::string_view to_string(Dialect dialect);

// Sql is SQL text fixed at compile time: only a string literal (or another
// constant expression) converts to it.
class Sql {
 public:
  consteval Sql(const char* text) : text_(text) {}  // NOLINT(google-explicit-constructor): literals convert

  constexpr std::string_view text() const { return text_; }

 private:
  std::string_view text_;
};

// FullScan marks a Statement whose full scan is intended (a bounded admin
// listing, a purge job), with the reason reviewers read in the EXPLAIN report.
struct FullScan {
  std::string_view reason;
};

// Statement is one named piece of SQL, the same or different per dialect.
class Statement {
 public:
  // Statement with one text for both dialects.
  consteval Statement(std::string_view name, Sql sql, FullScan full_scan = {})
      : Statement(name, sql, sql, full_scan) {}
  // Statement with a SQLite text and a PostgreSQL text.
  consteval Statement(std::string_view name, Sql sqlite, Sql postgresql, FullScan full_scan = {})
      : name_(name), sqlite_(sqlite), postgresql_(postgresql), full_scan_(full_scan.reason) {
    if (name.empty()) throw "keel::db::Statement needs a name";  // a compile error in consteval
  }

  // name identifies the statement in metrics, errors and the EXPLAIN report.
  constexpr std::string_view name() const { return name_; }
  // sql returns the text for `dialect`.
  constexpr Sql sql(Dialect dialect) const { return dialect == Dialect::sqlite ? sqlite_ : postgresql_; }
  // full_scan_reason is non-empty when a full scan is intended.
  constexpr std::string_view full_scan_reason() const { return full_scan_; }

 private:
  std::string_view name_;
  Sql sqlite_;
  Sql postgresql_;
  std::string_view full_scan_;
};

}  // namespace keel::db
