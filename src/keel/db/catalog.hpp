// keel/db/catalog.hpp — the service's statements in one place, and their query plans.
//
// Each resource declares its Statements in one file and lists them in an
// array; the service registers every array with the Database at start-up.
// The EXPLAIN test migrates a fresh database, runs explain_statements() over
// the whole catalog and fails on a full scan of a user-data table that the
// statement did not declare with FullScan{"why"}. With an enforcing catalog
// (DatabaseOptions::enforce_catalog, meant for development and the test
// suites) executing a Statement that was never registered, or ad-hoc Sql,
// throws — so the catalog provably holds every query the service issues.
//
//   // src/service/items/items_sql.hpp
//   inline constexpr const keel::db::Statement* kItemStatements[] = {&kItemById, &kItemsPage};
//   db.register_statements(kItemStatements);
//
//   // the EXPLAIN test
//   ExplainReport report = explain_statements(conn, db.catalog().statements(), {"users", "items"});
//   EXPECT_TRUE(report.ok()) << report.summary();
#pragma once

#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "keel/db/connection.hpp"
#include "keel/db/statement.hpp"

namespace keel::db {

// StatementCatalog is the set of registered statements. Register before
// serving; lookups are thread-safe.
class StatementCatalog {
 public:
  explicit StatementCatalog(bool enforced = false) : enforced_(enforced) {}

  // add registers statements; throws DatabaseError(other) when a different
  // statement already uses one of the names (metric labels must be unique).
  void add(std::span<const Statement* const> statements);
  // contains is true when `statement` (this very object) was registered.
  bool contains(const Statement* statement) const;
  // statements returns every registered statement, in registration order.
  std::vector<const Statement*> statements() const;
  // enforced is true when unregistered statements and ad-hoc Sql are refused.
  bool enforced() const { return enforced_; }

 private:
  bool enforced_;
  mutable std::shared_mutex mutex_;
  std::vector<const Statement*> ordered_;
  std::unordered_map<std::string_view, const Statement*> by_name_;
};

// PlanFinding is one full scan of a table found in a statement's plan.
struct PlanFinding {
  std::string statement;  // the Statement's name
  std::string table;      // the scanned table
  std::string plan_line;  // the plan node that scans it
  std::string reason;     // the FullScan reason, for accepted scans
};

// ExplainReport is the result of explaining a catalog.
struct ExplainReport {
  std::vector<PlanFinding> full_scans;      // undeclared full scans: the test fails on these
  std::vector<PlanFinding> accepted_scans;  // full scans declared with FullScan{reason}
  std::vector<std::string> errors;          // "<name>: <message>" for statements that did not plan
  std::vector<std::pair<std::string, std::vector<std::string>>> plans;  // name → plan lines

  bool ok() const { return full_scans.empty() && errors.empty(); }
  // summary renders findings and errors, one per line, for a test failure message.
  std::string summary() const;
};

// explain_statements plans every statement in the connection's dialect
// (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: the generic plan with
// enable_seqscan=off) and reports full scans — table scans and index scans
// without a condition — of `watched_tables` (all tables when empty).
// Statements are planned, never run.
ExplainReport explain_statements(Connection& connection, std::span<const Statement* const> statements,
                                 std::span<const std::string> watched_tables = {});

}  // namespace keel::db
