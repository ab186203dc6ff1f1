#include "keel/db/sql_text.hpp"

#include <gtest/gtest.h>

namespace keel::db {
namespace {

TEST(SqlText, RewritesPlaceholdersKeepingTheirNumbers) {
  EXPECT_EQ(to_sqlite_placeholders("SELECT $2, $1 WHERE a = $1"), "SELECT ?2, ?1 WHERE a = ?1");
  EXPECT_EQ(to_sqlite_placeholders("INSERT INTO t VALUES ($10,$9)"), "INSERT INTO t VALUES (?10,?9)");
}

TEST(SqlText, LeavesLiteralsCommentsAndIdentifiersAlone) {
  EXPECT_EQ(to_sqlite_placeholders("SELECT '$1', 'it''s $2', \"col$3\" -- $4\n, $1 /* $5 */"),
            "SELECT '$1', 'it''s $2', \"col$3\" -- $4\n, ?1 /* $5 */");
  EXPECT_EQ(to_sqlite_placeholders("SELECT a$1 FROM t"), "SELECT a$1 FROM t");
  EXPECT_EQ(to_sqlite_placeholders("SELECT E'\\' $1', $2"), "SELECT E'\\' $1', ?2");
}

TEST(SqlText, HighestPlaceholderSkipsDollarQuotedBodies) {
  EXPECT_EQ(highest_placeholder("SELECT 1"), 0);
  EXPECT_EQ(highest_placeholder("SELECT $3, $1"), 3);
  EXPECT_EQ(highest_placeholder("DO $body$ SELECT $7 $body$; SELECT $2"), 2);
  EXPECT_EQ(highest_placeholder("SELECT $$ $9 $$, $1"), 1);
  EXPECT_EQ(highest_placeholder("/* nested /* $8 */ still comment $9 */ SELECT $4"), 4);
}

}  // namespace
}  // namespace keel::db
