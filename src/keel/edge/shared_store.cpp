#include "keel/edge/shared_store.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace keel::edge {
namespace {

using TimePoint = std::chrono::steady_clock::time_point;

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
};

std::chrono::milliseconds at_least_1ms(std::chrono::milliseconds ttl) {
  return std::max(ttl, std::chrono::milliseconds(1));
}

std::string prefixed(std::string_view key) {
  std::string full;
  full.reserve(kSharedStoreKeyPrefix.size() + key.size());
  full.append(kSharedStoreKeyPrefix).append(key);
  return full;
}

}  // namespace

struct MemorySharedStore::Shard {
  struct Entry {
    std::string value;
    TimePoint expires_at;
  };
  std::mutex mutex;
  std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> entries;

  // find returns the unexpired entry for `key` (dropping an expired one), or nullptr.
  Entry* find(std::string_view key, TimePoint now) {
    const auto it = entries.find(key);
    if (it == entries.end()) return nullptr;
    if (it->second.expires_at <= now) {
      entries.erase(it);
      return nullptr;
    }
    return &it->second;
  }

  // make_room drops expired entries, then (if a flood left none expired) the
  // eighth that expire soonest.
  void make_room(TimePoint now, std::size_t max_entries) {
    std::erase_if(entries, [now](const auto& item) { return item.second.expires_at <= now; });
    if (entries.size() < max_entries) return;
    std::vector<std::pair<TimePoint, const std::string*>> by_expiry;
    by_expiry.reserve(entries.size());
    for (const auto& [key, entry] : entries) by_expiry.emplace_back(entry.expires_at, &key);
    const std::size_t evict = std::max<std::size_t>(1, by_expiry.size() / 8);
    std::nth_element(by_expiry.begin(), by_expiry.begin() + static_cast<std::ptrdiff_t>(evict - 1),
                     by_expiry.end());
    std::vector<std::string> victims;
    victims.reserve(evict);
    for (std::size_t i = 0; i < evict; ++i) victims.push_back(*by_expiry[i].second);
    for (const auto& key : victims) entries.erase(key);
  }

  Entry& insert(std::string_view key, std::string value, TimePoint expires_at, TimePoint now,
                std::size_t max_entries) {
    if (entries.size() >= max_entries) make_room(now, max_entries);
    auto [it, inserted] = entries.try_emplace(std::string(key));
    it->second = Entry{std::move(value), expires_at};
    return it->second;
  }
};

struct MemorySharedStore::Impl {
  static constexpr std::size_t kShards = 16;

  Impl(std::size_t max_entries, Clock store_clock)
      : clock(std::move(store_clock)), max_per_shard(std::max<std::size_t>(1, max_entries / kShards)) {
    for (auto& shard : shards) shard = std::make_unique<Shard>();
  }

  Shard& shard_of(std::string_view key) { return *shards[StringHash{}(key) % kShards]; }

  Clock clock;
  std::size_t max_per_shard;
  std::array<std::unique_ptr<Shard>, kShards> shards;
};

MemorySharedStore::MemorySharedStore(std::size_t max_entries, Clock clock)
    : impl_(std::make_unique<Impl>(max_entries, std::move(clock))) {}

MemorySharedStore::~MemorySharedStore() = default;

bool MemorySharedStore::put(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) {
  const TimePoint now = impl_->clock();
  Shard& shard = impl_->shard_of(key);
  const std::lock_guard lock(shard.mutex);
  shard.insert(key, std::string(value), now + at_least_1ms(ttl), now, impl_->max_per_shard);
  return true;
}

std::optional<bool> MemorySharedStore::exists(std::string_view key) {
  const TimePoint now = impl_->clock();
  Shard& shard = impl_->shard_of(key);
  const std::lock_guard lock(shard.mutex);
  return shard.find(key, now) != nullptr;
}

std::optional<std::int64_t> MemorySharedStore::increment(std::string_view key,
                                                         std::chrono::milliseconds ttl) {
  const TimePoint now = impl_->clock();
  Shard& shard = impl_->shard_of(key);
  const std::lock_guard lock(shard.mutex);
  Shard::Entry* entry = shard.find(key, now);
  if (entry == nullptr) {
    shard.insert(key, "1", now + at_least_1ms(ttl), now, impl_->max_per_shard);
    return 1;
  }
  // Counters are stored as decimal text, as Redis does, so put() and increment() mix the same way.
  std::int64_t count = 0;
  const auto [end, ec] =
      std::from_chars(entry->value.data(), entry->value.data() + entry->value.size(), count);
  if (ec != std::errc() || end != entry->value.data() + entry->value.size()) return std::nullopt;
  entry->value = std::to_string(++count);
  return count;
}

bool MemorySharedStore::erase(std::string_view key) {
  Shard& shard = impl_->shard_of(key);
  const std::lock_guard lock(shard.mutex);
  if (const auto it = shard.entries.find(key); it != shard.entries.end()) shard.entries.erase(it);
  return true;
}

std::optional<std::chrono::milliseconds> MemorySharedStore::time_to_live(std::string_view key) {
  const TimePoint now = impl_->clock();
  Shard& shard = impl_->shard_of(key);
  const std::lock_guard lock(shard.mutex);
  const Shard::Entry* entry = shard.find(key, now);
  if (entry == nullptr) return std::chrono::milliseconds(0);
  return std::chrono::ceil<std::chrono::milliseconds>(entry->expires_at - now);
}

RedisSharedStore::RedisSharedStore(std::shared_ptr<RedisClient> redis) : redis_(std::move(redis)) {}

bool RedisSharedStore::put(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) {
  const std::string full_key = prefixed(key);
  const std::string milliseconds = std::to_string(at_least_1ms(ttl).count());
  const RedisResult result = redis_->command({"SET", full_key, value, "PX", milliseconds});
  return result.reply && result.reply->type == RedisReply::Type::status;
}

std::optional<bool> RedisSharedStore::exists(std::string_view key) {
  const std::string full_key = prefixed(key);
  const RedisResult result = redis_->command({"EXISTS", full_key});
  if (!result.reply || result.reply->type != RedisReply::Type::integer) return std::nullopt;
  return result.reply->integer > 0;
}

std::optional<std::int64_t> RedisSharedStore::increment(std::string_view key, std::chrono::milliseconds ttl) {
  // INCR and the first PEXPIRE must be one step: a crash between them would
  // leave a counter that never expires.
  static const RedisScript script(R"lua(
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
)lua");
  const std::string full_key = prefixed(key);
  const std::string milliseconds = std::to_string(at_least_1ms(ttl).count());
  const std::array<std::string_view, 1> keys{full_key};
  const std::array<std::string_view, 1> arguments{milliseconds};
  const RedisResult result = redis_->eval(script, keys, arguments);
  if (!result.reply || result.reply->type != RedisReply::Type::integer) return std::nullopt;
  return result.reply->integer;
}

bool RedisSharedStore::erase(std::string_view key) {
  const std::string full_key = prefixed(key);
  const RedisResult result = redis_->command({"DEL", full_key});
  return result.reply && result.reply->type == RedisReply::Type::integer;
}

std::optional<std::chrono::milliseconds> RedisSharedStore::time_to_live(std::string_view key) {
  const std::string full_key = prefixed(key);
  const RedisResult result = redis_->command({"PTTL", full_key});
  if (!result.reply || result.reply->type != RedisReply::Type::integer) return std::nullopt;
  const std::int64_t ttl = result.reply->integer;
  if (ttl == -2) return std::chrono::milliseconds(0);    // absent
  if (ttl < 0) return std::chrono::milliseconds::max();  // no expiry (not set by this API)
  return std::chrono::milliseconds(ttl);
}

std::unique_ptr<SharedStore> make_shared_store(std::shared_ptr<RedisClient> redis) {
  if (redis) return std::make_unique<RedisSharedStore>(std::move(redis));
  return std::make_unique<MemorySharedStore>();
}

}  // namespace keel::edge
