#include "keel/security/digest.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <utility>

namespace keel::security {
namespace {

constexpr std::string_view kBase64UrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// base64url_value maps one character to its 6-bit value, or -1.
int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL SHA-256 failed");
  }
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string text;
  text.reserve(std::size_t{size} * 2);
  for (unsigned int i = 0; i < size; ++i) {
    text.push_back(kHex[digest[i] >> 4U]);
    text.push_back(kHex[digest[i] & 0x0FU]);
  }
  return text;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  // OpenSSL takes the key length as int; SECRET_KEY is nowhere near that.
  if (key.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw std::length_error("HMAC key too long");
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  // A null key pointer means "no key" to OpenSSL, so an empty key needs a real address.
  static constexpr unsigned char kEmpty = 0;
  const void* key_bytes = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (HMAC(EVP_sha256(), key_bytes, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &size) == nullptr) {
    throw std::runtime_error("OpenSSL HMAC-SHA-256 failed");
  }
  return std::string(reinterpret_cast<const char*>(mac.data()), size);
}

std::string base64url_encode(std::string_view data) {
  std::string text;
  text.reserve((data.size() * 4 + 2) / 3);
  const auto byte = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(data[i]));
  };
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t group = (byte(i) << 16U) | (byte(i + 1) << 8U) | byte(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) text.push_back(kBase64UrlAlphabet[(group >> shift) & 0x3FU]);
  }
  const std::size_t rest = data.size() - i;
  if (rest > 0) {
    std::uint32_t group = byte(i) << 16U;
    if (rest == 2) group |= byte(i + 1) << 8U;
    text.push_back(kBase64UrlAlphabet[(group >> 18U) & 0x3FU]);
    text.push_back(kBase64UrlAlphabet[(group >> 12U) & 0x3FU]);
    if (rest == 2) text.push_back(kBase64UrlAlphabet[(group >> 6U) & 0x3FU]);
  }
  return text;
}

bool base64url_decode(std::string_view text, std::string& out) {
  // Padding is optional, but when present it must complete a 4-character block.
  if (const auto pad = text.find('='); pad != std::string_view::npos) {
    if (text.size() % 4 != 0 || text.size() - pad > 2) return false;
    for (std::size_t i = pad; i < text.size(); ++i) {
      if (text[i] != '=') return false;
    }
    text = text.substr(0, pad);
  }
  // One leftover character carries only 6 bits: no byte can end there.
  if (text.size() % 4 == 1) return false;
  std::string bytes;
  bytes.reserve(text.size() * 3 / 4);
  std::uint32_t group = 0;
  int bits = 0;
  for (const char c : text) {
    const int value = base64url_value(c);
    if (value < 0) return false;
    group = (group << 6U) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((group >> static_cast<unsigned>(bits)) & 0xFFU));
    }
  }
  // Non-zero leftover bits mean a second spelling of the same bytes (RFC 4648
  // §3.5); refusing it keeps every encoding unique, so signatures are not malleable.
  if ((group & ((1U << static_cast<unsigned>(bits)) - 1U)) != 0) return false;
  out = std::move(bytes);
  return true;
}

}  // namespace keel::security
