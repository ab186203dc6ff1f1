#include "keel/config/dotenv.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "keel/config/environment.hpp"

namespace keel::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

TEST(ParseDotenv, KeyValueCommentsBlankLinesAndExport) {
  const DotenvResult r = parse_dotenv(
      "# a comment\n"
      "\n"
      "PORT=8080\n"
      "   # indented comment\n"
      "export APP_ENV=production\n"
      "  HOST = 0.0.0.0  \n"
      "EMPTY=\n"
      "LOG_LEVEL=debug # trailing comment\n"
      "URL=http://x/#fragment\n",
      ".env");
  EXPECT_THAT(r.problems, IsEmpty());
  EXPECT_THAT(r.entries,
              ElementsAre(Pair("PORT", "8080"), Pair("APP_ENV", "production"), Pair("HOST", "0.0.0.0"),
                          Pair("EMPTY", ""), Pair("LOG_LEVEL", "debug"), Pair("URL", "http://x/#fragment")));
}

TEST(ParseDotenv, Quotes) {
  const DotenvResult r = parse_dotenv(
      "SINGLE='keep $HOME \\n # as is'\n"
      "DOUBLE=\"line1\\nline2 \\\"quoted\\\" back\\\\slash\"\n"
      "SPACES=\"  padded  \"  # comment after quotes\n"
      "HASH=\"a # b\"\n"
      "UNKNOWN_ESCAPE=\"\\t\"\n"
      "NO_INTERPOLATION=${HOME}\n",
      ".env");
  EXPECT_THAT(r.problems, IsEmpty());
  EXPECT_THAT(r.entries, ElementsAre(Pair("SINGLE", "keep $HOME \\n # as is"),
                                     Pair("DOUBLE", "line1\nline2 \"quoted\" back\\slash"),
                                     Pair("SPACES", "  padded  "), Pair("HASH", "a # b"),
                                     Pair("UNKNOWN_ESCAPE", "\\t"), Pair("NO_INTERPOLATION", "${HOME}")));
}

TEST(ParseDotenv, WindowsLineEndingsAndBom) {
  const DotenvResult r = parse_dotenv("\xEF\xBB\xBFPORT=1\r\nHOST=h\r\n", "x.env");
  EXPECT_THAT(r.problems, IsEmpty());
  EXPECT_THAT(r.entries, ElementsAre(Pair("PORT", "1"), Pair("HOST", "h")));
}

TEST(ParseDotenv, MalformedLinesReportLineNumbersNotValues) {
  const DotenvResult r = parse_dotenv(
      "PORT=1\n"
      "TopSecretWithoutEquals\n"
      "1BAD=TopSecretValue\n"
      "SECRET_KEY=\"TopSecretUnterminated\n"
      "SECRET_KEY='TopSecret'trailing\n"
      "GOOD=2\n",
      "conf/.env");
  EXPECT_THAT(r.entries, ElementsAre(Pair("PORT", "1"), Pair("GOOD", "2")));
  ASSERT_EQ(r.problems.size(), 4U);
  EXPECT_EQ(r.problems[0].variable, "conf/.env");
  EXPECT_EQ(r.problems[0].message, "conf/.env:2: expected KEY=VALUE");
  EXPECT_THAT(r.problems[1].message, HasSubstr("conf/.env:3: invalid variable name"));
  EXPECT_EQ(r.problems[2].message, "conf/.env:4: SECRET_KEY: unterminated double-quoted value");
  EXPECT_EQ(r.problems[3].message, "conf/.env:5: SECRET_KEY: unexpected text after closing quote");
  for (const ConfigProblem& p : r.problems) EXPECT_THAT(p.message, Not(HasSubstr("TopSecret")));
}

class DotenvFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("keel_config_dotenv_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const char* name, const char* text) {
    auto path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(DotenvFile, RealEnvironmentWins) {
  const auto path =
      write(".env", "PORT=9000\nHOST=0.0.0.0\nEMPTY_IN_REAL=from-file\nDUP=first\nDUP=second\n");
  const Environment env = overlay_dotenv(Environment{{"PORT", "8001"}, {"EMPTY_IN_REAL", ""}}, path);
  EXPECT_EQ(env.get("PORT"), "8001");
  EXPECT_EQ(env.get("HOST"), "0.0.0.0");
  EXPECT_EQ(env.get("EMPTY_IN_REAL"), "");  // set-but-empty still counts as set
  EXPECT_EQ(env.get("DUP"), "second");
  EXPECT_THAT(env.problems(), IsEmpty());
}

TEST_F(DotenvFile, KeelEnvFileChoosesTheFile) {
  const auto path = write("custom.env", "LOG_FORMAT=text\n");
  const Environment env = overlay_dotenv(Environment{{"KEEL_ENV_FILE", path.string()}}, std::nullopt);
  EXPECT_EQ(env.get("LOG_FORMAT"), "text");
}

TEST_F(DotenvFile, ExplicitArgumentBeatsKeelEnvFile) {
  const auto chosen = write("chosen.env", "LOG_FORMAT=text\n");
  const auto other = write("other.env", "LOG_FORMAT=json\n");
  const Environment env = overlay_dotenv(Environment{{"KEEL_ENV_FILE", other.string()}}, chosen);
  EXPECT_EQ(env.get("LOG_FORMAT"), "text");
}

TEST_F(DotenvFile, MissingExplicitFileIsAProblem) {
  const Environment env =
      overlay_dotenv(Environment{{"KEEL_ENV_FILE", (dir_ / "absent.env").string()}}, std::nullopt);
  ASSERT_EQ(env.problems().size(), 1U);
  EXPECT_EQ(env.problems()[0].variable, "KEEL_ENV_FILE");
  EXPECT_THAT(env.problems()[0].message, HasSubstr("does not exist"));

  const Environment dir = overlay_dotenv(Environment{}, dir_);
  ASSERT_EQ(dir.problems().size(), 1U);
  EXPECT_THAT(dir.problems()[0].message, HasSubstr("cannot read"));
}

TEST_F(DotenvFile, MissingDefaultFileIsFine) {
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir_);  // no ./.env here
  const Environment env = overlay_dotenv(Environment{{"PORT", "1"}}, std::nullopt);
  std::filesystem::current_path(cwd);
  EXPECT_THAT(env.problems(), IsEmpty());
  EXPECT_EQ(env.get("PORT"), "1");
}

TEST_F(DotenvFile, DefaultFileIsDotEnvInTheWorkingDirectory) {
  write(".env", "LOG_FORMAT=text\n");
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir_);
  const Environment env = overlay_dotenv(Environment{}, std::nullopt);
  std::filesystem::current_path(cwd);
  EXPECT_EQ(env.get("LOG_FORMAT"), "text");
}

TEST_F(DotenvFile, SyntaxProblemsTravelToTheEnvironment) {
  const auto path = write("bad.env", "PORT=1\nnonsense\n");
  const Environment env = overlay_dotenv(Environment{}, path);
  ASSERT_EQ(env.problems().size(), 1U);
  EXPECT_EQ(env.problems()[0].message, path.string() + ":2: expected KEY=VALUE");
  EXPECT_EQ(env.get("PORT"), "1");
}

TEST_F(DotenvFile, ProcessEnvironmentReadsTheRealEnvironment) {
  // A variable name no one else uses, removed again at once; this test
  // binary runs single-threaded, so touching the environment is safe here.
  ::setenv("KEEL_CONFIG_TEST_ONLY", "real", 1);  // NOLINT(concurrency-mt-unsafe)
  const auto path = write(".env", "KEEL_CONFIG_TEST_ONLY=file\nKEEL_CONFIG_TEST_FILE_ONLY=file\n");
  const Environment env = process_environment(path);
  ::unsetenv("KEEL_CONFIG_TEST_ONLY");  // NOLINT(concurrency-mt-unsafe)
  EXPECT_EQ(env.get("KEEL_CONFIG_TEST_ONLY"), "real");
  EXPECT_EQ(env.get("KEEL_CONFIG_TEST_FILE_ONLY"), "file");
}

TEST(Environment, GetSetContains) {
  Environment env{{"A", "1"}};
  EXPECT_TRUE(env.contains("A"));
  EXPECT_FALSE(env.contains("B"));
  EXPECT_EQ(env.get("B"), std::nullopt);
  env.set("A", "2");
  env.set("B", "");
  EXPECT_EQ(env.get("A"), "2");
  EXPECT_TRUE(env.contains("B"));
}

}  // namespace
}  // namespace keel::config
