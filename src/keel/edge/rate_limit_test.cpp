#include "keel/edge/rate_limit.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace keel::edge {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

const RatePolicy kTenPerMinute{"default", 10, 60s};

// FakeClock is a steady clock the test moves by hand.
struct FakeClock {
  TimePoint now = TimePoint{} + 1000s;
  MemoryRateLimiter::Clock function() {
    return [this] { return now; };
  }
};

TEST(TokenBucket, RefillsContinuouslyUpToTheLimit) {
  TokenBucket bucket{10, 0};
  for (int i = 0; i < 10; ++i) {
    const auto d = take_token(bucket, kTenPerMinute, 0);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, 9 - i);
  }
  auto refused = take_token(bucket, kTenPerMinute, 0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.retry_after_seconds, 6);  // one token per 6 s
  EXPECT_EQ(refused.reset_seconds, 60);
  EXPECT_FALSE(take_token(bucket, kTenPerMinute, 5.9).allowed);
  const auto again = take_token(bucket, kTenPerMinute, 6.0);
  EXPECT_TRUE(again.allowed);
  EXPECT_EQ(again.remaining, 0);
  // A long pause refills to the limit, never beyond.
  const auto rested = take_token(bucket, kTenPerMinute, 10000);
  EXPECT_EQ(rested.remaining, 9);
  EXPECT_EQ(rested.reset_seconds, 6);
  EXPECT_EQ(rested.retry_after_seconds, 0);
}

TEST(MemoryRateLimiter, KeepsOneBucketPerKeyAndPolicy) {
  FakeClock clock;
  MemoryRateLimiter limiter(1000, clock.function());
  const RatePolicy auth{"auth", 2, 60s};
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.check("ip:1.1.1.1", kTenPerMinute).allowed);
  EXPECT_FALSE(limiter.check("ip:1.1.1.1", kTenPerMinute).allowed);
  EXPECT_TRUE(limiter.check("ip:2.2.2.2", kTenPerMinute).allowed);
  EXPECT_TRUE(limiter.check("ip:1.1.1.1", auth).allowed);
  EXPECT_TRUE(limiter.check("ip:1.1.1.1", auth).allowed);
  const auto refused = limiter.check("ip:1.1.1.1", auth);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 30);
  clock.now += 6s;
  EXPECT_TRUE(limiter.check("ip:1.1.1.1", kTenPerMinute).allowed);
  EXPECT_FALSE(limiter.check("ip:1.1.1.1", kTenPerMinute).allowed);
}

TEST(MemoryRateLimiter, MemoryStaysBoundedUnderAFloodOfKeys) {
  FakeClock clock;
  MemoryRateLimiter limiter(64 * 32, clock.function());  // 64 per shard
  for (int i = 0; i < 20000; ++i) limiter.check("ip:flood-" + std::to_string(i), kTenPerMinute);
  EXPECT_LE(limiter.size(), 64U * 32U);
  EXPECT_GT(limiter.size(), 32U * 32U);
}

TEST(MemoryRateLimiter, IdleBucketsAreEvictedFirst) {
  FakeClock clock;
  MemoryRateLimiter limiter(32, clock.function());  // one bucket per shard
  for (int i = 0; i < 200; ++i) limiter.check("ip:old-" + std::to_string(i), kTenPerMinute);
  // An active client's nearly empty bucket survives newcomers once the old
  // buckets have refilled (idle ones go first).
  for (int i = 0; i < 10; ++i) limiter.check("ip:busy", kTenPerMinute);
  EXPECT_FALSE(limiter.check("ip:busy", kTenPerMinute).allowed);
  clock.now += 1s;
  limiter.check("ip:newcomer", kTenPerMinute);
  EXPECT_FALSE(limiter.check("ip:busy", kTenPerMinute).allowed);
}

TEST(MemoryRateLimiter, IsExactUnderConcurrency) {
  FakeClock clock;
  MemoryRateLimiter limiter(1000, clock.function());
  const RatePolicy policy{"default", 1000, 60s};
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) allowed += limiter.check("ip:shared", policy).allowed ? 1 : 0;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 1000);
}

}  // namespace
}  // namespace keel::edge
