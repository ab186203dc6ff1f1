// keel/edge/redis_client.hpp — a small, blocking Redis client (hiredis) with a connection pool.
//
// Used for what several Keel replicas must share: rate-limit buckets and the
// SharedStore (token denylist, login throttling). Every call is bounded by
// REDIS_TIMEOUT_MS (connect and each command). After a failure the client
// stops trying for a short back-off, so a dead Redis costs callers nothing
// but a failed result; failures are logged as warnings at most every 10 s.
// No lock is held while talking to Redis: a connection is taken from the
// pool, used by one thread, and put back.
//
//   auto redis = std::make_shared<RedisClient>(RedisClient::Options{*parse_redis_url(url)});
//   RedisResult r = redis->command({"INCR", "keel:kv:visits"});
//   if (r.reply && r.reply->type == RedisReply::Type::integer) use(r.reply->integer);
//
// hiredis 0.14 (Debian 12) has no TLS, so only redis:// URLs are supported.
// Creating a client makes the process ignore SIGPIPE (hiredis writes with
// write(2); a closed connection must be an error, not a fatal signal).
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace keel::edge {

// RedisEndpoint is what a redis:// URL names.
struct RedisEndpoint {
  std::string host;
  int port = 6379;
  std::string username;  // Redis 6 ACL user; empty: the default user
  std::string password;  // empty: no AUTH
  int database = 0;
};

// parse_redis_url reads redis://[[user]:password@]host[:port][/db] (user and
// password percent-decoded, IPv6 hosts in brackets); std::nullopt otherwise.
std::optional<RedisEndpoint> parse_redis_url(std::string_view url);

// RedisReply is one decoded reply.
struct RedisReply {
  enum class Type : std::uint8_t { nil, integer, text, status, array, error };
  Type type = Type::nil;
  std::int64_t integer = 0;
  std::string text;  // bulk string, status or error message
  std::vector<RedisReply> elements;
};

// RedisResult is a reply, or why there is none (Redis unreachable, timeout,
// broken connection). An error reply (e.g. WRONGTYPE) is a reply.
struct RedisResult {
  std::optional<RedisReply> reply;
  std::string error;  // set when reply is absent; never contains credentials
};

// RedisScript is a Lua script and its SHA1, for EVALSHA.
struct RedisScript {
  explicit RedisScript(std::string lua_source);
  std::string source;
  std::string sha1;  // lower-case hex
};

class RedisClient {
 public:
  struct Options {
    RedisEndpoint endpoint;
    std::chrono::milliseconds timeout{200};           // connect and per-command
    std::chrono::milliseconds failure_backoff{1000};  // no attempts this long after a failure
    std::size_t max_idle_connections = 16;
  };

  explicit RedisClient(Options options);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // command sends one command (binary-safe arguments) and waits for its reply.
  RedisResult command(std::span<const std::string_view> arguments);
  RedisResult command(std::initializer_list<std::string_view> arguments) {
    return command(std::span<const std::string_view>(arguments.begin(), arguments.size()));
  }
  // eval runs `script` with EVALSHA, sending the source once if Redis does not have it yet.
  RedisResult eval(const RedisScript& script, std::span<const std::string_view> keys,
                   std::span<const std::string_view> arguments);
  // ping is true when Redis answers PING (for /readiness).
  bool ping();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::edge
