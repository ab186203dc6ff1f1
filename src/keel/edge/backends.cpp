#include "keel/edge/backends.hpp"

#include <stdexcept>

#include "keel/edge/redis_rate_limiter.hpp"
#include "keel/observability/metrics.hpp"

namespace keel::edge {

std::shared_ptr<RedisClient> make_redis_client(const config::Settings& settings) {
  if (!settings.redis_url) return nullptr;
  auto endpoint = parse_redis_url(*settings.redis_url);
  // The message never repeats the URL: it may hold a password.
  if (!endpoint) {
    throw std::invalid_argument(
        "REDIS_URL must be redis://[[user]:password@]host[:port][/db] (TLS rediss:// is not supported by the "
        "hiredis of this platform)");
  }
  RedisClient::Options options;
  options.endpoint = std::move(*endpoint);
  options.timeout = std::chrono::milliseconds(settings.redis_timeout_ms);
  return std::make_shared<RedisClient>(std::move(options));
}

std::shared_ptr<RateLimiter> make_rate_limiter(std::shared_ptr<RedisClient> redis,
                                               observability::MetricsRegistry& metrics) {
  auto& backend_errors =
      metrics
          .counter("rate_limit_backend_errors_total",
                   "Rate-limit decisions made by the local fallback because Redis could not be used.")
          .labels();
  if (!redis) return std::make_shared<MemoryRateLimiter>();
  return std::make_shared<RedisRateLimiter>(std::move(redis), std::make_unique<MemoryRateLimiter>(),
                                            backend_errors);
}

RateLimitPolicies rate_limit_policies(const config::Settings& settings) {
  constexpr std::chrono::seconds kMinute{60};
  return {RatePolicy{"default", settings.rate_limit_per_minute, kMinute},
          RatePolicy{"auth", settings.rate_limit_auth_per_minute, kMinute}};
}

}  // namespace keel::edge
