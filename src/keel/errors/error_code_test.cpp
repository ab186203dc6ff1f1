#include "keel/errors/error_code.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

namespace keel::errors {
namespace {

TEST(ErrorTable, NamesAreUniqueSnakeCaseAndStatusesAreErrors) {
  std::set<std::string_view> names;
  for (const auto& row : all_errors()) {
    EXPECT_TRUE(names.insert(row.name).second) << row.name;
    EXPECT_EQ(row.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"), std::string_view::npos) << row.name;
    EXPECT_GE(row.status, 400);
    EXPECT_LT(row.status, 600);
    EXPECT_EQ(info(row.code).name, row.name);
    EXPECT_FALSE(row.title.empty());
  }
}

TEST(ErrorTable, ProblemTypeIsAUrnNamingTheCode) {
  EXPECT_EQ(problem_type(ErrorCode::validation_error), "urn:keel:problem:validation_error");
  EXPECT_EQ(info(ErrorCode::invalid_json).status, 400);
  EXPECT_EQ(info(ErrorCode::validation_error).status, 422);
  EXPECT_EQ(info(ErrorCode::header_too_large).status, 431);
}

// The docs table is what clients program against; it must list every code.
TEST(ErrorDocs, EveryCodeIsDocumented) {
  std::ifstream file(std::string(KEEL_SOURCE_DIR) + "/docs/errors.md");
  ASSERT_TRUE(file) << "docs/errors.md is missing";
  std::stringstream text;
  text << file.rdbuf();
  for (const auto& row : all_errors()) {
    const auto expected = "| `" + std::string(row.name) + "` | " + std::to_string(row.status) + " | " +
                          std::string(row.title) + " |";
    EXPECT_NE(text.str().find(expected), std::string::npos) << "docs/errors.md lacks: " << expected;
  }
}

}  // namespace
}  // namespace keel::errors
