// keel/security/digest.hpp — hashes for high-entropy secrets stored at rest.
//
// Refresh tokens, API keys, reset and verification tokens carry ≥ 256 random
// bits, so a fast hash is enough (no brute force can reach them); the
// database stores only the digest and looks the secret up by it.
//
//   std::string stored = sha256_hex(refresh_token);   // 64 lowercase hex characters
#pragma once

#include <string>
#include <string_view>

namespace keel::security {

// sha256_hex returns SHA-256(data) as lowercase hex.
std::string sha256_hex(std::string_view data);

// hmac_sha256 returns the raw 32-byte HMAC-SHA-256 of `data` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view data);

// base64url encodes without padding (RFC 4648 §5).
std::string base64url_encode(std::string_view data);
// base64url_decode accepts unpadded (and padded) base64url; false (and `out` untouched) on any
// other character, an impossible length, or non-zero leftover bits (a second spelling of the same bytes).
bool base64url_decode(std::string_view text, std::string& out);

}  // namespace keel::security
