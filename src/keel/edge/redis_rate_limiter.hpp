// keel/edge/redis_rate_limiter.hpp — the token bucket of rate_limit.hpp, kept in Redis.
//
// One Lua script refills and takes a token atomically, using Redis' own clock
// (TIME), so any number of Keel processes share each client's budget exactly
// and their clocks never need to agree. Buckets expire from Redis once they
// would be full again.
//
// When Redis cannot be used (down, timeout, back-off) the limiter fails open
// to a per-process MemoryRateLimiter: requests keep being served and limited
// locally (each replica enforces the whole budget on its own), every such
// decision counts in rate_limit_backend_errors_total, and RedisClient logs a
// warning at most every 10 s.
//
//   RedisRateLimiter limiter(redis, std::make_unique<MemoryRateLimiter>(), backend_errors);
//   RateDecision d = limiter.check("ip:203.0.113.9", policy);
#pragma once

#include <memory>

#include "keel/edge/rate_limit.hpp"
#include "keel/edge/redis_client.hpp"

namespace keel::observability {
class Counter;
}

namespace keel::edge {

// kRateLimitKeyPrefix namespaces bucket keys in a Redis shared with other applications.
inline constexpr std::string_view kRateLimitKeyPrefix = "keel:rl:";

class RedisRateLimiter final : public RateLimiter {
 public:
  // RedisRateLimiter uses `redis`, falls back to `fallback`, and counts each fallback in `backend_errors`.
  RedisRateLimiter(std::shared_ptr<RedisClient> redis, std::unique_ptr<RateLimiter> fallback,
                   observability::Counter& backend_errors);

  RateDecision check(std::string_view key, const RatePolicy& policy) override;

 private:
  std::shared_ptr<RedisClient> redis_;
  std::unique_ptr<RateLimiter> fallback_;
  observability::Counter& backend_errors_;
};

}  // namespace keel::edge
