#include "keel/edge/redis_client.hpp"

#include <hiredis/hiredis.h>
#include <openssl/sha.h>
#include <sys/time.h>

#include <array>
#include <atomic>
#include <charconv>
#include <csignal>
#include <mutex>

#include "keel/http/request.hpp"
#include "keel/observability/logger.hpp"

namespace keel::edge {
namespace {

using SteadyClock = std::chrono::steady_clock;

// kLogInterval: a dead Redis is reported at most this often (with a count of the failures between).
constexpr std::chrono::seconds kLogInterval{10};

struct ContextFree {
  void operator()(redisContext* context) const { redisFree(context); }
};
using Connection = std::unique_ptr<redisContext, ContextFree>;

struct ReplyFree {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch()).count();
}

RedisReply decode(const redisReply& raw) {
  RedisReply reply;
  switch (raw.type) {
    case REDIS_REPLY_INTEGER:
      reply.type = RedisReply::Type::integer;
      reply.integer = raw.integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      reply.type = raw.type == REDIS_REPLY_STRING   ? RedisReply::Type::text
                   : raw.type == REDIS_REPLY_STATUS ? RedisReply::Type::status
                                                    : RedisReply::Type::error;
      reply.text.assign(raw.str, raw.len);
      break;
    case REDIS_REPLY_ARRAY:
      reply.type = RedisReply::Type::array;
      reply.elements.reserve(raw.elements);
      for (std::size_t i = 0; i < raw.elements; ++i) reply.elements.push_back(decode(*raw.element[i]));
      break;
    default: reply.type = RedisReply::Type::nil;
  }
  return reply;
}

// send runs one command on `connection`; nullptr when the connection failed
// (its errstr says why, and it must not be reused).
ReplyPtr send(redisContext& connection, std::span<const std::string_view> arguments) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(arguments.size());
  lengths.reserve(arguments.size());
  for (std::string_view argument : arguments) {
    argv.push_back(argument.data());
    lengths.push_back(argument.size());
  }
  return ReplyPtr(static_cast<redisReply*>(
      redisCommandArgv(&connection, static_cast<int>(argv.size()), argv.data(), lengths.data())));
}

timeval to_timeval(std::chrono::milliseconds duration) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(duration.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((duration.count() % 1000) * 1000);
  return tv;
}

std::optional<int> parse_number(std::string_view text, int min, int max) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max)
    return std::nullopt;
  return value;
}

}  // namespace

std::optional<RedisEndpoint> parse_redis_url(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (!url.starts_with(kScheme)) return std::nullopt;
  std::string_view rest = url.substr(kScheme.size());
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);

  RedisEndpoint endpoint;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const auto colon = userinfo.find(':');
    // "redis://secret@host" (no colon) is a password, as most Redis clients read it.
    auto user = http::percent_decode(colon == std::string_view::npos ? "" : userinfo.substr(0, colon), false);
    auto password =
        http::percent_decode(colon == std::string_view::npos ? userinfo : userinfo.substr(colon + 1), false);
    if (!user || !password) return std::nullopt;
    endpoint.username = std::move(*user);
    endpoint.password = std::move(*password);
  }
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    endpoint.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return std::nullopt;
    if (!after.empty()) port = after.substr(1);
  } else {
    const auto colon = authority.find(':');
    endpoint.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (endpoint.host.empty()) return std::nullopt;
  if (!port.empty()) {
    const auto number = parse_number(port, 1, 65535);
    if (!number) return std::nullopt;
    endpoint.port = *number;
  }
  if (!path.empty()) {
    const auto number = parse_number(path, 0, 1 << 20);
    if (!number) return std::nullopt;
    endpoint.database = *number;
  }
  return endpoint;
}

RedisScript::RedisScript(std::string lua_source) : source(std::move(lua_source)) {
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(source.data()), source.size(), digest.data());
  constexpr std::string_view kHex = "0123456789abcdef";
  for (const unsigned char byte : digest) {
    sha1.push_back(kHex[byte >> 4]);
    sha1.push_back(kHex[byte & 0x0f]);
  }
}

// Impl owns the pool. `mutex` guards only `idle`; it is never held while
// connecting or waiting for Redis.
struct RedisClient::Impl {
  explicit Impl(Options client_options) : options(std::move(client_options)) {}

  // connect opens and prepares (AUTH, SELECT) a new connection.
  Connection connect(std::string& error) const {
    Connection connection(redisConnectWithTimeout(options.endpoint.host.c_str(), options.endpoint.port,
                                                  to_timeval(options.timeout)));
    if (!connection) {
      error = "redis: cannot allocate a connection";
      return nullptr;
    }
    if (connection->err != 0) {
      error = std::string("redis: ") + connection->errstr;
      return nullptr;
    }
    redisSetTimeout(connection.get(), to_timeval(options.timeout));
    redisEnableKeepAlive(connection.get());
    if (!options.endpoint.password.empty()) {
      std::vector<std::string_view> auth{"AUTH"};
      if (!options.endpoint.username.empty()) auth.emplace_back(options.endpoint.username);
      auth.emplace_back(options.endpoint.password);
      if (!prepared(*connection, auth, "AUTH", error)) return nullptr;
    }
    if (options.endpoint.database != 0) {
      const std::string database = std::to_string(options.endpoint.database);
      const std::array<std::string_view, 2> select{"SELECT", database};
      if (!prepared(*connection, select, "SELECT", error)) return nullptr;
    }
    return connection;
  }

  // prepared runs a set-up command; the error names the command, never its arguments.
  static bool prepared(redisContext& connection, std::span<const std::string_view> command,
                       std::string_view name, std::string& error) {
    const ReplyPtr reply = send(connection, command);
    if (!reply) {
      error = "redis: " + std::string(name) + ": " + connection.errstr;
      return false;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      error = "redis: " + std::string(name) + " refused: " + std::string(reply->str, reply->len);
      return false;
    }
    return true;
  }

  Connection take_idle() {
    const std::lock_guard lock(mutex);
    if (idle.empty()) return nullptr;
    Connection connection = std::move(idle.back());
    idle.pop_back();
    return connection;
  }

  void give_back(Connection connection) {
    const std::lock_guard lock(mutex);
    if (idle.size() < options.max_idle_connections) idle.push_back(std::move(connection));
    // else: destroyed (closed) here; the pool keeps only a few idle connections.
  }

  bool backing_off() const { return now_ns() < retry_at.load(std::memory_order_relaxed); }

  // failed starts the back-off and logs (rate-limited) why Redis is unusable.
  void failed(const std::string& error) {
    const std::int64_t now = now_ns();
    retry_at.store(
        now + std::chrono::duration_cast<std::chrono::nanoseconds>(options.failure_backoff).count(),
        std::memory_order_relaxed);
    std::int64_t due = next_log_at.load(std::memory_order_relaxed);
    if (now < due ||
        !next_log_at.compare_exchange_strong(
            due, now + std::chrono::duration_cast<std::chrono::nanoseconds>(kLogInterval).count())) {
      suppressed.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    observability::logger().warning(
        "redis unavailable",
        {{"error", std::string_view(error)},
         {"failures_since_last_warning", suppressed.exchange(0, std::memory_order_relaxed)},
         {"retry_in_ms", static_cast<std::int64_t>(options.failure_backoff.count())}});
  }

  const Options options;
  std::mutex mutex;
  std::vector<Connection> idle;
  std::atomic<std::int64_t> retry_at{0};     // steady-clock ns; calls before it fail at once
  std::atomic<std::int64_t> next_log_at{0};  // steady-clock ns of the next allowed warning
  std::atomic<std::uint64_t> suppressed{0};  // failures not logged since the last warning
};

RedisClient::RedisClient(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {
  // hiredis writes with write(2): on a connection Redis has closed that
  // raises SIGPIPE, whose default action would kill the server. Failed
  // writes must be errors (EPIPE) instead, so the signal is ignored.
  std::signal(SIGPIPE, SIG_IGN);
}

RedisClient::~RedisClient() = default;

RedisResult RedisClient::command(std::span<const std::string_view> arguments) {
  Impl& impl = *impl_;
  if (impl.backing_off()) return {std::nullopt, "redis: unavailable, retrying shortly"};
  std::string error;
  // A pooled connection may have died while idle (Redis restarted): then one
  // fresh connection gets the command before Redis is declared down.
  for (bool pooled = true;; pooled = false) {
    Connection connection = pooled ? impl.take_idle() : nullptr;
    if (!connection) {
      pooled = false;
      connection = impl.connect(error);
      if (!connection) break;
    }
    const ReplyPtr raw = send(*connection, arguments);
    if (raw) {
      RedisReply reply = decode(*raw);
      impl.give_back(std::move(connection));
      return {std::move(reply), {}};
    }
    error = std::string("redis: ") + connection->errstr;
    if (!pooled) break;
  }
  impl.failed(error);
  return {std::nullopt, std::move(error)};
}

RedisResult RedisClient::eval(const RedisScript& script, std::span<const std::string_view> keys,
                              std::span<const std::string_view> arguments) {
  const std::string key_count = std::to_string(keys.size());
  std::vector<std::string_view> command{"EVALSHA", script.sha1, key_count};
  command.insert(command.end(), keys.begin(), keys.end());
  command.insert(command.end(), arguments.begin(), arguments.end());
  RedisResult result = this->command(command);
  if (result.reply && result.reply->type == RedisReply::Type::error &&
      result.reply->text.starts_with("NOSCRIPT")) {
    command[0] = "EVAL";
    command[1] = script.source;  // Redis caches it: later EVALSHA calls find it
    result = this->command(command);
  }
  return result;
}

bool RedisClient::ping() {
  const RedisResult result = command({"PING"});
  return result.reply && result.reply->type == RedisReply::Type::status && result.reply->text == "PONG";
}

}  // namespace keel::edge
