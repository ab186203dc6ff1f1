#include "keel/config/load.hpp"

#include <arpa/inet.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <set>
#include <span>
#include <thread>
#include <utility>

#include "keel/config/base64.hpp"
#include "keel/config/database_url.hpp"
#include "keel/config/variables.hpp"

namespace keel::config {
namespace {

constexpr std::string_view kBlank = " \t\r\n";
constexpr std::size_t kGeneratedSecretBytes = 32;
constexpr std::string_view kGeneratedKeyId = "dev";

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(kBlank);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kBlank) - first + 1);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
  return out;
}

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// random_bytes fills `out` from the kernel CSPRNG (getrandom blocks only
// until the pool is first seeded); false if the kernel refuses.
bool random_bytes(std::span<std::uint8_t> out) {
  std::size_t filled = 0;
  while (filled < out.size()) {
    const ssize_t n = getrandom(out.data() + filled, out.size() - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    filled += static_cast<std::size_t>(n);
  }
  return true;
}

bool is_ip_address(std::string_view text) {
  const std::string s(text);
  in_addr v4{};
  in6_addr v6{};
  return inet_pton(AF_INET, s.c_str(), &v4) == 1 || inet_pton(AF_INET6, s.c_str(), &v6) == 1;
}

// is_host_name accepts DNS names and single labels (container names often use '_').
bool is_host_name(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.front() == '-' || s.front() == '.') return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return is_alnum(c) || c == '-' || c == '.' || c == '_'; });
}

bool is_listen_host(std::string_view s) { return is_ip_address(s) || is_host_name(s); }

// is_trusted_host accepts "*", "*.example.com", names, and IP literals (v6 bare or bracketed).
bool is_trusted_host(std::string_view s) {
  if (s == "*") return true;
  if (s.starts_with("*.")) return is_host_name(s.substr(2));
  if (s.starts_with('[') && s.ends_with(']')) return is_ip_address(s.substr(1, s.size() - 2));
  return is_ip_address(s) || is_host_name(s);
}

// is_proxy accepts an IP address or a CIDR block such as 10.0.0.0/8.
bool is_proxy(std::string_view s) {
  const auto slash = s.find('/');
  const std::string_view address = s.substr(0, slash);
  if (!is_ip_address(address)) return false;
  if (slash == std::string_view::npos) return true;
  const std::string_view prefix = s.substr(slash + 1);
  int bits = -1;
  const auto [end, ec] = std::from_chars(prefix.data(), prefix.data() + prefix.size(), bits);
  const int max_bits = address.find(':') == std::string_view::npos ? 32 : 128;
  return ec == std::errc() && end == prefix.data() + prefix.size() && bits >= 0 && bits <= max_bits;
}

// is_origin accepts "*" or scheme://host[:port] with http/https and nothing after.
bool is_origin(std::string_view s) {
  if (s == "*") return true;
  std::string_view rest;
  if (s.starts_with("https://")) {
    rest = s.substr(8);
  } else if (s.starts_with("http://")) {
    rest = s.substr(7);
  } else {
    return false;
  }
  std::string_view host = rest;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos || !is_ip_address(rest.substr(1, close - 1))) return false;
    host = {};
    rest = rest.substr(close + 1);
  } else {
    const auto colon = rest.find(':');
    host = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon);
    if (!is_host_name(host)) return false;
  }
  if (rest.empty()) return true;
  if (rest.front() != ':' || rest.size() < 2) return false;
  int port = 0;
  const auto [end, ec] = std::from_chars(rest.data() + 1, rest.data() + rest.size(), port);
  return ec == std::errc() && end == rest.data() + rest.size() && port >= 1 && port <= 65535;
}

bool is_mime_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return is_alnum(c) || std::string_view("!#$&-^_.+").find(c) != std::string_view::npos;
  });
}

// is_mime_type accepts exact type/subtype only: wildcards would defeat an allow-list.
bool is_mime_type(std::string_view s) {
  const auto slash = s.find('/');
  return slash != std::string_view::npos && is_mime_token(s.substr(0, slash)) &&
         is_mime_token(s.substr(slash + 1));
}

// is_email_from accepts "addr@host" or "Name <addr@host>"; CR/LF would let a
// value inject mail headers.
bool is_email_from(std::string_view s) {
  if (s.size() > 320) return false;
  if (std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7F; })) return false;
  std::string_view address = s;
  if (const auto open = s.find('<'); open != std::string_view::npos) {
    if (!s.ends_with('>')) return false;
    address = s.substr(open + 1, s.size() - open - 2);
  }
  const auto at = address.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < address.size() &&
         address.find_first_of(" <>") == std::string_view::npos;
}

bool is_visible_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7F; });
}

bool is_key_id(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return is_alnum(c) || c == '.' || c == '_' || c == '-';
  });
}

bool has_scheme_and_host(std::string_view url, std::initializer_list<std::string_view> schemes) {
  for (std::string_view scheme : schemes) {
    if (url.starts_with(scheme)) {
      const std::string_view rest = url.substr(scheme.size());
      return !rest.empty() && rest.front() != '/';
    }
  }
  return false;
}

template <class Enum>
struct Word {
  std::string_view text;
  Enum value;
};

constexpr Word<AppEnv> kAppEnvs[] = {{"development", AppEnv::development},
                                     {"test", AppEnv::test},
                                     {"staging", AppEnv::staging},
                                     {"production", AppEnv::production}};
constexpr Word<LogLevel> kLogLevels[] = {{"debug", LogLevel::debug},
                                         {"info", LogLevel::info},
                                         {"warning", LogLevel::warning},
                                         {"warn", LogLevel::warning},
                                         {"error", LogLevel::error}};
constexpr Word<LogFormat> kLogFormats[] = {{"json", LogFormat::json}, {"text", LogFormat::text}};

// Reader reads variables from one Environment and records what is wrong.
class Reader {
 public:
  Reader(const Environment& env, std::vector<ConfigProblem>& problems) : env_(env), problems_(problems) {}

  // value returns the trimmed value, or nullopt when unset or blank.
  std::optional<std::string_view> value(std::string_view name) const {
    const auto raw = env_.get(name);
    if (!raw) return std::nullopt;
    const std::string_view trimmed = trim(*raw);
    if (trimmed.empty()) return std::nullopt;
    return trimmed;
  }

  // problem records "NAME: expectation"; callers never pass the value.
  void problem(std::string_view name, std::string_view expectation) {
    problems_.push_back({std::string(name), std::string(name) + ": " + std::string(expectation)});
  }

  // integer reads a decimal within the bounds listed in variables().
  template <class T>
  void integer(std::string_view name, T& out) {
    const VariableSpec* spec = find_variable(name);
    const auto text = value(name);
    if (spec == nullptr || !text) return;
    long long parsed = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), parsed);
    if (ec != std::errc() || end != text->data() + text->size() || parsed < spec->min || parsed > spec->max) {
      problem(name, "must be an integer between " + std::to_string(spec->min) + " and " +
                        std::to_string(spec->max));
      return;
    }
    out = static_cast<T>(parsed);
  }

  void boolean(std::string_view name, bool& out) {
    const auto text = value(name);
    if (!text) return;
    const std::string word = lower(*text);
    if (word == "true" || word == "1" || word == "yes") {
      out = true;
    } else if (word == "false" || word == "0" || word == "no") {
      out = false;
    } else {
      problem(name, "must be a boolean: true/false, 1/0 or yes/no");
    }
  }

  // choice reads one of `words` (any case); returns false on a bad value.
  template <class Enum, std::size_t N>
  bool choice(std::string_view name, Enum& out, const Word<Enum> (&words)[N], std::string_view expectation) {
    const auto text = value(name);
    if (!text) return true;
    const std::string word = lower(*text);
    for (const Word<Enum>& w : words) {
      if (w.text == word) {
        out = w.value;
        return true;
      }
    }
    problem(name, expectation);
    return false;
  }

  // text reads a single value checked by `valid`.
  void text(std::string_view name, std::string& out, const std::function<bool(std::string_view)>& valid,
            std::string_view expectation) {
    const auto v = value(name);
    if (!v) return;
    if (!valid(*v)) {
      problem(name, expectation);
      return;
    }
    out = std::string(*v);
  }

  // list splits on commas, trims entries and drops empty ones; nullopt when nothing is left.
  std::optional<std::vector<std::string>> list(std::string_view name) const {
    auto rest = value(name);
    if (!rest) return std::nullopt;
    std::vector<std::string> entries;
    while (!rest->empty()) {
      const auto comma = rest->find(',');
      const std::string_view entry = trim(rest->substr(0, comma));
      if (!entry.empty()) entries.emplace_back(entry);
      rest->remove_prefix(comma == std::string_view::npos ? rest->size() : comma + 1);
    }
    if (entries.empty()) return std::nullopt;
    return entries;
  }

  // checked_list is list() with every entry lower-cased and checked by `valid`;
  // each bad entry is reported by position (values are never echoed).
  void checked_list(std::string_view name, std::vector<std::string>& out,
                    const std::function<bool(std::string_view)>& valid, std::string_view expectation) {
    auto entries = list(name);
    if (!entries) return;
    bool all_valid = true;
    for (std::size_t i = 0; i < entries->size(); ++i) {
      std::string& entry = (*entries)[i];
      entry = lower(entry);
      if (!valid(entry)) {
        problem(name, "entry " + std::to_string(i + 1) + " must be " + std::string(expectation));
        all_valid = false;
      }
    }
    if (all_valid) out = std::move(*entries);
  }

 private:
  const Environment& env_;
  std::vector<ConfigProblem>& problems_;
};

void read_secret_key(Reader& r, Settings& s) {
  if (const auto key = r.value("SECRET_KEY")) {
    s.secret_key = std::string(*key);
    return;
  }
  if (is_production_like(s.app_env)) return;  // audit() fails the missing key
  std::array<std::uint8_t, kGeneratedSecretBytes> bytes{};
  if (!random_bytes(bytes)) {
    r.problem("SECRET_KEY", "is not set and no random development key could be generated");
    return;
  }
  s.secret_key = encode_base64url(bytes);
  s.secret_key_generated = true;
}

void read_encryption_keys(Reader& r, Settings& s) {
  constexpr std::string_view kName = "DATA_ENCRYPTION_KEYS";
  const auto entries = r.list(kName);
  if (!entries) {
    if (is_production_like(s.app_env)) return;  // audit() fails the missing keys
    EncryptionKey generated{std::string(kGeneratedKeyId), {}};
    if (!random_bytes(generated.key)) {
      r.problem(kName, "is not set and no random development key could be generated");
      return;
    }
    s.data_encryption_keys = {std::move(generated)};
    s.data_encryption_keys_generated = true;
    return;
  }
  std::vector<EncryptionKey> keys;
  std::set<std::string, std::less<>> ids;
  bool all_valid = true;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const std::string entry_name = "entry " + std::to_string(i + 1);
    const std::string_view entry = (*entries)[i];
    const auto colon = entry.find(':');
    if (colon == std::string_view::npos) {
      r.problem(kName, entry_name + " must be kid:base64key");
      all_valid = false;
      continue;
    }
    const std::string_view id = trim(entry.substr(0, colon));
    const auto decoded = decode_base64(trim(entry.substr(colon + 1)));
    if (!is_key_id(id)) {
      r.problem(kName, entry_name + " must have a key id of 1-64 letters, digits, '.', '_' or '-'");
      all_valid = false;
    } else if (!ids.emplace(id).second) {
      r.problem(kName, entry_name + " repeats the key id of an earlier entry");
      all_valid = false;
    }
    if (!decoded || decoded->size() != kEncryptionKeyBytes) {
      r.problem(kName, entry_name + " must hold a base64 key of exactly 32 bytes (openssl rand -base64 32)");
      all_valid = false;
      continue;
    }
    EncryptionKey key{std::string(id), {}};
    std::copy(decoded->begin(), decoded->end(), key.key.begin());
    keys.push_back(std::move(key));
  }
  if (all_valid) s.data_encryption_keys = std::move(keys);
}

void read_server(Reader& r, Settings& s) {
  r.text("HOST", s.host, is_listen_host, "must be an IP address or host name");
  r.integer("PORT", s.port);
  r.integer("WORKERS", s.workers);
  r.integer("MAX_CONNECTIONS", s.max_connections);
  r.integer("MAX_CONNECTIONS_PER_CLIENT", s.max_connections_per_client);
  r.integer("MAX_IN_FLIGHT", s.max_in_flight);
  r.integer("MAX_HEADER_BYTES", s.max_header_bytes);
  r.integer("MAX_URI_BYTES", s.max_uri_bytes);
  r.integer("MAX_BODY_BYTES", s.max_body_bytes);
  r.integer("READ_TIMEOUT_MS", s.read_timeout_ms);
  r.integer("IDLE_TIMEOUT_MS", s.idle_timeout_ms);
  r.integer("HANDLER_TIMEOUT_MS", s.handler_timeout_ms);
  r.integer("SHUTDOWN_GRACE_MS", s.shutdown_grace_ms);

  const auto readable = [](std::string_view path) {
    const std::string p(path);
    std::error_code ec;
    // Opening the file (not access(2)) answers for the effective user that will read it.
    return std::filesystem::is_regular_file(p, ec) && std::ifstream(p).is_open();
  };
  constexpr std::string_view kFileExpectation = "must name a readable file";
  r.text("TLS_CERT_FILE", s.tls_cert_file, readable, kFileExpectation);
  r.text("TLS_KEY_FILE", s.tls_key_file, readable, kFileExpectation);
  const bool cert_set = r.value("TLS_CERT_FILE").has_value();
  const bool key_set = r.value("TLS_KEY_FILE").has_value();
  if (cert_set && !key_set) r.problem("TLS_KEY_FILE", "must be set together with TLS_CERT_FILE");
  if (key_set && !cert_set) r.problem("TLS_CERT_FILE", "must be set together with TLS_KEY_FILE");
}

void read_database(Reader& r, Settings& s) {
  constexpr std::string_view kForms =
      "must be sqlite:///path.db or postgresql://user:password@host:port/db"
      "[?sslmode=disable|allow|prefer|require|verify-ca|verify-full]";
  if (const auto url = r.value("DATABASE_URL")) {
    if (parse_database_url(*url)) {
      s.database_url = std::string(*url);
    } else {
      r.problem("DATABASE_URL", kForms);
    }
  }
  if (const auto url = r.value("DATABASE_READ_URL")) {
    const auto read = parse_database_url(*url);
    const auto main = parse_database_url(s.database_url);
    if (!read) {
      r.problem("DATABASE_READ_URL", kForms);
    } else if (main && main->kind != read->kind) {
      r.problem("DATABASE_READ_URL", "must use the same database engine as DATABASE_URL");
    } else {
      s.database_read_url = std::string(*url);
    }
  }
  r.integer("DATABASE_POOL_SIZE", s.database_pool_size);
  r.integer("DATABASE_TIMEOUT_MS", s.database_timeout_ms);
  if (const auto url = r.value("REDIS_URL")) {
    // Debian 12's hiredis (0.14) has no TLS: rediss:// would be refused at
    // the first connection, so it is refused here, where the message is clear.
    if (has_scheme_and_host(*url, {"redis://"})) {
      s.redis_url = std::string(*url);
    } else {
      r.problem("REDIS_URL",
                "must be redis://[[user]:password@]host[:port][/db] (rediss:// is not supported: "
                "reach a TLS Redis through a local TLS tunnel such as stunnel)");
    }
  }
  r.integer("REDIS_TIMEOUT_MS", s.redis_timeout_ms);
}

void read_edge(Reader& r, Settings& s) {
  r.checked_list("CORS_ORIGINS", s.cors_origins, is_origin,
                 "* or an origin such as https://app.example.com (scheme, host, optional port; no path)");
  r.checked_list("TRUSTED_HOSTS", s.trusted_hosts, is_trusted_host,
                 "a host name, *.domain, IP address or * (no scheme, port or path)");
  r.checked_list("TRUSTED_PROXIES", s.trusted_proxies, is_proxy,
                 "an IP address or CIDR block such as 10.0.0.0/8");
  r.boolean("FORCE_HTTPS", s.force_https);
}

void read_auth(Reader& r, Settings& s) {
  r.integer("ACCESS_TOKEN_TTL", s.access_token_ttl);
  r.integer("REFRESH_TOKEN_TTL", s.refresh_token_ttl);
  r.boolean("RATE_LIMIT_ENABLED", s.rate_limit_enabled);
  r.integer("RATE_LIMIT_PER_MINUTE", s.rate_limit_per_minute);
  r.integer("RATE_LIMIT_AUTH_PER_MINUTE", s.rate_limit_auth_per_minute);
  r.integer("LOGIN_MAX_FAILURES", s.login_max_failures);
  r.integer("LOGIN_LOCKOUT_SECONDS", s.login_lockout_seconds);
  r.integer("PASSWORD_MIN_ENTROPY_BITS", s.password_min_entropy_bits);
}

void read_uploads_and_email(Reader& r, Settings& s) {
  if (const auto dir = r.value("UPLOAD_DIR")) s.upload_dir = std::string(*dir);
  if (const auto dir = r.value("OUTBOX_DIR")) s.outbox_dir = std::string(*dir);
  r.integer("UPLOAD_MAX_BYTES", s.upload_max_bytes);
  r.checked_list("UPLOAD_ALLOWED_TYPES", s.upload_allowed_types, is_mime_type,
                 "an exact MIME type such as image/png (no wildcards or parameters)");
  if (const auto url = r.value("SMTP_URL")) {
    if (has_scheme_and_host(*url, {"smtp://", "smtps://"})) {
      s.smtp_url = std::string(*url);
    } else {
      r.problem("SMTP_URL", "must be smtp://[user:password@]host[:port] or smtps://…");
    }
  }
  r.text("EMAIL_FROM", s.email_from, is_email_from,
         "must be an email address or \"Name <address@example.com>\"");
}

void read_observability(Reader& r, Settings& s) {
  r.choice("LOG_LEVEL", s.log_level, kLogLevels, "must be one of debug, info, warning (or warn), error");
  r.choice("LOG_FORMAT", s.log_format, kLogFormats, "must be json or text");
  r.boolean("DOCS_ENABLED", s.docs_enabled);
  r.boolean("DOCS_PUBLIC", s.docs_public);
  r.boolean("METRICS_ENABLED", s.metrics_enabled);
  if (const auto token = r.value("METRICS_TOKEN")) {
    if (is_visible_ascii(*token)) {
      s.metrics_token = std::string(*token);
    } else {
      r.problem("METRICS_TOKEN", "must be printable ASCII without spaces (it is sent as a bearer token)");
    }
  }
}

void read_data(Reader& r, Settings& s) {
  read_encryption_keys(r, s);
  r.integer("RETENTION_AUDIT_DAYS", s.retention_audit_days);
  r.integer("RETENTION_JOBS_DAYS", s.retention_jobs_days);
  r.integer("JOB_WORKERS", s.job_workers);
  r.boolean("WEBHOOK_ALLOW_PRIVATE_TARGETS", s.webhook_allow_private_targets);
  r.boolean("WEBHOOK_ALLOW_HTTP", s.webhook_allow_http);
}

// apply_machine_defaults sets the defaults that depend on the profile or the host.
void apply_machine_defaults(Settings& s) {
  const int cores = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  s.workers = std::clamp(cores, 1, static_cast<int>(find_variable("WORKERS")->max));
  s.database_pool_size = std::clamp(cores * 2, 1, static_cast<int>(find_variable("DATABASE_POOL_SIZE")->max));
  if (!is_production_like(s.app_env)) s.trusted_hosts = {"localhost", "127.0.0.1"};
}

}  // namespace

LoadResult load(const Environment& env) {
  LoadResult result;
  result.problems = env.problems();
  Settings& s = result.settings;
  Reader r(env, result.problems);

  // The profile comes first: other defaults depend on it. An unknown profile
  // is reported and development defaults are used to check the rest.
  r.choice("APP_ENV", s.app_env, kAppEnvs, "must be one of development, test, staging, production");
  apply_machine_defaults(s);
  read_secret_key(r, s);
  r.boolean("DEBUG", s.debug);
  read_server(r, s);
  read_database(r, s);
  read_edge(r, s);
  read_auth(r, s);
  read_uploads_and_email(r, s);
  read_observability(r, s);
  read_data(r, s);
  return result;
}

}  // namespace keel::config
