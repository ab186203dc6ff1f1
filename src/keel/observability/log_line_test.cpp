#include "keel/observability/log_line.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace keel::observability {
namespace {

using namespace std::chrono;

system_clock::time_point fixed_time() {
  return sys_days{year{2026} / 11 / 27} + hours{18} + minutes{19} + seconds{12} + milliseconds{345};
}

std::string json(std::string_view msg, std::initializer_list<LogField> fields = {},
                 LogLevel level = LogLevel::info) {
  std::string out;
  format_log_line(out, LogFormat::json, level, fixed_time(), msg,
                  std::span<const LogField>(fields.begin(), fields.size()));
  return out;
}

std::string text(std::string_view msg, std::initializer_list<LogField> fields = {},
                 LogLevel level = LogLevel::info) {
  std::string out;
  format_log_line(out, LogFormat::text, level, fixed_time(), msg,
                  std::span<const LogField>(fields.begin(), fields.size()));
  return out;
}

TEST(FormatLogLine, JsonFieldsInOrderWithEveryValueKind) {
  const std::optional<int> none;
  const std::string email = "a@b.c";
  EXPECT_EQ(json("user created", {{"user_id", 42},
                                  {"email", email},
                                  {"admin", false},
                                  {"ratio", 0.5},
                                  {"missing", nullptr},
                                  {"maybe", none},
                                  {"big", std::numeric_limits<std::uint64_t>::max()},
                                  {"neg", -7}}),
            R"({"ts":"2026-11-27T18:19:12.345Z","level":"info","msg":"user created",)"
            R"("user_id":42,"email":"a@b.c","admin":false,"ratio":0.5,"missing":null,)"
            R"("maybe":null,"big":18446744073709551615,"neg":-7})"
            "\n");
}

TEST(FormatLogLine, LevelsAndTimestamp) {
  EXPECT_EQ(json("m", {}, LogLevel::error), R"({"ts":"2026-11-27T18:19:12.345Z","level":"error","msg":"m"})"
                                            "\n");
  std::string out;
  format_log_line(out, LogFormat::json, LogLevel::debug, sys_days{year{1999} / 1 / 2} + milliseconds{7}, "m",
                  {});
  EXPECT_EQ(out, R"({"ts":"1999-01-02T00:00:00.007Z","level":"debug","msg":"m"})"
                 "\n");
}

TEST(FormatLogLine, JsonEscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(json("a\"b\\c\nd\te\r\b\f\x01\x1f\x7f"),
            R"({"ts":"2026-11-27T18:19:12.345Z","level":"info","msg":"a\"b\\c\nd\te\r\b\f\u0001\u001f)"
            "\x7f"
            R"("})"
            "\n");
  EXPECT_EQ(json("m", {{"k\"ey", "v\nv"}}),
            R"({"ts":"2026-11-27T18:19:12.345Z","level":"info","msg":"m","k\"ey":"v\nv"})"
            "\n");
}

TEST(FormatLogLine, InvalidUtf8BecomesReplacementCharacter) {
  // Valid: é (2 bytes), € (3), 😀 (4). Invalid: lone 0xff, truncated sequences, an overlong
  // '/', a UTF-16 surrogate, a code point above U+10FFFF.
  const std::string msg =
      "ok \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 | \xFF \xC3( \xE2\x82 \xC0\xAF \xED\xA0\x80 "
      "\xF4\x90\x80\x80";
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(json(msg), R"({"ts":"2026-11-27T18:19:12.345Z","level":"info","msg":"ok )"
                       "\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 | " +
                           r + " " + r + "( " + r + r + " " + r + r + " " + r + r + r + " " + r + r + r + r +
                           "\"}\n");
}

TEST(FormatLogLine, SensitiveKeysAreRedactedWhateverTheValue) {
  EXPECT_EQ(json("login", {{"email", "a@b.c"},
                           {"password", "hunter2"},
                           {"Authorization", "Bearer abc"},
                           {"api_key", 1234},
                           {"session", nullptr}}),
            R"({"ts":"2026-11-27T18:19:12.345Z","level":"info","msg":"login","email":"a@b.c",)"
            R"("password":"[REDACTED]","Authorization":"[REDACTED]","api_key":"[REDACTED]",)"
            R"("session":"[REDACTED]"})"
            "\n");
}

TEST(FormatLogLine, SecretsInsideValuesAndMessageAreRedacted) {
  const std::string line = json("db error at postgresql://app:pw1@db/keel",
                                {{"path", "/cb?code=1&access_token=tok9"}, {"header", "Bearer zzz"}});
  EXPECT_EQ(line, R"({"ts":"2026-11-27T18:19:12.345Z","level":"info",)"
                  R"("msg":"db error at postgresql://app:[REDACTED]@db/keel",)"
                  R"("path":"/cb?code=1&access_token=[REDACTED]","header":"Bearer [REDACTED]"})"
                  "\n");
  EXPECT_EQ(line.find("pw1"), std::string::npos);
  EXPECT_EQ(line.find("tok9"), std::string::npos);
}

TEST(FormatLogLine, NonFiniteDoublesAreNull) {
  EXPECT_EQ(json("m", {{"a", std::nan("")}, {"b", HUGE_VAL}}),
            R"({"ts":"2026-11-27T18:19:12.345Z","level":"info","msg":"m","a":null,"b":null})"
            "\n");
}

TEST(FormatLogLine, OwnedStringsInRuntimeFieldLists) {
  std::vector<LogField> fields;
  fields.reserve(3);
  for (int i = 0; i < 3; ++i) fields.push_back({"n", std::to_string(i * 11)});
  std::string out;
  format_log_line(out, LogFormat::json, LogLevel::warning, fixed_time(), "dyn", fields);
  EXPECT_EQ(out,
            R"({"ts":"2026-11-27T18:19:12.345Z","level":"warning","msg":"dyn","n":"0","n":"11","n":"22"})"
            "\n");
}

TEST(FormatLogLine, TextFormat) {
  EXPECT_EQ(text("user created",
                 {{"user_id", 42},
                  {"note", "has spaces"},
                  {"empty", ""},
                  {"q", "a\"b"},
                  {"ok", true},
                  {"token", "abc"}},
                 LogLevel::warning),
            "2026-11-27T18:19:12.345Z WARNING user created user_id=42 note=\"has spaces\" "
            "empty=\"\" q=\"a\\\"b\" ok=true token=[REDACTED]\n");
  EXPECT_EQ(text("two\nlines"), "2026-11-27T18:19:12.345Z INFO two\\nlines\n");
}

TEST(ParseLogSettings, AcceptsDocumentedNames) {
  EXPECT_EQ(parse_log_level("debug"), LogLevel::debug);
  EXPECT_EQ(parse_log_level("INFO"), LogLevel::info);
  EXPECT_EQ(parse_log_level("warn"), LogLevel::warning);
  EXPECT_EQ(parse_log_level("Warning"), LogLevel::warning);
  EXPECT_EQ(parse_log_level("error"), LogLevel::error);
  EXPECT_EQ(parse_log_level("verbose"), std::nullopt);
  EXPECT_EQ(parse_log_format("JSON"), LogFormat::json);
  EXPECT_EQ(parse_log_format("text"), LogFormat::text);
  EXPECT_EQ(parse_log_format("xml"), std::nullopt);
  EXPECT_EQ(to_string(LogLevel::warning), "warning");
}

}  // namespace
}  // namespace keel::observability
