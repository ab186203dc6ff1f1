// keel/config/settings.hpp — Keel's typed configuration (SPEC §3).
//
// Settings is a plain value: keel::config::load() fills it from the
// environment, everything downstream reads fields. Defaults that do not depend
// on the profile or the machine live here as member initialisers; the rest
// (WORKERS, DATABASE_POOL_SIZE, TRUSTED_HOSTS, generated development secrets)
// are filled in by load(). Every variable, its bounds and its meaning are
// listed in variables.hpp and docs/configuration.md.
//
//   LoadResult r = load(process_environment());
//   server.listen(r.settings.host, r.settings.port);
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keel::config {

// AppEnv is the deployment profile chosen by APP_ENV.
enum class AppEnv : std::uint8_t { development, test, staging, production };

// LogLevel is the minimum severity written to the log (LOG_LEVEL).
enum class LogLevel : std::uint8_t { debug, info, warning, error };

// LogFormat selects JSON lines or human-readable text logs (LOG_FORMAT).
enum class LogFormat : std::uint8_t { json, text };

// to_string returns the canonical spelling used in APP_ENV.
std::string_view to_string(AppEnv env);
// to_string returns the canonical spelling used in LOG_LEVEL ("warning", not "warn").
std::string_view to_string(LogLevel level);
// to_string returns the canonical spelling used in LOG_FORMAT.
std::string_view to_string(LogFormat format);

// is_production_like is true for the profiles where the production rules block startup.
constexpr bool is_production_like(AppEnv env) { return env == AppEnv::staging || env == AppEnv::production; }

// kEncryptionKeyBytes is the size of every DATA_ENCRYPTION_KEYS key (XChaCha20-Poly1305).
inline constexpr std::size_t kEncryptionKeyBytes = 32;

// EncryptionKey is one entry of DATA_ENCRYPTION_KEYS; the id is stored with
// each ciphertext so that old data stays readable after rotation.
struct EncryptionKey {
  std::string id;
  std::array<std::uint8_t, kEncryptionKeyBytes> key{};

  bool operator==(const EncryptionKey&) const = default;
};

// Settings holds one typed field per configuration variable. Fields are
// grouped by meaning, not packed: there is one Settings per process.
struct Settings {  // NOLINT(clang-analyzer-optin.performance.Padding)
  // Profile and secrets.
  AppEnv app_env = AppEnv::development;
  std::string secret_key;             // SECRET_KEY; empty when unset outside development/test
  bool secret_key_generated = false;  // true: random per-process key, log a warning
  bool debug = false;

  // Listener and server limits.
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;
  int workers = 1;            // load(): number of cores
  std::string tls_cert_file;  // TLS_CERT_FILE and TLS_KEY_FILE: both or neither
  std::string tls_key_file;
  int max_connections = 10000;
  int max_connections_per_client = 256;  // per client address; 503 beyond (trusted proxies exempt)
  int max_in_flight = 512;               // requests being read, queued or handled; 503 beyond
  std::int64_t max_header_bytes = 16384;
  std::int64_t max_uri_bytes = 8192;
  std::int64_t max_body_bytes = 1048576;
  int read_timeout_ms = 10000;
  int idle_timeout_ms = 60000;
  int handler_timeout_ms = 30000;
  int shutdown_grace_ms = 10000;

  // Database and cache.
  std::string database_url = "sqlite:///./data/keel.db";
  std::optional<std::string> database_read_url;
  int database_pool_size = 2;  // load(): cores × 2
  int database_timeout_ms = 5000;
  std::optional<std::string> redis_url;
  int redis_timeout_ms = 200;

  // HTTP edge: origins, hosts, proxies, HTTPS.
  std::vector<std::string> cors_origins;
  std::vector<std::string> trusted_hosts;  // load(): localhost,127.0.0.1 in development/test
  std::vector<std::string> trusted_proxies;
  bool force_https = false;

  // Authentication and abuse protection.
  int access_token_ttl = 900;       // seconds
  int refresh_token_ttl = 1209600;  // seconds
  bool rate_limit_enabled = true;
  int rate_limit_per_minute = 600;
  int rate_limit_auth_per_minute = 20;
  int login_max_failures = 5;
  int login_lockout_seconds = 60;
  int password_min_entropy_bits = 20;

  // Uploads and email.
  std::string upload_dir = "./data/uploads";
  std::string outbox_dir = "./data/outbox";  // emails as .eml files when smtp_url is unset
  std::int64_t upload_max_bytes = 10485760;
  std::vector<std::string> upload_allowed_types = {"image/png",  "image/jpeg",      "image/gif",
                                                   "image/webp", "application/pdf", "text/plain"};
  std::optional<std::string> smtp_url;  // unset: emails go to the outbox folder
  std::string email_from = "Keel <no-reply@localhost>";

  // Observability and docs.
  LogLevel log_level = LogLevel::info;
  LogFormat log_format = LogFormat::json;
  bool docs_enabled = true;
  bool docs_public = false;  // production serves docs only when this is true
  bool metrics_enabled = true;
  std::optional<std::string> metrics_token;

  // Data at rest, retention and jobs.
  std::vector<EncryptionKey> data_encryption_keys;  // first is current
  bool data_encryption_keys_generated = false;      // true: random per-process key
  int retention_audit_days = 365;
  int retention_jobs_days = 30;
  int job_workers = 2;

  // Outgoing webhooks (docs/webhooks.md).
  bool webhook_allow_private_targets = false;  // true: loopback/private/link-local targets allowed (tests, labs)
  bool webhook_allow_http = false;             // true: http:// endpoints allowed besides https://
};

}  // namespace keel::config
