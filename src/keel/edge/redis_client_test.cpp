#include "keel/edge/redis_client.hpp"

#include <gtest/gtest.h>

namespace keel::edge {
namespace {

TEST(RedisUrl, ReadsHostPortDatabaseAndCredentials) {
  const auto plain = parse_redis_url("redis://cache.internal");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->host, "cache.internal");
  EXPECT_EQ(plain->port, 6379);
  EXPECT_EQ(plain->database, 0);
  EXPECT_TRUE(plain->password.empty());

  const auto full = parse_redis_url("redis://keel:p%40ss%3Aword@10.0.0.7:6380/3");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->username, "keel");
  EXPECT_EQ(full->password, "p@ss:word");
  EXPECT_EQ(full->host, "10.0.0.7");
  EXPECT_EQ(full->port, 6380);
  EXPECT_EQ(full->database, 3);

  const auto password_only = parse_redis_url("redis://:secret@localhost:6379/");
  ASSERT_TRUE(password_only);
  EXPECT_EQ(password_only->username, "");
  EXPECT_EQ(password_only->password, "secret");
  EXPECT_EQ(parse_redis_url("redis://secret@localhost")->password, "secret");

  const auto v6 = parse_redis_url("redis://[::1]:7000/1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 7000);
}

TEST(RedisUrl, RefusesWhatItCannotUse) {
  for (const char* bad : {"rediss://localhost:6380", "http://localhost", "redis://", "redis://:pw@",
                          "redis://h:0", "redis://h:70000", "redis://h:port", "redis://h/db", "redis://[::1",
                          "redis://[::1]x", "redis://u:%zz@h"}) {
    EXPECT_FALSE(parse_redis_url(bad)) << bad;
  }
}

TEST(RedisScript, KnowsItsSha1) {
  // SHA1("return 1"), as Redis' SCRIPT LOAD reports it.
  EXPECT_EQ(RedisScript("return 1").sha1, "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
}

TEST(RedisClient, FailsFastAndCheaplyWhenRedisIsDown) {
  RedisClient::Options options;
  options.endpoint.host = "127.0.0.1";
  options.endpoint.port = 1;  // nothing listens there
  RedisClient redis(options);
  const auto first = redis.command({"PING"});
  EXPECT_FALSE(first.reply);
  EXPECT_NE(first.error.find("redis"), std::string::npos);
  // Within the back-off no connection is attempted at all.
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(redis.ping());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
}

}  // namespace
}  // namespace keel::edge
