// keel/config/base64.hpp — the base64 needed by configuration values.
//
// DATA_ENCRYPTION_KEYS carries keys as base64 (operators paste the output of
// `openssl rand -base64 32`, or the URL-safe form), and development secrets are
// generated as unpadded base64url so they survive any shell or .env quoting.
//
//   std::string s = encode_base64url(bytes);            // "q83v..."
//   std::optional<std::vector<std::uint8_t>> k = decode_base64(s);
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace keel::config {

// encode_base64url encodes `bytes` with the URL-safe alphabet and no padding (RFC 4648 §5).
std::string encode_base64url(std::span<const std::uint8_t> bytes);

// decode_base64 accepts the standard or URL-safe alphabet, with or without
// padding; nullopt on any other character or an impossible length.
std::optional<std::vector<std::uint8_t>> decode_base64(std::string_view text);

}  // namespace keel::config
