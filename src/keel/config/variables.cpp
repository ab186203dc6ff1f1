#include "keel/config/variables.hpp"

#include <algorithm>
#include <array>

namespace keel::config {
namespace {

using K = VariableKind;
constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;
constexpr std::int64_t kGiB = 1024 * kMiB;

// Bounds are chosen to catch unit mistakes (seconds typed into a *_MS
// variable, bytes typed as megabytes) while leaving every realistic
// deployment inside the range.
constexpr std::array kVariables = {
    // Where the rest comes from (read by process_environment, not load).
    VariableSpec{"KEEL_ENV_FILE", K::text, false, 0, 0, "./.env",
                 ".env file to read; variables already in the environment win"},
    // Profile and secrets.
    VariableSpec{"APP_ENV", K::choice, false, 0, 0, "development",
                 "profile: development, test, staging or production"},
    VariableSpec{"SECRET_KEY", K::secret, true, 0, 0, "",
                 "token signing key, at least 32 bytes (generated per process in development/test)"},
    VariableSpec{"DEBUG", K::boolean, false, 0, 0, "false",
                 "verbose errors and logging, for development only"},
    // Listener and server limits.
    VariableSpec{"HOST", K::text, false, 0, 0, "127.0.0.1", "listen address"},
    VariableSpec{"PORT", K::integer, false, 0, 65535, "8000", "TCP port to listen on (0 = any free port)"},
    VariableSpec{"WORKERS", K::integer, false, 1, 1024, "", "server threads (default: number of cores)"},
    VariableSpec{"TLS_CERT_FILE", K::text, false, 0, 0, "",
                 "PEM certificate chain; Keel terminates TLS itself when set (with TLS_KEY_FILE)"},
    VariableSpec{"TLS_KEY_FILE", K::text, false, 0, 0, "", "PEM private key for TLS_CERT_FILE"},
    VariableSpec{"MAX_CONNECTIONS", K::integer, false, 1, 1000000, "10000",
                 "open connections accepted at once"},
    VariableSpec{"MAX_CONNECTIONS_PER_CLIENT", K::integer, false, 1, 1000000, "256",
                 "open connections from one client address (TRUSTED_PROXIES are exempt)"},
    VariableSpec{"MAX_IN_FLIGHT", K::integer, false, 1, 1000000, "512",
                 "requests being read or handled at once (503 above it; /health, /metrics exempt)"},
    VariableSpec{"MAX_HEADER_BYTES", K::integer, false, 1 * kKiB, 1 * kMiB, "16384",
                 "request line plus headers cap (431 above it)"},
    VariableSpec{"MAX_URI_BYTES", K::integer, false, 256, 64 * kKiB, "8192",
                 "request target cap (414 above it)"},
    VariableSpec{"MAX_BODY_BYTES", K::integer, false, 1 * kKiB, 100 * kMiB, "1048576",
                 "request body cap for non-upload requests (413 above it)"},
    VariableSpec{"READ_TIMEOUT_MS", K::integer, false, 100, 600000, "10000",
                 "time allowed to receive a whole request"},
    VariableSpec{"IDLE_TIMEOUT_MS", K::integer, false, 100, 3600000, "60000",
                 "keep-alive connection idle limit"},
    VariableSpec{"HANDLER_TIMEOUT_MS", K::integer, false, 100, 600000, "30000",
                 "time a handler may run before a 503"},
    VariableSpec{"SHUTDOWN_GRACE_MS", K::integer, false, 0, 600000, "10000",
                 "on SIGTERM, time allowed for in-flight requests and jobs"},
    // Database and cache.
    VariableSpec{"DATABASE_URL", K::url, true, 0, 0, "sqlite:///./data/keel.db",
                 "sqlite:///path.db or postgresql://user:pass@host:port/db?sslmode=verify-full"},
    VariableSpec{"DATABASE_READ_URL", K::url, true, 0, 0, "",
                 "optional read replica for read-only queries (same forms as DATABASE_URL)"},
    VariableSpec{"DATABASE_POOL_SIZE", K::integer, false, 1, 1000, "",
                 "database connections per process (default: cores x 2)"},
    VariableSpec{"DATABASE_TIMEOUT_MS", K::integer, false, 100, 600000, "5000",
                 "connection acquire and statement timeout"},
    VariableSpec{"REDIS_URL", K::url, true, 0, 0, "",
                 "redis://[[user]:password@]host:port/db; shared rate limits and revocation (unset: in-memory)"},
    VariableSpec{"REDIS_TIMEOUT_MS", K::integer, false, 10, 10000, "200",
                 "Redis connect and command timeout"},
    // HTTP edge.
    VariableSpec{"CORS_ORIGINS", K::list, false, 0, 0, "",
                 "comma-separated exact origins allowed by CORS (empty: CORS off)"},
    VariableSpec{"TRUSTED_HOSTS", K::list, false, 0, 0, "localhost,127.0.0.1",
                 "comma-separated host names accepted in Host (default only in development/test)"},
    VariableSpec{"TRUSTED_PROXIES", K::list, false, 0, 0, "",
                 "comma-separated proxy IPs or CIDRs whose X-Forwarded-* headers are believed"},
    VariableSpec{"FORCE_HTTPS", K::boolean, false, 0, 0, "false",
                 "redirect or refuse plain HTTP (production needs this, TLS files or a trusted proxy)"},
    // Authentication and abuse protection.
    VariableSpec{"ACCESS_TOKEN_TTL", K::integer, false, 300, 1800, "900", "access token lifetime, seconds"},
    VariableSpec{"REFRESH_TOKEN_TTL", K::integer, false, 3600, 7776000, "1209600",
                 "refresh token lifetime, seconds"},
    VariableSpec{"RATE_LIMIT_ENABLED", K::boolean, false, 0, 0, "true", "rate limiting master switch"},
    VariableSpec{"RATE_LIMIT_PER_MINUTE", K::integer, false, 1, 1000000000, "600",
                 "per-client budget for ordinary endpoints"},
    VariableSpec{"RATE_LIMIT_AUTH_PER_MINUTE", K::integer, false, 1, 1000000000, "20",
                 "per-client budget for /api/v1/auth/*"},
    VariableSpec{"LOGIN_MAX_FAILURES", K::integer, false, 1, 100, "5", "failed logins before throttling"},
    VariableSpec{"LOGIN_LOCKOUT_SECONDS", K::integer, false, 1, 86400, "60",
                 "first lockout length, seconds (grows on repeat)"},
    VariableSpec{"PASSWORD_MIN_ENTROPY_BITS", K::integer, false, 0, 128, "20",
                 "zxcvbn strength floor for new passwords, bits"},
    // Uploads and email.
    VariableSpec{"UPLOAD_DIR", K::text, false, 0, 0, "./data/uploads", "attachment storage folder"},
    VariableSpec{"OUTBOX_DIR", K::text, false, 0, 0, "./data/outbox",
                 "where emails are written as .eml files when SMTP_URL is unset"},
    VariableSpec{"UPLOAD_MAX_BYTES", K::integer, false, 1 * kKiB, 5 * kGiB, "10485760",
                 "attachment size cap"},
    VariableSpec{"UPLOAD_ALLOWED_TYPES", K::list, false, 0, 0,
                 "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain",
                 "comma-separated exact MIME types accepted for attachments"},
    VariableSpec{"SMTP_URL", K::url, true, 0, 0, "",
                 "smtp://user:pass@host:port or smtps://; unset: emails go to the outbox folder"},
    VariableSpec{"EMAIL_FROM", K::text, false, 0, 0, "Keel <no-reply@localhost>", "sender of outgoing email"},
    // Observability and docs.
    VariableSpec{"LOG_LEVEL", K::choice, false, 0, 0, "info", "debug, info, warning (or warn), error"},
    VariableSpec{"LOG_FORMAT", K::choice, false, 0, 0, "json", "json (JSON lines) or text"},
    VariableSpec{"DOCS_ENABLED", K::boolean, false, 0, 0, "true", "serve /docs, /redoc and /openapi.json"},
    VariableSpec{"DOCS_PUBLIC", K::boolean, false, 0, 0, "false",
                 "allow docs in staging/production (the production audit fails without it)"},
    VariableSpec{"METRICS_ENABLED", K::boolean, false, 0, 0, "true", "serve /metrics"},
    VariableSpec{"METRICS_TOKEN", K::secret, true, 0, 0, "",
                 "bearer token required by /metrics (required in staging/production)"},
    // Data at rest, retention and jobs.
    VariableSpec{"DATA_ENCRYPTION_KEYS", K::secret, true, 0, 0, "",
                 "kid:base64key,... (32-byte keys, first is current; generated in development/test)"},
    VariableSpec{"RETENTION_AUDIT_DAYS", K::integer, false, 1, 3650, "365", "audit log retention, days"},
    VariableSpec{"RETENTION_JOBS_DAYS", K::integer, false, 1, 3650, "30",
                 "dead jobs retention, days (succeeded jobs go after 1 day)"},
    VariableSpec{"JOB_WORKERS", K::integer, false, 0, 256, "2",
                 "background job threads per process (0: this process runs no jobs)"},
    // Outgoing webhooks.
    VariableSpec{"WEBHOOK_ALLOW_PRIVATE_TARGETS", K::boolean, false, 0, 0, "false",
                 "allow webhook endpoints on loopback, private and link-local addresses (SSRF guard off)"},
    VariableSpec{"WEBHOOK_ALLOW_HTTP", K::boolean, false, 0, 0, "false",
                 "allow http:// webhook endpoints (https:// only otherwise)"},
};

}  // namespace

std::span<const VariableSpec> variables() { return kVariables; }

const VariableSpec* find_variable(std::string_view name) {
  const auto* it = std::find_if(kVariables.begin(), kVariables.end(),
                                [name](const VariableSpec& v) { return v.name == name; });
  return it == kVariables.end() ? nullptr : &*it;
}

}  // namespace keel::config
