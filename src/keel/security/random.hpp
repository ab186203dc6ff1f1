// keel/security/random.hpp — unguessable identifiers and tokens (OpenSSL's CSPRNG).
//
//   std::string id = uuid_v7();              // "0192f0c1-7a3e-7c4d-9b1a-5f2e8d3c4b21"
//   std::string token = random_token(32);    // 43 base64url characters, 256 bits
#pragma once

#include <cstddef>
#include <string>

namespace keel::security {

// uuid_v7 returns an RFC 9562 version-7 UUID: time-ordered (good for B-tree
// indexes and keyset pagination) with 74 random bits, so ids are not guessable.
std::string uuid_v7();

// random_token returns `bytes` random bytes, base64url-encoded without padding.
std::string random_token(std::size_t bytes);

}  // namespace keel::security
