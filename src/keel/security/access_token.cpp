#include "keel/security/access_token.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <span>
#include <utility>

#include "keel/security/constant_time.hpp"
#include "keel/security/digest.hpp"
#include "keel/security/random.hpp"

namespace keel::security {
namespace {

namespace json = boost::json;

// A bearer token rides in a header; anything larger is abuse, refused before any decoding.
constexpr std::size_t kMaxTokenBytes = std::size_t{8} * 1024;
// kEncodedHeader is base64url({"alg":"HS256","typ":"at+jwt"}), the header every Keel token carries.
// verify() takes it without decoding: it is exactly a header that all the header checks accept.
constexpr std::string_view kEncodedHeader = "eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9";

// decode_part decodes one JWT part into `scratch` (sized for any part of the token) and views the bytes.
std::optional<std::string_view> decode_part(std::string_view part, std::string& scratch) {
  // JWS forbids padding (RFC 7515 §2), so only the bare base64url alphabet is accepted.
  if (part.find('=') != std::string_view::npos) return std::nullopt;
  const auto size = base64url_decode(part, std::span<char>(scratch));
  if (!size) return std::nullopt;
  return std::string_view(scratch.data(), *size);
}

// parse_object decodes one base64url JWT part holding a JSON object, allocating from `storage`.
std::optional<json::object> parse_object(std::string_view part, std::string& scratch,
                                         const json::storage_ptr& storage) {
  if (part.empty()) return std::nullopt;
  const auto text = decode_part(part, scratch);
  if (!text) return std::nullopt;
  boost::system::error_code error;
  json::value value = json::parse(*text, error, storage);
  if (error || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

// iequals compares ASCII case-insensitively (media types are case-insensitive).
bool iequals(std::string_view a, std::string_view b) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

// string_claim is a claim that must be a string when present.
enum class Presence { missing, wrong_type, present };
Presence string_claim(const json::object& claims, std::string_view name, std::string& out) {
  const auto* value = claims.if_contains(name);
  if (value == nullptr) return Presence::missing;
  if (!value->is_string()) return Presence::wrong_type;
  out = value->as_string();
  return Presence::present;
}

// time_claim reads a NumericDate; Keel only issues whole seconds, so fractions are refused.
Presence time_claim(const json::object& claims, std::string_view name, std::int64_t& out) {
  const auto* value = claims.if_contains(name);
  if (value == nullptr) return Presence::missing;
  if (value->is_int64()) {
    out = value->as_int64();
    return Presence::present;
  }
  if (value->is_uint64() &&
      value->as_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    out = static_cast<std::int64_t>(value->as_uint64());
    return Presence::present;
  }
  return Presence::wrong_type;
}

// saturating_add keeps "now + leeway" and "exp + leeway" meaningful for absurd claim values.
std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
}

// audience_matches accepts `aud` as one string or an array of strings (RFC 7519 §4.1.3).
std::optional<bool> audience_matches(const json::value& aud, std::string_view ours) {
  if (aud.is_string()) return aud.as_string() == ours;
  if (!aud.is_array()) return std::nullopt;
  bool found = false;
  for (const auto& entry : aud.as_array()) {
    if (!entry.is_string()) return std::nullopt;
    found = found || entry.as_string() == ours;
  }
  return found;
}

std::vector<std::string> split_scopes(std::string_view scope) {
  std::vector<std::string> scopes;
  while (!scope.empty()) {
    const auto end = scope.find(' ');
    if (end != 0) scopes.emplace_back(scope.substr(0, end));
    if (end == std::string_view::npos) break;
    scope.remove_prefix(end + 1);
  }
  return scopes;
}

VerifiedToken refused(TokenProblem problem) { return {.problem = problem, .claims = std::nullopt}; }

}  // namespace

std::string_view to_string(TokenProblem problem) {
  switch (problem) {
    case TokenProblem::none: return "none";
    case TokenProblem::malformed: return "malformed";
    case TokenProblem::bad_algorithm: return "bad_algorithm";
    case TokenProblem::bad_type: return "bad_type";
    case TokenProblem::bad_signature: return "bad_signature";
    case TokenProblem::bad_issuer: return "bad_issuer";
    case TokenProblem::bad_audience: return "bad_audience";
    case TokenProblem::expired: return "expired";
    case TokenProblem::not_yet_valid: return "not_yet_valid";
  }
  return "unknown";
}

AccessTokenCodec::AccessTokenCodec(AccessTokenConfig config)
    : config_(std::move(config)), mac_(config_.secret) {}

IssuedToken AccessTokenCodec::issue(std::string_view subject, const std::vector<std::string>& scopes,
                                    std::string_view session_id, std::int64_t now) const {
  IssuedToken issued;
  auto& claims = issued.claims;
  claims.subject = subject;
  claims.token_id = random_token(16);  // 128 random bits: unique without coordination
  claims.session_id = session_id;
  claims.scopes = scopes;
  claims.issued_at = now;
  claims.expires_at = saturating_add(now, config_.ttl.count());

  std::string scope;
  for (const auto& name : scopes) {
    if (!scope.empty()) scope.push_back(' ');
    scope += name;
  }
  json::object payload;
  payload["iss"] = config_.issuer;
  payload["aud"] = config_.audience;
  payload["sub"] = claims.subject;
  payload["iat"] = claims.issued_at;
  payload["exp"] = claims.expires_at;
  payload["jti"] = claims.token_id;
  payload["scope"] = scope;
  if (!claims.session_id.empty()) payload["sid"] = claims.session_id;

  std::string signing_input(kEncodedHeader);
  signing_input.push_back('.');
  signing_input += base64url_encode(json::serialize(payload));
  const auto tag = mac_.sign(signing_input);
  const std::string signature = base64url_encode(std::string_view(tag.data(), tag.size()));
  issued.token = std::move(signing_input);
  issued.token.push_back('.');
  issued.token += signature;
  return issued;
}

VerifiedToken AccessTokenCodec::verify(std::string_view token, std::int64_t now) const {
  if (token.size() > kMaxTokenBytes) return refused(TokenProblem::malformed);
  const auto first_dot = token.find('.');
  if (first_dot == std::string_view::npos) return refused(TokenProblem::malformed);
  const auto second_dot = token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos || token.find('.', second_dot + 1) != std::string_view::npos) {
    return refused(TokenProblem::malformed);
  }
  const auto signing_input = token.substr(0, second_dot);
  const auto header_part = token.substr(0, first_dot);
  const auto payload_part = token.substr(first_dot + 1, second_dot - first_dot - 1);
  const auto signature_part = token.substr(second_dot + 1);

  // Every decoded part fits in one buffer sized for the whole token: one allocation per verify.
  std::string scratch(base64url_max_decoded_size(token.size()), '\0');
  // Parsed JSON lives on the stack unless a token is unusually large (then the heap takes over).
  std::array<unsigned char, 2048> json_buffer;
  json::monotonic_resource json_memory(json_buffer.data(), json_buffer.size());
  const json::storage_ptr storage(&json_memory);

  // Keel's own header needs no parsing; any other spelling goes through every check.
  if (header_part != kEncodedHeader) {
    const auto header = parse_object(header_part, scratch, storage);
    if (!header) return refused(TokenProblem::malformed);
    // The algorithm is fixed; `alg` is only checked, never used to pick a verifier (RFC 8725 §3.1).
    const auto* alg = header->if_contains("alg");
    if (alg == nullptr || !alg->is_string() || alg->as_string() != "HS256")
      return refused(TokenProblem::bad_algorithm);
    // Explicit typing keeps other JWT kinds from passing as access tokens (RFC 8725 §3.11, RFC 9068 §4).
    const auto* typ = header->if_contains("typ");
    if (typ == nullptr || !typ->is_string() ||
        !(iequals(typ->as_string(), "at+jwt") || iequals(typ->as_string(), "application/at+jwt"))) {
      return refused(TokenProblem::bad_type);
    }
    // A critical extension we do not understand must make the token invalid (RFC 7515 §4.1.11).
    if (header->contains("crit")) return refused(TokenProblem::malformed);
  }

  // A signature of the wrong length cannot match, but its spelling still tells malformed from forged.
  const auto signature = decode_part(signature_part, scratch);
  if (!signature) return refused(TokenProblem::malformed);
  const auto expected = mac_.sign(signing_input);
  if (!constant_time_equal(*signature, std::string_view(expected.data(), expected.size()))) {
    return refused(TokenProblem::bad_signature);
  }

  // From here on the payload is known to come from a holder of the secret.
  const auto payload = parse_object(payload_part, scratch, storage);
  if (!payload) return refused(TokenProblem::malformed);
  AccessClaims claims;
  std::string issuer;
  std::string scope;
  std::int64_t not_before = 0;
  if (string_claim(*payload, "iss", issuer) != Presence::present ||
      string_claim(*payload, "sub", claims.subject) != Presence::present || claims.subject.empty() ||
      string_claim(*payload, "jti", claims.token_id) != Presence::present || claims.token_id.empty() ||
      string_claim(*payload, "scope", scope) == Presence::wrong_type ||
      string_claim(*payload, "sid", claims.session_id) == Presence::wrong_type ||
      time_claim(*payload, "exp", claims.expires_at) != Presence::present ||
      time_claim(*payload, "iat", claims.issued_at) != Presence::present) {
    return refused(TokenProblem::malformed);
  }
  const auto nbf = time_claim(*payload, "nbf", not_before);
  if (nbf == Presence::wrong_type) return refused(TokenProblem::malformed);
  const auto* aud = payload->if_contains("aud");
  if (aud == nullptr) return refused(TokenProblem::malformed);
  const auto audience_ok = audience_matches(*aud, config_.audience);
  if (!audience_ok) return refused(TokenProblem::malformed);

  if (issuer != config_.issuer) return refused(TokenProblem::bad_issuer);
  if (!*audience_ok) return refused(TokenProblem::bad_audience);
  const std::int64_t leeway = config_.leeway.count();
  if (saturating_add(claims.expires_at, leeway) <= now) return refused(TokenProblem::expired);
  const std::int64_t latest = saturating_add(now, leeway);
  if (claims.issued_at > latest || (nbf == Presence::present && not_before > latest)) {
    return refused(TokenProblem::not_yet_valid);
  }
  claims.scopes = split_scopes(scope);
  return {.problem = TokenProblem::none, .claims = std::move(claims)};
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace keel::security
