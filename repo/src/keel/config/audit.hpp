// keel/config/audit.hpp — the production rules of SPEC §3, as an audit.
//
// Each rule yields one finding. In staging and production a broken rule is a
// `fail` and blocks startup; in development and test the same rule is only a
// `warn`, so local runs stay convenient but visible. `keel check-config`
// prints render_audit(); the server refuses to start when blocks_startup().
// Findings never contain secret values.
//
//   auto findings = audit(settings);
//   std::cout << render_audit(findings);
//   return blocks_startup(findings) ? kExitConfig : 0;
//
// Rules, in order: secret_key_set, secret_key_length, secret_key_placeholder,
// debug_off, cors_no_wildcard, trusted_hosts_set, database_tls,
// https_enforced, docs_exposure, metrics_protected, encryption_keys, log_level.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "keel/config/settings.hpp"

namespace keel::config {

// Severity is the outcome of one rule.
enum class Severity : std::uint8_t { pass, warn, fail };

// to_string returns "pass", "warn" or "fail".
std::string_view to_string(Severity severity);

// AuditFinding is one rule's outcome with a human explanation.
struct AuditFinding {
  std::string rule;  // stable snake_case id, e.g. "secret_key_length"
  Severity severity = Severity::pass;
  std::string message;
};

// kMinSecretKeyBytes is the shortest SECRET_KEY accepted outside development.
inline constexpr std::size_t kMinSecretKeyBytes = 32;

// audit checks `settings` against every production rule.
std::vector<AuditFinding> audit(const Settings& settings);

// blocks_startup is true when any finding is a fail.
bool blocks_startup(const std::vector<AuditFinding>& findings);

// render_audit prints one aligned line per finding, e.g.
// "PASS  secret_key_length       SECRET_KEY is at least 32 bytes".
std::string render_audit(const std::vector<AuditFinding>& findings);

// looks_like_placeholder is true for well-known example secrets ("changeme",
// "your-secret-key", anything containing "example" or "placeholder", …) and
// for values with fewer than 8 distinct characters ("xxxxxxxx…").
bool looks_like_placeholder(std::string_view secret);

}  // namespace keel::config
