#include "keel/config/audit.hpp"

#include <algorithm>
#include <array>
#include <set>

#include "keel/config/database_url.hpp"

namespace keel::config {
namespace {

constexpr std::size_t kMinDistinctSecretChars = 8;

// Exact (case-insensitive) values copied from tutorials and templates.
constexpr std::array<std::string_view, 16> kPlaceholders = {
    "changeme",        "change-me",     "change_me", "secret",
    "secret-key",      "secret_key",    "secretkey", "your-secret-key",
    "your_secret_key", "yoursecretkey", "password",  "default",
    "development",     "test",          "keel",      "insecure"};

// Fragments long enough that a random key never contains them by chance.
constexpr std::array<std::string_view, 12> kPlaceholderFragments = {
    "changeme",   "change-me",  "change_me",   "example",     "placeholder", "replaceme",
    "replace-me", "replace_me", "your-secret", "your_secret", "yoursecret",  "notsecret"};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
  return out;
}

// Rules report fail in staging/production and warn elsewhere when broken.
class Auditor {
 public:
  explicit Auditor(const Settings& s)
      : broken_(is_production_like(s.app_env) ? Severity::fail : Severity::warn) {}

  void check(std::string_view rule, bool ok, std::string pass_message, std::string broken_message) {
    findings_.push_back({std::string(rule), ok ? Severity::pass : broken_,
                         ok ? std::move(pass_message) : std::move(broken_message)});
  }
  void add(std::string_view rule, Severity severity, std::string message) {
    findings_.push_back({std::string(rule), severity, std::move(message)});
  }
  std::vector<AuditFinding> take() { return std::move(findings_); }

 private:
  Severity broken_;
  std::vector<AuditFinding> findings_;
};

void audit_secret_key(Auditor& a, const Settings& s) {
  if (s.secret_key.empty()) {
    a.check("secret_key_set", false, "", "SECRET_KEY is not set");
  } else {
    a.check("secret_key_set", !s.secret_key_generated, "SECRET_KEY is set",
            "SECRET_KEY is not set; a random per-process key is used (tokens die on restart and differ per "
            "replica)");
  }
  a.check("secret_key_length", s.secret_key.size() >= kMinSecretKeyBytes, "SECRET_KEY is at least 32 bytes",
          "SECRET_KEY is shorter than 32 bytes");
  a.check("secret_key_placeholder", s.secret_key.empty() || !looks_like_placeholder(s.secret_key),
          "SECRET_KEY is not a known placeholder",
          "SECRET_KEY is a known placeholder or too repetitive; generate one with: openssl rand -base64 48");
}

// database_tls_ok: SQLite is local; PostgreSQL needs TLS unless every host is loopback.
bool database_tls_ok(std::string_view url) {
  const auto parsed = parse_database_url(url);
  if (!parsed) return false;
  if (parsed->kind == DatabaseKind::sqlite || sslmode_requires_tls(parsed->sslmode)) return true;
  if (parsed->hosts.empty()) return true;  // libpq's default unix socket
  return std::all_of(parsed->hosts.begin(), parsed->hosts.end(),
                     [](const std::string& h) { return is_loopback_host(h); });
}

void audit_database(Auditor& a, const Settings& s) {
  std::vector<std::string_view> broken;
  if (!database_tls_ok(s.database_url)) broken.emplace_back("DATABASE_URL");
  if (s.database_read_url && !database_tls_ok(*s.database_read_url)) broken.emplace_back("DATABASE_READ_URL");
  std::string names;
  for (std::string_view name : broken) names.append(names.empty() ? "" : " and ").append(name);
  a.check(
      "database_tls", broken.empty(), "database connections are local or require TLS",
      names + " reaches a non-loopback PostgreSQL host without sslmode=require, verify-ca or verify-full");
}

void audit_hosts(Auditor& a, const Settings& s) {
  const auto has_star = [](const std::vector<std::string>& v) {
    return std::find(v.begin(), v.end(), "*") != v.end();
  };
  a.check("cors_no_wildcard", !has_star(s.cors_origins),
          s.cors_origins.empty() ? "CORS is off (CORS_ORIGINS is empty)"
                                 : "CORS_ORIGINS lists exact origins only",
          "CORS_ORIGINS contains *");
  a.check("trusted_hosts_set", !s.trusted_hosts.empty() && !has_star(s.trusted_hosts),
          "TRUSTED_HOSTS lists the accepted host names",
          s.trusted_hosts.empty() ? "TRUSTED_HOSTS is empty" : "TRUSTED_HOSTS contains *");
}

// audit_https passes when HTTPS is enforced directly or by a trusted proxy.
void audit_https(Auditor& a, const Settings& s) {
  std::string how;
  if (s.force_https) {
    how = "FORCE_HTTPS is on";
  } else if (!s.tls_cert_file.empty()) {
    how = "Keel terminates TLS itself (TLS_CERT_FILE)";
  } else if (!s.trusted_proxies.empty()) {
    how = "a trusted TLS-terminating proxy is configured (TRUSTED_PROXIES)";
  }
  a.check("https_enforced", !how.empty(), how,
          "HTTPS is not enforced: set FORCE_HTTPS=true, TLS_CERT_FILE and TLS_KEY_FILE, or TRUSTED_PROXIES");
}

void audit_exposure(Auditor& a, const Settings& s) {
  a.check("docs_exposure", !s.docs_enabled || s.docs_public,
          s.docs_enabled ? "API docs are public by choice (DOCS_PUBLIC=true)" : "API docs are disabled",
          "API docs are served without DOCS_PUBLIC=true; set DOCS_ENABLED=false or DOCS_PUBLIC=true");
  a.check("metrics_protected", !s.metrics_enabled || s.metrics_token.has_value(),
          s.metrics_enabled ? "/metrics requires METRICS_TOKEN" : "/metrics is disabled",
          "/metrics is served without METRICS_TOKEN; set METRICS_TOKEN or METRICS_ENABLED=false");
}

void audit_encryption(Auditor& a, const Settings& s) {
  if (s.data_encryption_keys.empty()) {
    a.check("encryption_keys", false, "", "DATA_ENCRYPTION_KEYS is not set");
    return;
  }
  a.check("encryption_keys", !s.data_encryption_keys_generated,
          "DATA_ENCRYPTION_KEYS is set (current key id " + s.data_encryption_keys.front().id + ")",
          "DATA_ENCRYPTION_KEYS is not set; a random per-process key is used (encrypted data is lost on "
          "restart)");
}

}  // namespace

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::pass: return "pass";
    case Severity::warn: return "warn";
    case Severity::fail: return "fail";
  }
  return "fail";
}

bool looks_like_placeholder(std::string_view secret) {
  const std::string value = lower(secret);
  if (std::find(kPlaceholders.begin(), kPlaceholders.end(), value) != kPlaceholders.end()) return true;
  for (std::string_view fragment : kPlaceholderFragments) {
    if (value.find(fragment) != std::string::npos) return true;
  }
  return std::set<char>(secret.begin(), secret.end()).size() < kMinDistinctSecretChars;
}

std::vector<AuditFinding> audit(const Settings& s) {
  Auditor a(s);
  audit_secret_key(a, s);
  a.check("debug_off", !s.debug, "DEBUG is off", "DEBUG is on (error responses and logs reveal internals)");
  audit_hosts(a, s);
  audit_database(a, s);
  audit_https(a, s);
  audit_exposure(a, s);
  audit_encryption(a, s);
  if (s.log_level == LogLevel::debug) {
    a.add("log_level", Severity::warn, "LOG_LEVEL is debug (verbose; keep it for troubleshooting only)");
  } else {
    a.add("log_level", Severity::pass, "LOG_LEVEL is " + std::string(to_string(s.log_level)));
  }
  return a.take();
}

bool blocks_startup(const std::vector<AuditFinding>& findings) {
  return std::any_of(findings.begin(), findings.end(),
                     [](const AuditFinding& f) { return f.severity == Severity::fail; });
}

std::string render_audit(const std::vector<AuditFinding>& findings) {
  std::size_t width = 0;
  for (const AuditFinding& f : findings) width = std::max(width, f.rule.size());
  std::string out;
  for (const AuditFinding& f : findings) {
    std::string label(to_string(f.severity));
    std::transform(label.begin(), label.end(), label.begin(),
                   [](char c) { return static_cast<char>(c - 'a' + 'A'); });
    out.append(label).append("  ").append(f.rule).append(width - f.rule.size(), ' ').append("  ");
    out.append(f.message).push_back('\n');
  }
  return out;
}

}  // namespace keel::config
