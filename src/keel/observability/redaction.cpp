#include "keel/observability/redaction.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

namespace keel::observability {
namespace {

constexpr std::size_t kNoMatch = 0;
// An API key's secret part is at least this long; shorter tails are identifiers.
constexpr std::size_t kMinApiKeySecret = 16;

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool is_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_base64url(char c) noexcept { return is_alnum(c) || c == '-' || c == '_'; }

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// istarts_at compares text[i..] with `word` (given in lower case), ignoring ASCII case.
bool istarts_at(std::string_view text, std::size_t i, std::string_view word) noexcept {
  if (text.size() - i < word.size()) return false;
  for (std::size_t k = 0; k < word.size(); ++k) {
    if (lower(text[i + k]) != word[k]) return false;
  }
  return true;
}

std::size_t skip(std::string_view text, std::size_t i, bool (*pred)(char) noexcept) noexcept {
  while (i < text.size() && pred(text[i])) ++i;
  return i;
}

// Every rule below looks at text[i..]; on a match it appends the replacement to *out (when
// out is non-null) and returns how many input bytes it consumed, else kNoMatch.

std::size_t emit(std::string* out, std::string_view kept, std::size_t consumed) {
  if (out != nullptr) {
    out->append(kept);
    out->append(kRedacted);
  }
  return consumed;
}

// `Bearer <token>`: the token is everything up to whitespace, a quote, comma or semicolon,
// so opaque tokens with unusual characters are hidden whole.
std::size_t match_bearer(std::string_view text, std::size_t i, std::string* out) {
  constexpr std::string_view kWord = "bearer";
  if (!istarts_at(text, i, kWord) || (i > 0 && is_alnum(text[i - 1]))) return kNoMatch;
  std::size_t j = i + kWord.size();
  const std::size_t gap = j;
  while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
  if (j == gap) return kNoMatch;
  const std::size_t token = j;
  while (j < text.size() && !is_space(text[j]) && text[j] != '"' && text[j] != '\'' && text[j] != ',' &&
         text[j] != ';') {
    ++j;
  }
  if (j == token) return kNoMatch;
  return emit(out, text.substr(i, token - i), j - i);
}

// JWT/JWS/JWE: `eyJ` + base64url, then two or more `.segment`s (the last may be empty).
std::size_t match_jwt(std::string_view text, std::size_t i, std::string* out) {
  if (text.compare(i, 3, "eyJ") != 0 || (i > 0 && is_base64url(text[i - 1]))) return kNoMatch;
  std::size_t j = skip(text, i, is_base64url);
  if (j >= text.size() || text[j] != '.') return kNoMatch;
  const std::size_t second = j + 1;
  j = skip(text, second, is_base64url);
  if (j == second || j >= text.size() || text[j] != '.') return kNoMatch;
  while (j < text.size() && text[j] == '.') j = skip(text, j + 1, is_base64url);
  return emit(out, {}, j - i);
}

// Keel API key `keel_<prefix>_<secret>`: the prefix is public (shown in listings), so it
// stays; the secret goes.
std::size_t match_api_key(std::string_view text, std::size_t i, std::string* out) {
  constexpr std::string_view kWord = "keel_";
  if (text.compare(i, kWord.size(), kWord) != 0 || (i > 0 && is_base64url(text[i - 1]))) {
    return kNoMatch;
  }
  const std::size_t prefix = i + kWord.size();
  std::size_t j = skip(text, prefix, is_alnum);
  if (j == prefix || j >= text.size() || text[j] != '_') return kNoMatch;
  const std::size_t secret = j + 1;
  j = skip(text, secret, is_base64url);
  if (j - secret < kMinApiKeySecret) return kNoMatch;
  return emit(out, text.substr(i, secret - i), j - i);
}

// Names whose value is secret in `name=value` and `"name": "value"` forms. The match is on
// a substring of the name, so refresh_token, client_secret and new_password are covered.
constexpr std::array<std::string_view, 6> kSecretParams{"password", "passwd",  "secret",
                                                        "token",    "api_key", "apikey"};

bool is_name_char(char c) noexcept { return is_base64url(c); }

// skip_json_quote accepts `"` or, inside already-escaped JSON, `\"`; returns the index after
// it or npos.
std::size_t skip_quote(std::string_view text, std::size_t j, bool escaped) noexcept {
  if (escaped) {
    return (text.compare(j, 2, "\\\"") == 0) ? j + 2 : std::string_view::npos;
  }
  return (j < text.size() && text[j] == '"') ? j + 1 : std::string_view::npos;
}

std::size_t match_param(std::string_view text, std::size_t i, std::string* out) {
  std::size_t j = std::string_view::npos;
  for (std::string_view name : kSecretParams) {
    if (istarts_at(text, i, name)) {
      j = i + name.size();
      break;
    }
  }
  if (j == std::string_view::npos) return kNoMatch;
  j = skip(text, j, is_name_char);
  if (j >= text.size()) return kNoMatch;

  if (text[j] == '=') {  // query string / form body: value runs to `&` or whitespace
    const std::size_t value = j + 1;
    std::size_t end = value;
    while (end < text.size() && text[end] != '&' && !is_space(text[end])) ++end;
    if (end == value) return kNoMatch;
    return emit(out, text.substr(i, value - i), end - i);
  }

  // JSON member (possibly inside escaped JSON): "name" : "value"
  const bool escaped = text[j] == '\\';
  std::size_t k = skip_quote(text, j, escaped);
  if (k == std::string_view::npos) return kNoMatch;
  k = skip(text, k, is_space);
  if (k >= text.size() || text[k] != ':') return kNoMatch;
  k = skip(text, k + 1, is_space);
  const std::size_t value = skip_quote(text, k, escaped);
  if (value == std::string_view::npos) return kNoMatch;
  std::size_t end = value;
  if (escaped) {
    end = text.find("\\\"", value);
  } else {
    while (end < text.size() && text[end] != '"') end += (text[end] == '\\') ? 2 : 1;
  }
  end = std::min(end, text.size());
  if (end == value) return kNoMatch;
  return emit(out, text.substr(i, value - i), end - i);
}

// URL userinfo `scheme://user:password@host`: the last `@` before the path ends the userinfo,
// as URL parsers read unencoded `@` in passwords.
std::size_t match_userinfo(std::string_view text, std::size_t i, std::string* out) {
  if (text.compare(i, 3, "://") != 0) return kNoMatch;
  const std::size_t start = i + 3;
  std::size_t end = start;
  std::size_t at = std::string_view::npos;
  for (; end < text.size(); ++end) {
    const char c = text[end];
    if (c == '/' || c == '?' || c == '#' || c == '"' || c == '\'' || c == '<' || c == '>' || is_space(c)) {
      break;
    }
    if (c == '@') at = end;
  }
  if (at == std::string_view::npos) return kNoMatch;
  const std::size_t colon = text.find(':', start);
  if (colon >= at || colon + 1 == at) return kNoMatch;
  if (out != nullptr) {
    out->append(text.substr(i, colon + 1 - i));
    out->append(kRedacted);
    out->push_back('@');
  }
  return at + 1 - i;
}

// kRuleStarts marks the byte pairs a rule can start with ("be", "ey", "ke", "pa", "se",
// "to", "ap", "://"), so the scan tests one bit per byte and rarely branches.
class PairSet {
 public:
  constexpr void add(char first, char second) {
    const std::size_t index = pair_index(first, second);
    bits_[index / 64] |= std::uint64_t{1} << (index % 64);
  }
  constexpr void add_any_case(char first, char second) {
    for (const char f : {first, static_cast<char>(first - 32)}) {
      for (const char s : {second, static_cast<char>(second - 32)}) add(f, s);
    }
  }
  constexpr bool contains(char first, char second) const {
    const std::size_t index = pair_index(first, second);
    return ((bits_[index / 64] >> (index % 64)) & 1U) != 0;
  }

 private:
  static constexpr std::size_t pair_index(char first, char second) {
    return static_cast<std::size_t>(static_cast<unsigned char>(first)) * 256 +
           static_cast<unsigned char>(second);
  }
  std::array<std::uint64_t, 1024> bits_{};
};

constexpr PairSet kRuleStarts = [] {
  PairSet set;
  for (const auto* pair : {"be", "ke", "pa", "se", "to", "ap"}) set.add_any_case(pair[0], pair[1]);
  set.add('e', 'y');  // JWTs start with "eyJ", case-sensitively
  set.add(':', '/');
  return set;
}();

// match_at applies the rule that can start at text[i], if any.
std::size_t match_at(std::string_view text, std::size_t i, std::string* out) {
  if (i + 1 >= text.size() || !kRuleStarts.contains(text[i], text[i + 1])) return kNoMatch;
  switch (lower(text[i])) {
    case 'b': return match_bearer(text, i, out);
    case 'e': return match_jwt(text, i, out);
    case 'k': return match_api_key(text, i, out);
    case ':': return match_userinfo(text, i, out);
    default: return match_param(text, i, out);
  }
}

std::size_t first_match(std::string_view text) {
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (kRuleStarts.contains(text[i], text[i + 1]) && match_at(text, i, nullptr) != kNoMatch) {
      return i;
    }
  }
  return std::string_view::npos;
}

// kKeyStarts marks the byte pairs a sensitive-key word starts with.
constexpr PairSet kKeyStarts = [] {
  PairSet set;
  for (const auto* pair : {"pa", "pr", "se", "to", "au", "ap", "co", "cr"}) {
    set.add_any_case(pair[0], pair[1]);
  }
  return set;
}();

// sensitive_at says whether a sensitive-key word starts at key[i].
bool sensitive_at(std::string_view key, std::size_t i) noexcept {
  if (i + 1 >= key.size() || !kKeyStarts.contains(key[i], key[i + 1])) return false;
  switch (lower(key[i])) {
    case 'p':
      return istarts_at(key, i, "password") || istarts_at(key, i, "passwd") ||
             istarts_at(key, i, "private_key");
    case 's': return istarts_at(key, i, "secret") || istarts_at(key, i, "session");
    case 't': return istarts_at(key, i, "token");
    case 'a':
      return istarts_at(key, i, "authorization") || istarts_at(key, i, "api_key") ||
             istarts_at(key, i, "apikey") || istarts_at(key, i, "api-key");
    case 'c': return istarts_at(key, i, "cookie") || istarts_at(key, i, "credential");
    default: return false;
  }
}

}  // namespace

bool is_sensitive_key(std::string_view key) noexcept {
  if (key.size() == 3 && istarts_at(key, 0, "key")) return true;
  for (std::size_t i = 0; i < key.size(); ++i) {
    if (sensitive_at(key, i)) return true;
  }
  return false;
}

bool has_secret_trigger(std::string_view text) noexcept {
  // match_at with a null output never allocates, so it cannot throw.
  return first_match(text) != std::string_view::npos;
}

std::string redact(std::string_view text) {
  const std::size_t first = first_match(text);
  if (first == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size() + kRedacted.size());
  out.append(text.substr(0, first));
  std::size_t i = first;
  while (i < text.size()) {
    const std::size_t consumed = match_at(text, i, &out);
    if (consumed == kNoMatch) {
      out.push_back(text[i]);
      ++i;
    } else {
      i += consumed;
    }
  }
  return out;
}

}  // namespace keel::observability
