// keel/security/access_token.hpp — OAuth2 access tokens as JWTs (RFC 9068, RFC 8725), HS256 only.
//
// One algorithm, fixed at construction: the verifier never reads `alg` to
// choose how to verify, so `none` or an RS256/HS256 confusion cannot work.
// The key is the UTF-8 bytes of SECRET_KEY, so any standard JWT library
// given the same secret verifies a Keel token.
//
//   AccessTokenCodec codec({.secret = settings.secret_key, .issuer = "keel", .audience = "keel-api",
//                           .ttl = std::chrono::seconds(900)});
//   auto issued = codec.issue("user-id", {"profile", "items:read"}, "session-id", unix_now());
//   auto verified = codec.verify(issued.token, unix_now());
//   if (verified.problem == TokenProblem::none) use(verified.claims->subject);
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/security/digest.hpp"

namespace keel::security {

// AccessTokenConfig fixes everything a token is issued with and checked against.
struct AccessTokenConfig {
  std::string secret;               // HMAC key (UTF-8 bytes of SECRET_KEY)
  std::string issuer;               // `iss` written and required
  std::string audience;             // `aud` written and required
  std::chrono::seconds ttl{900};    // exp - iat
  std::chrono::seconds leeway{30};  // clock skew tolerated on exp / nbf / iat
};

// AccessClaims is what a verified token says.
struct AccessClaims {
  std::string subject;              // `sub`: the user id
  std::string token_id;             // `jti`: unique per token (denylist key)
  std::string session_id;           // `sid`: the refresh-token family the token was issued from ("" if none)
  std::vector<std::string> scopes;  // `scope`, split on spaces
  std::int64_t issued_at = 0;       // `iat`, Unix seconds
  std::int64_t expires_at = 0;      // `exp`, Unix seconds
};

// IssuedToken is a freshly signed token and the claims it carries.
struct IssuedToken {
  std::string token;
  AccessClaims claims;
};

// TokenProblem says why a token was refused (for logs and metrics; clients
// all get the same 401 invalid_token).
enum class TokenProblem {
  none,
  malformed,      // over 8 KiB, not three unpadded base64url parts of JSON objects, a `crit`
                  // header, or a claim missing/mistyped (NumericDates must be whole seconds)
  bad_algorithm,  // header alg is not HS256 (including "none")
  bad_type,       // header typ is not "at+jwt" / "application/at+jwt" (any case)
  bad_signature,
  bad_issuer,
  bad_audience,   // aud (string or array) does not contain ours
  expired,        // exp + leeway <= now
  not_yet_valid,  // nbf or iat later than now + leeway
};

// VerifiedToken holds the claims when problem == none.
struct VerifiedToken {
  TokenProblem problem = TokenProblem::malformed;
  std::optional<AccessClaims> claims;
};

// to_string names a problem ("expired", "bad_signature", ...).
std::string_view to_string(TokenProblem problem);

// AccessTokenCodec issues and verifies access tokens. Immutable after
// construction, so any number of threads may use one instance; the HMAC key
// is prepared once here rather than on every issue/verify.
class AccessTokenCodec {
 public:
  explicit AccessTokenCodec(AccessTokenConfig config);

  // issue signs a token for `subject` with `scopes` (space-joined into
  // `scope`, so no scope may contain a space), a fresh random jti (128 bits),
  // iat = now, exp = now + ttl; `sid` is written only when session_id is non-empty.
  IssuedToken issue(std::string_view subject, const std::vector<std::string>& scopes,
                    std::string_view session_id, std::int64_t now) const;
  // verify checks alg, typ, the signature (constant time, before any claim is
  // read), then iss, aud, exp, nbf, iat. sub and jti must be non-empty
  // strings; scope, when present, a string (absent = no scopes).
  VerifiedToken verify(std::string_view token, std::int64_t now) const;

  const AccessTokenConfig& config() const { return config_; }

 private:
  AccessTokenConfig config_;
  HmacSha256 mac_;  // keyed with config_.secret
};

// unix_now returns the current wall-clock time in Unix seconds.
std::int64_t unix_now();

}  // namespace keel::security
