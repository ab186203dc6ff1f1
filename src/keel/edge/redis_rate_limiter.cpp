#include "keel/edge/redis_rate_limiter.hpp"

#include <array>
#include <charconv>
#include <string>

#include "keel/observability/metrics.hpp"

namespace keel::edge {
namespace {

// The bucket is a hash {tokens, updated}; the arithmetic is take_token's
// (rate_limit.cpp). Redis 5+ replicates scripts by effect, so TIME is allowed.
// Returns {1|0 allowed, tokens left as a string} (Lua numbers would be truncated to integers).
const RedisScript& token_bucket_script() {
  static const RedisScript script(R"lua(
local limit = tonumber(ARGV[1])
local rate = limit / tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1])
local updated = tonumber(state[2])
if tokens == nil or updated == nil then
  tokens = limit
  updated = now
end
tokens = math.min(limit, tokens + math.max(0, now - updated) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'updated', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((limit - tokens) / rate * 1000) + 1000)
return {allowed, string.format('%.6f', tokens)}
)lua");
  return script;
}

// parse_reply reads the script's answer; false when it is not what the script returns.
bool parse_reply(const RedisReply& reply, bool& allowed, double& tokens) {
  if (reply.type != RedisReply::Type::array || reply.elements.size() != 2) return false;
  const RedisReply& flag = reply.elements[0];
  const RedisReply& left = reply.elements[1];
  if (flag.type != RedisReply::Type::integer || left.type != RedisReply::Type::text) return false;
  allowed = flag.integer == 1;
  const auto [end, ec] = std::from_chars(left.text.data(), left.text.data() + left.text.size(), tokens);
  return ec == std::errc() && end == left.text.data() + left.text.size();
}

}  // namespace

RedisRateLimiter::RedisRateLimiter(std::shared_ptr<RedisClient> redis, std::unique_ptr<RateLimiter> fallback,
                                   observability::Counter& backend_errors)
    : redis_(std::move(redis)), fallback_(std::move(fallback)), backend_errors_(backend_errors) {}

RateDecision RedisRateLimiter::check(std::string_view key, const RatePolicy& policy) {
  std::string redis_key;
  redis_key.reserve(kRateLimitKeyPrefix.size() + policy.name.size() + 1 + key.size());
  redis_key.append(kRateLimitKeyPrefix).append(policy.name).append(1, ':').append(key);
  const std::string limit = std::to_string(policy.limit);
  const std::string window = std::to_string(policy.window.count());
  const std::array<std::string_view, 1> keys{redis_key};
  const std::array<std::string_view, 2> arguments{limit, window};

  const RedisResult result = redis_->eval(token_bucket_script(), keys, arguments);
  bool allowed = false;
  double tokens = 0;
  if (result.reply && parse_reply(*result.reply, allowed, tokens)) return decide(allowed, tokens, policy);
  backend_errors_.inc();
  return fallback_->check(key, policy);
}

}  // namespace keel::edge
