#include "keel/config/database_url.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace keel::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ParseDatabaseUrl, Sqlite) {
  const auto relative = parse_database_url("sqlite:///./data/keel.db");
  ASSERT_TRUE(relative);
  EXPECT_EQ(relative->kind, DatabaseKind::sqlite);
  EXPECT_EQ(relative->sqlite_path, "./data/keel.db");
  EXPECT_EQ(parse_database_url("sqlite:////var/lib/keel.db")->sqlite_path, "/var/lib/keel.db");
  EXPECT_FALSE(parse_database_url("sqlite:///"));
  EXPECT_FALSE(parse_database_url("sqlite://keel.db"));
}

TEST(ParseDatabaseUrl, PostgresqlHostsAndSslmode) {
  const auto url =
      parse_database_url("postgresql://u:p%40ss@db1:5432,[::1]:5433/keel?sslmode=verify-full&x=1");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->kind, DatabaseKind::postgresql);
  EXPECT_THAT(url->hosts, ElementsAre("db1", "::1"));
  EXPECT_EQ(url->sslmode, "verify-full");

  const auto socket = parse_database_url("postgres:///keel?host=%2Fvar%2Frun%2Fpostgresql");
  ASSERT_TRUE(socket);
  EXPECT_THAT(socket->hosts, ElementsAre("/var/run/postgresql"));
  EXPECT_EQ(socket->sslmode, "");

  EXPECT_FALSE(parse_database_url("postgresql://db:0/keel"));
  EXPECT_FALSE(parse_database_url("postgresql://db:port/keel"));
  EXPECT_FALSE(parse_database_url("postgresql://[::1/keel"));
  EXPECT_FALSE(parse_database_url("postgresql://db/keel?sslmode=strict"));
  EXPECT_FALSE(parse_database_url("postgresql://d%zzb/keel"));
  EXPECT_FALSE(parse_database_url("mysql://db/keel"));
}

TEST(IsLoopbackHost, Cases) {
  for (const char* yes : {"localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "/var/run/postgresql", "",
                          "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(is_loopback_host(yes)) << yes;
  }
  for (const char* no : {"db", "10.0.0.1", "128.0.0.1", "::2", "localhost.example.com", "127.example.com"}) {
    EXPECT_FALSE(is_loopback_host(no)) << no;
  }
}

TEST(SslmodeRequiresTls, Modes) {
  EXPECT_TRUE(sslmode_requires_tls("require"));
  EXPECT_TRUE(sslmode_requires_tls("verify-ca"));
  EXPECT_TRUE(sslmode_requires_tls("verify-full"));
  EXPECT_FALSE(sslmode_requires_tls("prefer"));
  EXPECT_FALSE(sslmode_requires_tls(""));
}

TEST(RedactUrl, HidesPasswords) {
  EXPECT_EQ(redact_url("postgresql://user:pw@host/db"), "postgresql://user:***@host/db");
  EXPECT_EQ(redact_url("postgresql://user:pw@host:5432/db?sslmode=require"),
            "postgresql://user:***@host:5432/db?sslmode=require");
  EXPECT_EQ(redact_url("redis://:pw@cache:6379/0"), "redis://:***@cache:6379/0");
  EXPECT_EQ(redact_url("postgresql://host/db?user=u&password=pw&sslmode=require"),
            "postgresql://host/db?user=u&password=***&sslmode=require");
  EXPECT_EQ(redact_url("postgresql://host/db?password=pw"), "postgresql://host/db?password=***");
}

TEST(RedactUrl, LeavesUrlsWithoutPasswordsAlone) {
  EXPECT_EQ(redact_url("sqlite:///./data/keel.db"), "sqlite:///./data/keel.db");
  EXPECT_EQ(redact_url("postgresql://user@host/db"), "postgresql://user@host/db");
  EXPECT_EQ(redact_url("postgresql://host/db?old_password=x"), "postgresql://host/db?old_password=x");
  EXPECT_EQ(redact_url("not a url"), "not a url");
}

TEST(RedactUrl, NeverLeaksAwkwardPasswords) {
  for (const char* url : {"postgresql://u:Pa/ss@w?rd#Secret@host/db", "postgresql://u:Secret@@host/db",
                          "postgresql://u:Secret@host/db?application_name=a@b"}) {
    const std::string redacted = redact_url(url);
    EXPECT_THAT(redacted, Not(HasSubstr("Secret"))) << url;
    EXPECT_THAT(redacted, HasSubstr("u:***@")) << url;
  }
}

}  // namespace
}  // namespace keel::config
