#include "keel/observability/redaction.hpp"

#include <gtest/gtest.h>

namespace keel::observability {
namespace {

TEST(IsSensitiveKey, MatchesSecretNamesIgnoringCase) {
  for (const char* key : {"password", "Password", "new_password", "passwd", "client_secret", "refresh_token",
                          "TOKEN", "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "api_key",
                          "apikey", "X-Api-Key", "session_id", "credentials", "private_key", "key", "KEY"}) {
    EXPECT_TRUE(is_sensitive_key(key)) << key;
  }
}

TEST(IsSensitiveKey, LeavesOrdinaryNamesAlone) {
  for (const char* key : {"user_id", "method", "route", "path", "status", "duration_ms", "client_ip",
                          "request_id", "trace_id", "monkey", "keys", "email", ""}) {
    EXPECT_FALSE(is_sensitive_key(key)) << key;
  }
}

TEST(Redact, PlainTextIsUnchangedAndHasNoTrigger) {
  const std::string text = "GET /api/v1/items/42 200 in 3 ms; keel_build_info, eyJ alone, http://host/";
  EXPECT_FALSE(has_secret_trigger(text));
  EXPECT_EQ(redact(text), text);
}

TEST(Redact, BearerTokenInHeaderValue) {
  EXPECT_EQ(redact("Bearer abc.def-ghi~jk+l/m="), "Bearer [REDACTED]");
  EXPECT_EQ(redact("authorization: bearer s3cr3t, next=1"), "authorization: bearer [REDACTED], next=1");
  EXPECT_TRUE(has_secret_trigger("Bearer x"));
}

TEST(Redact, JwtInsideLongerMessage) {
  const std::string jwt =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_"
      "XgL0n3I9PlFUP0THsR8U";
  EXPECT_EQ(redact("rejected " + jwt + " (expired)"), "rejected [REDACTED] (expired)");
  EXPECT_EQ(redact("none alg " + std::string("eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.")), "none alg [REDACTED]");
  // Only the header segment: not a token, nothing to hide.
  EXPECT_EQ(redact("eyJhbGciOiJIUzI1NiJ9 only"), "eyJhbGciOiJIUzI1NiJ9 only");
}

TEST(Redact, KeelApiKeyKeepsPrefix) {
  EXPECT_EQ(redact("auth with keel_ab12cd34_Zx9Qw8Er7Ty6Ui5Op4As3 ok"),
            "auth with keel_ab12cd34_[REDACTED] ok");
  EXPECT_EQ(redact("X-API-Key=keel_k1_abcdefghijklmnop-_QRST"), "X-API-Key=keel_k1_[REDACTED]");
  // Identifiers with short tails are not keys.
  EXPECT_EQ(redact("metric keel_uptime_seconds"), "metric keel_uptime_seconds");
}

TEST(Redact, QueryAndFormParameters) {
  EXPECT_EQ(redact("/login?user=bob&password=hunter2&next=/home"),
            "/login?user=bob&password=[REDACTED]&next=/home");
  EXPECT_EQ(redact("grant_type=refresh_token&refresh_token=abc123"),
            "grant_type=refresh_token&refresh_token=[REDACTED]");
  EXPECT_EQ(redact("/cb?access_token=a.b.c&state=x"), "/cb?access_token=[REDACTED]&state=x");
  EXPECT_EQ(redact("?API_KEY=k1 and SECRET=s2 and token=t3"),
            "?API_KEY=[REDACTED] and SECRET=[REDACTED] and token=[REDACTED]");
  EXPECT_EQ(redact("client_secret=xyz&new_password=p"), "client_secret=[REDACTED]&new_password=[REDACTED]");
  EXPECT_EQ(redact("password=&x=1"), "password=&x=1");  // nothing to hide
}

TEST(Redact, JsonMembers) {
  EXPECT_EQ(redact(R"({"email":"a@b.c","password":"hun\"ter2","x":1})"),
            R"({"email":"a@b.c","password":"[REDACTED]","x":1})");
  EXPECT_EQ(redact(R"({"refresh_token" : "abc"})"), R"({"refresh_token" : "[REDACTED]"})");
  EXPECT_EQ(redact(R"(body={\"password\":\"hunter2\"})"), R"(body={\"password\":\"[REDACTED]\"})");
}

TEST(Redact, UrlUserinfoPassword) {
  EXPECT_EQ(redact("connecting to postgresql://keel:s3cr3t@db.internal:5432/keel?sslmode=require"),
            "connecting to postgresql://keel:[REDACTED]@db.internal:5432/keel?sslmode=require");
  EXPECT_EQ(redact("redis://:pw@cache:6379/0"), "redis://:[REDACTED]@cache:6379/0");
  EXPECT_EQ(redact("smtp://u:p@ss@mail:25"), "smtp://u:[REDACTED]@mail:25");
  for (const char* unchanged : {"https://example.com:8443/a@b", "https://user@host/", "mailto:a@b"}) {
    EXPECT_EQ(redact(unchanged), unchanged);
  }
}

TEST(Redact, IsIdempotent) {
  const std::string once = redact("Bearer abc password=x postgresql://u:p@h/d keel_a_0123456789abcdefgh");
  EXPECT_EQ(redact(once), once);
  EXPECT_EQ(once, "Bearer [REDACTED] password=[REDACTED] postgresql://u:[REDACTED]@h/d keel_a_[REDACTED]");
}

}  // namespace
}  // namespace keel::observability
