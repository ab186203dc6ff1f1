#include "keel/db/catalog.hpp"

#include <gtest/gtest.h>

#include "keel/db/test_fixture.hpp"

namespace keel::db {
namespace {

using testing::TestDatabase;

// A toy resource declared the way a service resource declares its SQL.
constexpr Statement kCreateItems{
    "toy.create",
    "CREATE TABLE items (id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL, title TEXT NOT NULL, "
    "created_at TEXT NOT NULL)",
    "CREATE TABLE items (id BIGINT PRIMARY KEY, owner_id BIGINT NOT NULL, title TEXT NOT NULL, "
    "created_at TEXT NOT NULL)"};
constexpr Statement kIndexItems{"toy.index",
                                "CREATE INDEX items_owner_created ON items (owner_id, created_at)"};
constexpr Statement kById{"items.by_id", "SELECT id, title FROM items WHERE id = $1 AND owner_id = $2"};
constexpr Statement kPage{"items.page",
                          "SELECT i.id, i.title FROM items AS i WHERE i.owner_id = $1 "
                          "ORDER BY i.created_at DESC LIMIT $2"};
constexpr Statement kInsert{"items.insert",
                            "INSERT INTO items (id, owner_id, title, created_at) VALUES ($1, $2, $3, $4)"};
constexpr Statement kByTitle{"items.by_title", "SELECT it.id FROM items it WHERE it.title = $1"};
constexpr Statement kCount{"items.count_all", "SELECT count(*) FROM items",
                           FullScan{"admin statistics page, run once a day"}};
constexpr Statement kBroken{"items.broken", "SELECT nope FROM items"};

constexpr const Statement* kItemStatements[] = {&kById, &kPage, &kInsert, &kByTitle, &kCount};

class CatalogTest : public testing::DialectTest {};

TEST_P(CatalogTest, ExplainFindsUndeclaredFullScansOnly) {
  TestDatabase t(GetParam());
  Connection conn = t.db().acquire();
  conn.execute(kCreateItems);
  conn.execute(kIndexItems);
  t.db().register_statements(kItemStatements);

  const std::vector<const Statement*> catalog = t.db().catalog().statements();
  ASSERT_EQ(catalog.size(), 5U);
  const std::vector<std::string> watched = {"items"};
  const ExplainReport report = explain_statements(conn, catalog, watched);

  EXPECT_TRUE(report.errors.empty()) << report.summary();
  ASSERT_EQ(report.full_scans.size(), 1U) << report.summary();
  EXPECT_EQ(report.full_scans[0].statement, "items.by_title");  // found through its alias
  EXPECT_EQ(report.full_scans[0].table, "items");
  ASSERT_EQ(report.accepted_scans.size(), 1U);
  EXPECT_EQ(report.accepted_scans[0].statement, "items.count_all");
  EXPECT_EQ(report.accepted_scans[0].reason, "admin statistics page, run once a day");
  EXPECT_EQ(report.plans.size(), 5U);
  EXPECT_FALSE(report.ok());
  EXPECT_NE(report.summary().find("full scan of items in items.by_title"), std::string::npos)
      << report.summary();

  // Nothing ran: EXPLAIN plans statements, it does not execute them.
  EXPECT_TRUE(conn.execute("SELECT id FROM items").empty());
  EXPECT_FALSE(conn.in_transaction());
}

TEST_P(CatalogTest, AStatementThatDoesNotPlanIsAnError) {
  TestDatabase t(GetParam());
  Connection conn = t.db().acquire();
  conn.execute(kCreateItems);
  const Statement* statements[] = {&kBroken, &kById};
  const ExplainReport report = explain_statements(conn, statements);
  ASSERT_EQ(report.errors.size(), 1U);
  EXPECT_TRUE(report.errors[0].starts_with("items.broken: ")) << report.errors[0];
  // kById has no index on this table (only the primary key): still no full scan.
  EXPECT_TRUE(report.full_scans.empty()) << report.summary();
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(conn.execute("SELECT 1 AS one")[0].get<int>(0), 1);  // the connection survived
}

KEEL_DB_BOTH_DIALECTS(CatalogTest);

}  // namespace
}  // namespace keel::db
