// keel/edge/rate_limit.hpp — token-bucket rate limiting, in memory or shared through Redis.
//
// A RatePolicy allows `limit` requests per `window` per client: each client
// key owns a bucket holding up to `limit` tokens, refilled continuously at
// limit/window per second; a request takes one token or is refused. The
// in-memory limiter is sharded (one lock per shard, never held across I/O)
// and bounded (idle buckets are evicted); the Redis limiter (redis_rate_limiter.hpp)
// runs the same arithmetic atomically in Redis so replicas share one budget.
//
//   RatePolicy policy{"default", 600, std::chrono::seconds(60)};
//   MemoryRateLimiter limiter;
//   RateDecision d = limiter.check("ip:203.0.113.9", policy);
//   if (!d.allowed) ... 429, Retry-After: d.retry_after_seconds
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace keel::edge {

// RatePolicy is one named budget, e.g. {"default", 600, 60s} or {"auth", 20, 60s}.
struct RatePolicy {
  std::string name;  // a token: it appears in the RateLimit headers and metrics
  std::int64_t limit = 0;
  std::chrono::seconds window{60};

  // refill_per_second is the bucket's refill rate.
  double refill_per_second() const {
    return static_cast<double>(limit) / static_cast<double>(window.count());
  }
};

// RateDecision is the answer for one request.
struct RateDecision {
  bool allowed = true;
  std::int64_t remaining = 0;            // whole tokens left after this request
  std::int64_t reset_seconds = 0;        // until the bucket is full again (RateLimit's t)
  std::int64_t retry_after_seconds = 0;  // until one token is back (0 when allowed)
};

// TokenBucket is one client's bucket; `updated` is in seconds on the limiter's clock.
struct TokenBucket {
  double tokens = 0;
  double updated = 0;
};

// take_token refills `bucket` to `now` (seconds), then takes one token if it
// can. A new bucket (tokens = limit, updated = now) starts full.
RateDecision take_token(TokenBucket& bucket, const RatePolicy& policy, double now);

// decide builds the decision from a bucket's state after the take.
RateDecision decide(bool allowed, double tokens_left, const RatePolicy& policy);

// RateLimiter decides whether the client `key` may make one more request.
// Implementations are thread-safe and never throw.
class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  virtual RateDecision check(std::string_view key, const RatePolicy& policy) = 0;
};

// MemoryRateLimiter keeps buckets in this process: the budget is per process.
class MemoryRateLimiter final : public RateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // kDefaultMaxBuckets bounds memory (about 100 bytes per bucket).
  static constexpr std::size_t kDefaultMaxBuckets = 1 << 20;

  // MemoryRateLimiter keeps at most about `max_buckets` buckets; `clock` is
  // injectable for tests.
  explicit MemoryRateLimiter(std::size_t max_buckets = kDefaultMaxBuckets,
                             Clock clock = std::chrono::steady_clock::now);
  ~MemoryRateLimiter() override;
  MemoryRateLimiter(const MemoryRateLimiter&) = delete;
  MemoryRateLimiter& operator=(const MemoryRateLimiter&) = delete;

  RateDecision check(std::string_view key, const RatePolicy& policy) override;
  // size counts the buckets held (for tests and metrics).
  std::size_t size() const;

 private:
  struct Shard;
  static constexpr std::size_t kShards = 32;

  Clock clock_;
  std::chrono::steady_clock::time_point epoch_;
  std::size_t max_per_shard_;
  std::array<std::unique_ptr<Shard>, kShards> shards_;
};

}  // namespace keel::edge
