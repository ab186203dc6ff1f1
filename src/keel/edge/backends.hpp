// keel/edge/backends.hpp — the edge's stateful parts, built from the configuration.
//
// REDIS_URL decides where shared state lives: unset → in this process's
// memory; set → in Redis, so that every replica shares rate-limit budgets
// and the SharedStore. App builds these once at start-up.
//
//   auto redis = make_redis_client(settings);            // nullptr without REDIS_URL
//   auto limiter = make_rate_limiter(redis, app.metrics());
//   auto store = make_shared_store(redis);                // shared_store.hpp
#pragma once

#include <memory>

#include "keel/config/settings.hpp"
#include "keel/edge/rate_limit.hpp"
#include "keel/edge/redis_client.hpp"
#include "keel/edge/stages.hpp"

namespace keel::observability {
class MetricsRegistry;
}

namespace keel::edge {

// make_redis_client returns a client for REDIS_URL with REDIS_TIMEOUT_MS, or
// nullptr when REDIS_URL is unset. It does not connect (the first use does),
// so a Redis that is down at start-up does not stop the server. Throws
// std::invalid_argument when REDIS_URL is not a redis:// URL it can use.
std::shared_ptr<RedisClient> make_redis_client(const config::Settings& settings);

// make_rate_limiter returns a RedisRateLimiter (failing open to a
// per-process MemoryRateLimiter) when `redis` is set, else a MemoryRateLimiter.
// Registers rate_limit_backend_errors_total either way, so dashboards see 0.
std::shared_ptr<RateLimiter> make_rate_limiter(std::shared_ptr<RedisClient> redis,
                                               observability::MetricsRegistry& metrics);

// rate_limit_policies returns the "default" (RATE_LIMIT_PER_MINUTE) and
// "auth" (RATE_LIMIT_AUTH_PER_MINUTE) budgets, per 60-second window.
RateLimitPolicies rate_limit_policies(const config::Settings& settings);

}  // namespace keel::edge
