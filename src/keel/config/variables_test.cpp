#include "keel/config/variables.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "keel/config/audit.hpp"
#include "keel/config/load.hpp"

namespace keel::config {
namespace {

using ::testing::HasSubstr;

// The repository root, found from this source file (src/keel/config/…).
std::filesystem::path repo_root() {
  return std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "..";
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// doc_row returns the table row that documents `name`, or "".
std::string doc_row(const std::string& doc, std::string_view name) {
  const std::string start = "| `" + std::string(name) + "` |";
  const auto pos = doc.find(start);
  if (pos == std::string::npos) return {};
  return doc.substr(pos, doc.find('\n', pos) - pos);
}

TEST(Variables, NamesAreUniqueAndFindable) {
  std::set<std::string_view> names;
  for (const VariableSpec& v : variables()) {
    EXPECT_TRUE(names.insert(v.name).second) << v.name;
    EXPECT_EQ(find_variable(v.name), &v);
    EXPECT_FALSE(v.meaning.empty()) << v.name;
    if (v.kind == VariableKind::integer) {
      EXPECT_LT(v.min, v.max) << v.name;
    }
  }
  EXPECT_EQ(find_variable("NOT_A_KEEL_VARIABLE"), nullptr);
}

TEST(Variables, IntegerDefaultsLieWithinTheirBounds) {
  for (const VariableSpec& v : variables()) {
    if (v.kind != VariableKind::integer || v.default_value.empty()) continue;
    const std::int64_t value = std::stoll(std::string(v.default_value));
    EXPECT_GE(value, v.min) << v.name;
    EXPECT_LE(value, v.max) << v.name;
  }
}

TEST(Variables, DocumentedDefaultsMatchWhatLoadProduces) {
  const Settings s = load({}).settings;
  EXPECT_EQ(find_variable("PORT")->default_value, std::to_string(s.port));
  EXPECT_EQ(find_variable("HOST")->default_value, s.host);
  EXPECT_EQ(find_variable("DATABASE_URL")->default_value, s.database_url);
  EXPECT_EQ(find_variable("EMAIL_FROM")->default_value, s.email_from);
  EXPECT_EQ(find_variable("UPLOAD_DIR")->default_value, s.upload_dir);
  EXPECT_EQ(find_variable("MAX_BODY_BYTES")->default_value, std::to_string(s.max_body_bytes));
  EXPECT_EQ(find_variable("UPLOAD_MAX_BYTES")->default_value, std::to_string(s.upload_max_bytes));
  EXPECT_EQ(find_variable("ACCESS_TOKEN_TTL")->default_value, std::to_string(s.access_token_ttl));
  EXPECT_EQ(find_variable("REFRESH_TOKEN_TTL")->default_value, std::to_string(s.refresh_token_ttl));
  EXPECT_EQ(find_variable("JOB_WORKERS")->default_value, std::to_string(s.job_workers));
}

TEST(Variables, EveryVariableIsInConfigurationDoc) {
  const std::string doc = read_text(repo_root() / "docs" / "configuration.md");
  ASSERT_FALSE(doc.empty()) << "docs/configuration.md not found";
  for (const VariableSpec& v : variables()) {
    const std::string row = doc_row(doc, v.name);
    ASSERT_FALSE(row.empty()) << v.name << " has no row in docs/configuration.md";
    if (!v.default_value.empty()) {
      EXPECT_THAT(row, HasSubstr("`" + std::string(v.default_value) + "`")) << v.name;
    }
    if (v.kind == VariableKind::integer) {
      EXPECT_THAT(row, HasSubstr(std::to_string(v.min) + "–" + std::to_string(v.max))) << v.name;
    }
    if (v.secret) {
      EXPECT_THAT(row, HasSubstr("**secret**")) << v.name;
    }
  }
}

TEST(Variables, EveryAuditRuleIsInConfigurationDoc) {
  const std::string doc = read_text(repo_root() / "docs" / "configuration.md");
  for (const AuditFinding& f : audit(Settings{})) EXPECT_FALSE(doc_row(doc, f.rule).empty()) << f.rule;
}

TEST(Variables, EveryVariableIsInEnvExampleWithItsDefault) {
  const std::string example = read_text(repo_root() / ".env.example");
  ASSERT_FALSE(example.empty()) << ".env.example not found";
  for (const VariableSpec& v : variables()) {
    const std::string line = "\n# " + std::string(v.name) + "=" + std::string(v.default_value) + " ";
    EXPECT_THAT(example, HasSubstr(line)) << v.name;
    if (v.kind == VariableKind::integer) {
      EXPECT_THAT(example, HasSubstr(std::to_string(v.min) + "-" + std::to_string(v.max))) << v.name;
    }
  }
  // Only comments: copying the file as-is must not change any default.
  std::istringstream lines(example);
  for (std::string l; std::getline(lines, l);) EXPECT_TRUE(l.empty() || l.front() == '#') << l;
}

}  // namespace
}  // namespace keel::config
