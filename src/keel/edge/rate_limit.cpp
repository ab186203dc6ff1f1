#include "keel/edge/rate_limit.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace keel::edge {
namespace {

// StringHash lets the bucket map be searched with a string_view (no key copy per request).
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
};

std::int64_t ceil_seconds(double seconds) {
  return seconds <= 0 ? 0 : static_cast<std::int64_t>(std::ceil(seconds - 1e-9));
}

}  // namespace

RateDecision decide(bool allowed, double tokens_left, const RatePolicy& policy) {
  const double rate = policy.refill_per_second();
  RateDecision decision;
  decision.allowed = allowed;
  decision.remaining = std::max<std::int64_t>(0, static_cast<std::int64_t>(std::floor(tokens_left)));
  decision.reset_seconds = ceil_seconds((static_cast<double>(policy.limit) - tokens_left) / rate);
  decision.retry_after_seconds =
      allowed ? 0 : std::max<std::int64_t>(1, ceil_seconds((1.0 - tokens_left) / rate));
  return decision;
}

RateDecision take_token(TokenBucket& bucket, const RatePolicy& policy, double now) {
  const double capacity = static_cast<double>(policy.limit);
  const double elapsed = std::max(0.0, now - bucket.updated);
  bucket.tokens = std::min(capacity, bucket.tokens + elapsed * policy.refill_per_second());
  bucket.updated = now;
  const bool allowed = bucket.tokens >= 1.0;
  if (allowed) bucket.tokens -= 1.0;
  return decide(allowed, bucket.tokens, policy);
}

// Shard is one lock and its buckets. `full_at` (seconds) is when a bucket
// will have refilled completely: from then on it equals a new bucket and can
// be dropped, which is how idle clients stop costing memory.
struct MemoryRateLimiter::Shard {
  struct Entry {
    TokenBucket bucket;
    double full_at = 0;
  };
  std::mutex mutex;
  std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> buckets;

  // make_room runs when the shard is full: drop idle buckets, and if a flood
  // of distinct keys left none idle, the eighth that refill soonest (they
  // lose the least by being forgotten). Amortised O(1) per insert.
  void make_room(double now, std::size_t max_entries) {
    std::erase_if(buckets, [now](const auto& item) { return item.second.full_at <= now; });
    if (buckets.size() < max_entries) return;
    std::vector<std::pair<double, const std::string*>> by_full_at;
    by_full_at.reserve(buckets.size());
    for (const auto& [key, entry] : buckets) by_full_at.emplace_back(entry.full_at, &key);
    const std::size_t evict = std::max<std::size_t>(1, by_full_at.size() / 8);
    std::nth_element(by_full_at.begin(), by_full_at.begin() + static_cast<std::ptrdiff_t>(evict - 1),
                     by_full_at.end());
    std::vector<std::string> victims;
    victims.reserve(evict);
    for (std::size_t i = 0; i < evict; ++i) victims.push_back(*by_full_at[i].second);
    for (const auto& key : victims) buckets.erase(key);
  }
};

MemoryRateLimiter::MemoryRateLimiter(std::size_t max_buckets, Clock clock)
    : clock_(std::move(clock)),
      epoch_(clock_()),
      max_per_shard_(std::max<std::size_t>(1, max_buckets / kShards)) {
  for (auto& shard : shards_) shard = std::make_unique<Shard>();
}

MemoryRateLimiter::~MemoryRateLimiter() = default;

RateDecision MemoryRateLimiter::check(std::string_view key, const RatePolicy& policy) {
  const double now = std::chrono::duration<double>(clock_() - epoch_).count();
  // One map serves every policy: the policy name is part of the key.
  thread_local std::string full_key;
  full_key.assign(policy.name).append(1, '|').append(key);
  Shard& shard = *shards_[StringHash{}(full_key) % kShards];

  const std::lock_guard lock(shard.mutex);
  auto it = shard.buckets.find(std::string_view(full_key));
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= max_per_shard_) shard.make_room(now, max_per_shard_);
    it = shard.buckets.emplace(full_key, Shard::Entry{{static_cast<double>(policy.limit), now}, now}).first;
  }
  auto& entry = it->second;
  const RateDecision decision = take_token(entry.bucket, policy, now);
  entry.full_at =
      now + (static_cast<double>(policy.limit) - entry.bucket.tokens) / policy.refill_per_second();
  return decision;
}

std::size_t MemoryRateLimiter::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    const std::lock_guard lock(shard->mutex);
    total += shard->buckets.size();
  }
  return total;
}

}  // namespace keel::edge
