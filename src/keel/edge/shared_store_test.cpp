#include "keel/edge/shared_store.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "keel/edge/redis_rate_limiter.hpp"
#include "keel/observability/metrics.hpp"

namespace keel::edge {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

struct FakeClock {
  TimePoint now = TimePoint{} + 1000s;
  MemorySharedStore::Clock function() {
    return [this] { return now; };
  }
};

// exercise_store runs the contract every SharedStore must keep; `wait`
// lets time pass (fake clock in memory, a real sleep against Redis).
void exercise_store(SharedStore& store, const std::string& prefix,
                    const std::function<void(std::chrono::milliseconds)>& wait) {
  const std::string key = prefix + "denied:jti-1";
  EXPECT_EQ(store.exists(key), false);
  EXPECT_TRUE(store.put(key, "1", 300ms));
  EXPECT_EQ(store.exists(key), true);
  const auto ttl = store.time_to_live(key);
  ASSERT_TRUE(ttl);
  EXPECT_GT(*ttl, 100ms);
  EXPECT_LE(*ttl, 300ms);

  const std::string counter = prefix + "failures:alice";
  EXPECT_EQ(store.increment(counter, 300ms), 1);
  EXPECT_EQ(store.increment(counter, 10s), 2);  // the first TTL stays
  EXPECT_EQ(store.increment(counter, 10s), 3);
  EXPECT_EQ(store.increment(key, 10s), 2);  // "1" is a counter too, as in Redis
  EXPECT_TRUE(store.put(prefix + "text", "not a number", 10s));
  EXPECT_EQ(store.increment(prefix + "text", 10s), std::nullopt);

  wait(450ms);
  EXPECT_EQ(store.exists(key), false);
  EXPECT_EQ(store.time_to_live(key), 0ms);
  EXPECT_EQ(store.increment(counter, 300ms), 1);  // the window expired: a new count
  EXPECT_TRUE(store.erase(counter));
  EXPECT_EQ(store.exists(counter), false);
  EXPECT_TRUE(store.erase(counter));  // absent is fine
}

TEST(MemorySharedStore, KeepsTheContract) {
  FakeClock clock;
  MemorySharedStore store(1000, clock.function());
  exercise_store(store, "", [&clock](std::chrono::milliseconds d) { clock.now += d; });
}

TEST(MemorySharedStore, StaysBoundedAndEvictsTheSoonestExpiringFirst) {
  FakeClock clock;
  MemorySharedStore store(16 * 8, clock.function());  // 8 per shard
  EXPECT_TRUE(store.put("long-lived", "1", 1h));
  for (int i = 0; i < 5000; ++i) store.put("short-" + std::to_string(i), "1", 1s);
  EXPECT_EQ(store.exists("long-lived"), true);
  std::size_t present = 0;
  for (int i = 0; i < 5000; ++i)
    present += store.exists("short-" + std::to_string(i)).value_or(false) ? 1 : 0;
  EXPECT_LE(present, 16U * 8U);
}

// unique_suffix keeps runs apart in a Redis that outlives them.
std::string unique_suffix() {
  return std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

// The Redis tests run when KEEL_TEST_REDIS_URL names a disposable Redis
// (the black-box suite starts one: tests/blackbox/redis_server.py).
std::shared_ptr<RedisClient> test_redis() {
  const char* url = std::getenv("KEEL_TEST_REDIS_URL");
  if (url == nullptr || *url == '\0') return nullptr;
  auto endpoint = parse_redis_url(url);
  if (!endpoint) return nullptr;
  return std::make_shared<RedisClient>(RedisClient::Options{*endpoint});
}

TEST(RedisSharedStore, KeepsTheContract) {
  auto redis = test_redis();
  if (!redis) GTEST_SKIP() << "set KEEL_TEST_REDIS_URL to run against a real Redis";
  RedisSharedStore store(redis);
  exercise_store(store, "unit-" + unique_suffix() + ":",
                 [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); });
}

TEST(RedisRateLimiter, SharesOneBudgetAndFallsBackWhenRedisIsGone) {
  auto redis = test_redis();
  if (!redis) GTEST_SKIP() << "set KEEL_TEST_REDIS_URL to run against a real Redis";
  observability::MetricsRegistry metrics;
  auto& errors = metrics.counter("errors_total", "test").labels();
  const RatePolicy policy{"unit", 5, 60s};
  const std::string key = "ip:" + unique_suffix();
  // Two limiters are two processes: they share the budget through Redis.
  RedisRateLimiter first(redis, std::make_unique<MemoryRateLimiter>(), errors);
  RedisRateLimiter second(test_redis(), std::make_unique<MemoryRateLimiter>(), errors);
  int allowed = 0;
  for (int i = 0; i < 6; ++i) allowed += first.check(key, policy).allowed ? 1 : 0;
  for (int i = 0; i < 6; ++i) allowed += second.check(key, policy).allowed ? 1 : 0;
  EXPECT_EQ(allowed, 5);
  EXPECT_EQ(errors.value(), 0U);

  auto endpoint = *parse_redis_url(std::getenv("KEEL_TEST_REDIS_URL"));
  endpoint.port = 1;  // nothing listens there
  RedisRateLimiter broken(std::make_shared<RedisClient>(RedisClient::Options{endpoint}),
                          std::make_unique<MemoryRateLimiter>(), errors);
  const auto decision = broken.check(key, policy);
  EXPECT_TRUE(decision.allowed);  // fail open, to the local bucket
  EXPECT_EQ(decision.remaining, 4);
  EXPECT_EQ(errors.value(), 1U);
}

}  // namespace
}  // namespace keel::edge
