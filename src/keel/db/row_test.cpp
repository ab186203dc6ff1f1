#include "keel/db/row.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "keel/db/statement.hpp"

namespace keel::db {
namespace {

Row make_row(std::vector<Value> cells) {
  auto names = std::make_shared<std::vector<std::string>>();
  for (std::size_t i = 0; i < cells.size(); ++i) names->push_back("c" + std::to_string(i));
  return Row(names, std::move(cells));
}

TEST(Row, ConvertsCellsToTheRequestedType) {
  const Row row = make_row({std::int64_t{42}, 2.5, true, std::string("7"), Blob{0, 1, 255}, nullptr});
  EXPECT_EQ(row.get<std::int64_t>(0), 42);
  EXPECT_EQ(row.get<int>("c0"), 42);
  EXPECT_EQ(row.get<std::string>(0), "42");
  EXPECT_DOUBLE_EQ(row.get<double>(1), 2.5);
  EXPECT_DOUBLE_EQ(row.get<double>(0), 42.0);
  EXPECT_TRUE(row.get<bool>(2));
  EXPECT_EQ(row.get<std::int64_t>(3), 7);  // numeric text, as SQLite may store it
  EXPECT_EQ(row.get<Blob>(4), (Blob{0, 1, 255}));
  EXPECT_EQ(row.get<std::string>(4), std::string("\0\1\xff", 3));
  EXPECT_EQ(row.get<std::optional<std::string>>(5), std::nullopt);
  EXPECT_EQ(row.get<std::optional<std::int64_t>>(0), 42);
}

TEST(Row, TakeMovesTextOutAndConvertsEverythingElseLikeGet) {
  const std::string long_text(100, 'x');  // beyond the small-string buffer: a real move
  Row row = make_row({long_text, std::int64_t{42}, nullptr, std::string("kept")});
  EXPECT_EQ(row.take<std::string>("c0"), long_text);
  EXPECT_EQ(row.get<std::string>("c0"), "");  // moved out
  EXPECT_EQ(row.take<std::string>("c1"), "42");
  EXPECT_EQ(row.take<std::int64_t>("c1"), 42);
  EXPECT_EQ(row.take<std::optional<std::string>>("c2"), std::nullopt);
  EXPECT_EQ(row.take<std::optional<std::string>>("c3"), "kept");
  EXPECT_THROW((void)row.take<std::string>("c2"), DatabaseError);  // NULL without optional
  EXPECT_THROW((void)row.take<std::string>("missing"), DatabaseError);
}

TEST(Row, NullWithoutOptionalAndBadConversionsThrowNamingTheColumn) {
  const Row row = make_row({nullptr, std::string("abc"), 1.5, std::int64_t{1} << 40});
  try {
    (void)row.get<std::string>(0);
    FAIL() << "NULL read as std::string";
  } catch (const DatabaseError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::other);
    EXPECT_NE(std::string(e.what()).find("\"c0\" is NULL"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)row.get<std::int64_t>(1), DatabaseError);
  EXPECT_THROW((void)row.get<std::int64_t>(2), DatabaseError);  // 1.5 is not an integer
  EXPECT_THROW((void)row.get<int>(3), DatabaseError);           // 2^40 does not fit an int
  EXPECT_THROW((void)row.get<bool>(1), DatabaseError);
  EXPECT_THROW((void)row.get<std::string>("missing"), DatabaseError);
  EXPECT_THROW((void)row.value(9), DatabaseError);
}

TEST(Param, ConvertsFromEverydayTypes) {
  EXPECT_EQ(std::get<std::string>(Param("text").value()), "text");  // not bool
  EXPECT_EQ(std::get<bool>(Param(true).value()), true);
  EXPECT_EQ(std::get<std::int64_t>(Param(7U).value()), 7);
  EXPECT_EQ(std::get<std::int64_t>(Param(std::size_t{9}).value()), 9);
  EXPECT_DOUBLE_EQ(std::get<double>(Param(1.5F).value()), 1.5);
  EXPECT_TRUE(std::holds_alternative<std::nullptr_t>(Param(std::optional<int>()).value()));
  EXPECT_EQ(std::get<std::int64_t>(Param(std::optional<int>(3)).value()), 3);
  EXPECT_TRUE(std::holds_alternative<Blob>(Param(Blob{1, 2}).value()));
  EXPECT_THROW((void)Param(std::numeric_limits<std::uint64_t>::max()), DatabaseError);
}

TEST(Statement, PicksTheDialectsText) {
  constexpr Statement kBoth{"t.both", "SELECT 1"};
  constexpr Statement kSplit{"t.split", "SELECT 'sqlite'", "SELECT 'postgresql'", FullScan{"tiny table"}};
  static_assert(kBoth.sql(Dialect::postgresql).text() == "SELECT 1");
  EXPECT_EQ(kSplit.sql(Dialect::sqlite).text(), "SELECT 'sqlite'");
  EXPECT_EQ(kSplit.sql(Dialect::postgresql).text(), "SELECT 'postgresql'");
  EXPECT_EQ(kSplit.full_scan_reason(), "tiny table");
  EXPECT_EQ(kBoth.name(), "t.both");
}

}  // namespace
}  // namespace keel::db
