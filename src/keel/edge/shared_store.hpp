// keel/edge/shared_store.hpp — a tiny key-value store with expiry, shared by replicas when Redis is
// configured.
//
// For state that must hold across every Keel process of a deployment: the
// access-token denylist (a revoked token's jti until it would expire anyway)
// and login throttling (failure counters, lockout markers). With REDIS_URL
// the data lives in Redis (keys prefixed "keel:kv:"); without it, in this
// process's memory (fine for one process; each replica would have its own).
//
// Every operation reports a backend failure as std::nullopt / false, so the
// caller chooses: a denylist check should fail closed (treat as revoked or
// answer 503), a login throttle may fail open.
//
//   auto store = make_shared_store(redis);   // redis may be nullptr → in memory
//   store->put("denylist:" + jti, "1", remaining_lifetime);
//   if (store->exists("denylist:" + jti).value_or(true)) throw ApiError(ErrorCode::invalid_token, "...");
//   auto failures = store->increment("login-fail:" + email_hash, std::chrono::minutes(15));
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "keel/edge/redis_client.hpp"

namespace keel::edge {

// SharedStore is thread-safe; keys and values are arbitrary bytes; TTLs are at least 1 ms.
class SharedStore {
 public:
  virtual ~SharedStore() = default;
  // put stores `value` under `key` for `ttl` (replacing any value and TTL); false on a backend failure.
  virtual bool put(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) = 0;
  // exists says whether `key` holds an unexpired value; std::nullopt on a backend failure.
  virtual std::optional<bool> exists(std::string_view key) = 0;
  // increment adds one to the counter at `key` and returns the new count. A
  // missing key starts at 1 and expires after `ttl`; later increments keep
  // the first TTL (a fixed window). std::nullopt on a backend failure or
  // when `key` holds something that is not a counter.
  virtual std::optional<std::int64_t> increment(std::string_view key, std::chrono::milliseconds ttl) = 0;
  // erase removes `key` (absent is fine); false on a backend failure.
  virtual bool erase(std::string_view key) = 0;
  // time_to_live returns how long `key` has left (0 when absent); std::nullopt on a backend failure.
  virtual std::optional<std::chrono::milliseconds> time_to_live(std::string_view key) = 0;
};

// MemorySharedStore keeps entries in this process, sharded, with at most
// about `max_entries`: when full, expired entries go first, then those that
// expire soonest (a denylist entry near its token's own expiry loses least).
class MemorySharedStore final : public SharedStore {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  static constexpr std::size_t kDefaultMaxEntries = 1 << 20;

  explicit MemorySharedStore(std::size_t max_entries = kDefaultMaxEntries,
                             Clock clock = std::chrono::steady_clock::now);
  ~MemorySharedStore() override;
  MemorySharedStore(const MemorySharedStore&) = delete;
  MemorySharedStore& operator=(const MemorySharedStore&) = delete;

  bool put(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) override;
  std::optional<bool> exists(std::string_view key) override;
  std::optional<std::int64_t> increment(std::string_view key, std::chrono::milliseconds ttl) override;
  bool erase(std::string_view key) override;
  std::optional<std::chrono::milliseconds> time_to_live(std::string_view key) override;

 private:
  struct Shard;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// kSharedStoreKeyPrefix namespaces SharedStore keys in Redis.
inline constexpr std::string_view kSharedStoreKeyPrefix = "keel:kv:";

// RedisSharedStore keeps entries in Redis, so every replica sees them.
class RedisSharedStore final : public SharedStore {
 public:
  explicit RedisSharedStore(std::shared_ptr<RedisClient> redis);

  bool put(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) override;
  std::optional<bool> exists(std::string_view key) override;
  std::optional<std::int64_t> increment(std::string_view key, std::chrono::milliseconds ttl) override;
  bool erase(std::string_view key) override;
  std::optional<std::chrono::milliseconds> time_to_live(std::string_view key) override;

 private:
  std::shared_ptr<RedisClient> redis_;
};

// make_shared_store returns a RedisSharedStore over `redis`, or a
// MemorySharedStore when `redis` is null (REDIS_URL unset).
std::unique_ptr<SharedStore> make_shared_store(std::shared_ptr<RedisClient> redis);

}  // namespace keel::edge
