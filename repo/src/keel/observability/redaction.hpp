// keel/observability/redaction.hpp — scrubbing secrets out of text before it is logged.
//
// The logger applies both checks to every line it writes, so no caller can forget them;
// they are public for other places that echo untrusted text (e.g. a path in an access log).
//
//   is_sensitive_key("X-Api-Key");                   // true: the whole value is hidden
//   redact("GET /cb?code=1&access_token=abc");       // "GET /cb?code=1&access_token=[REDACTED]"
//   redact("postgresql://app:pw@db/keel");           // "postgresql://app:[REDACTED]@db/keel"
//
// Value rules (redact): `Bearer <token>`; JWTs (`eyJ…` with at least three dot-separated
// base64url segments); Keel API keys `keel_<prefix>_<secret>` (secret of 16+ characters, so
// identifiers such as `keel_build_info` survive); `name=value` and `"name": "value"` where
// the name contains password, passwd, secret, token, api_key or apikey (value up to the
// next `&` or whitespace, or the closing quote); URL userinfo passwords `scheme://u:p@host`.
#pragma once

#include <string>
#include <string_view>

namespace keel::observability {

// kRedacted replaces every hidden value.
inline constexpr std::string_view kRedacted = "[REDACTED]";

// is_sensitive_key says whether a field/header name carries a secret by its name alone:
// it contains (ignoring case) password, passwd, secret, token, authorization, cookie,
// api_key, apikey, api-key, session, credential or private_key, or it is exactly "key".
bool is_sensitive_key(std::string_view key) noexcept;

// has_secret_trigger is the fast pre-check: false guarantees redact(text) == text.
bool has_secret_trigger(std::string_view text) noexcept;

// redact returns `text` with every secret matched by the value rules replaced.
std::string redact(std::string_view text);

}  // namespace keel::observability
