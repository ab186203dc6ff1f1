// keel/security/digest.hpp — hashes for high-entropy secrets stored at rest, HMAC, base64url.
//
// Refresh tokens, API keys, reset and verification tokens carry ≥ 256 random
// bits, so a fast hash is enough (no brute force can reach them); the
// database stores only the digest and looks the secret up by it.
//
//   std::string stored = sha256_hex(refresh_token);   // 64 lowercase hex characters
//
// A key used for every request (the access-token secret) is prepared once:
//
//   const HmacSha256 mac(secret);                      // once, at start-up
//   auto tag = mac.sign(signing_input);                // per request, any thread
#pragma once

#include <openssl/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace keel::security {

// sha256_hex returns SHA-256(data) as lowercase hex.
std::string sha256_hex(std::string_view data);

// hmac_sha256 returns the raw 32-byte HMAC-SHA-256 of `data` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view data);

// kHmacSha256Size is the length of an HMAC-SHA-256 tag in bytes.
inline constexpr std::size_t kHmacSha256Size = 32;

// HmacSha256 is HMAC-SHA-256 under one key, keyed once: each sign() skips
// fetching the algorithm and deriving the key pads, which hmac_sha256() redoes
// on every call. Copies share the keyed state, which is never modified after
// construction, so any number of threads may sign with one instance.
class HmacSha256 {
 public:
  // HmacSha256 keys a template state with `key`; throws std::runtime_error if OpenSSL cannot.
  explicit HmacSha256(std::string_view key);
  // Copy-only on purpose: a "moved" instance stays usable (it shares the keyed state).
  HmacSha256(const HmacSha256&) = default;
  HmacSha256& operator=(const HmacSha256&) = default;
  ~HmacSha256() = default;

  // sign returns the raw tag of `data` (same bytes as hmac_sha256(key, data)).
  std::array<char, kHmacSha256Size> sign(std::string_view data) const;

 private:
  std::shared_ptr<EVP_MAC_CTX> keyed_;  // template: only ever duplicated, never updated
  std::uint64_t id_;                    // unique per keyed template (names the per-thread working copy)
};

// base64url encodes without padding (RFC 4648 §5).
std::string base64url_encode(std::string_view data);

// base64url_max_decoded_size is how many bytes `text_size` base64url characters decode to at most
// (exactly, for unpadded text of a possible length).
constexpr std::size_t base64url_max_decoded_size(std::size_t text_size) {
  return text_size / 4 * 3 + text_size % 4 * 3 / 4;
}

// base64url_decode accepts unpadded (and padded) base64url; false (and `out` untouched) on any
// other character, an impossible length, or non-zero leftover bits (a second spelling of the same bytes).
bool base64url_decode(std::string_view text, std::string& out);
// base64url_decode (into a caller's buffer) accepts exactly what the overload above accepts and
// returns the number of bytes written to `out`; std::nullopt when the text is refused or `out` is
// shorter than the decoded bytes (base64url_max_decoded_size(text.size()) always suffices). On
// failure the contents of `out` are unspecified.
std::optional<std::size_t> base64url_decode(std::string_view text, std::span<char> out);

}  // namespace keel::security
