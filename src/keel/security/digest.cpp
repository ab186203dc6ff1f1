#include "keel/security/digest.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <utility>

namespace keel::security {
namespace {

constexpr std::string_view kBase64UrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// kNotBase64Url marks a character outside the alphabet; every 6-bit value is below it.
constexpr std::uint8_t kNotBase64Url = 0xFF;

constexpr std::array<std::uint8_t, 256> base64url_values() {
  std::array<std::uint8_t, 256> values{};
  values.fill(kNotBase64Url);
  for (std::size_t i = 0; i < kBase64UrlAlphabet.size(); ++i) {
    values[static_cast<unsigned char>(kBase64UrlAlphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return values;
}

// kBase64UrlValues maps each byte to its 6-bit value, or kNotBase64Url: one load
// per character instead of a chain of range tests.
constexpr std::array<std::uint8_t, 256> kBase64UrlValues = base64url_values();

// An empty key still needs a real address: OpenSSL reads a null key as "no key".
const unsigned char* key_bytes(std::string_view key) {
  static constexpr unsigned char kEmpty = 0;
  return key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
}

struct MacContextFree {
  void operator()(EVP_MAC_CTX* context) const { EVP_MAC_CTX_free(context); }
};
using MacContext = std::unique_ptr<EVP_MAC_CTX, MacContextFree>;

// WorkingMac is one thread's reusable copy of the last template it signed with.
// Re-initialising it with a null key restores the keyed state (the pads are
// kept) without the allocations a fresh duplicate costs on every call.
struct WorkingMac {
  std::uint64_t template_id = 0;  // 0: none; ids are never reused, so a stale copy is never mistaken
  MacContext context;
};

std::atomic<std::uint64_t> next_template_id{1};

// kWorkingMacsPerThread is how many keys' working copies one thread keeps.
constexpr std::size_t kWorkingMacsPerThread = 4;

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
  if (HMAC(EVP_sha256(), key_bytes(key), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &size) == nullptr) {
    throw std::runtime_error("OpenSSL HMAC-SHA-256 failed");
  }
  return std::string(reinterpret_cast<const char*>(mac.data()), size);
}

HmacSha256::HmacSha256(std::string_view key) : id_(next_template_id.fetch_add(1, std::memory_order_relaxed)) {
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (hmac == nullptr) throw std::runtime_error("OpenSSL HMAC unavailable");
  keyed_ = std::shared_ptr<EVP_MAC_CTX>(EVP_MAC_CTX_new(hmac), MacContextFree{});
  EVP_MAC_free(hmac);  // the context holds its own reference
  char digest[] = "SHA256";
  const std::array<OSSL_PARAM, 2> params{OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                         OSSL_PARAM_construct_end()};
  if (keyed_ == nullptr || EVP_MAC_init(keyed_.get(), key_bytes(key), key.size(), params.data()) != 1 ||
      EVP_MAC_CTX_get_mac_size(keyed_.get()) != kHmacSha256Size) {
    throw std::runtime_error("OpenSSL HMAC-SHA-256 key setup failed");
  }
}

std::array<char, kHmacSha256Size> HmacSha256::sign(std::string_view data) const {
  // Each thread signs on its own context, so the shared template is only ever
  // read (duplicated). A thread keeps copies of a few keys (a request may use
  // the access-token key and a cursor key in turn), replacing them in rotation.
  thread_local std::array<WorkingMac, kWorkingMacsPerThread> workings;
  thread_local std::size_t next_replaced = 0;
  auto found = std::find_if(workings.begin(), workings.end(),
                            [this](const WorkingMac& candidate) { return candidate.template_id == id_; });
  if (found == workings.end()) {
    found = workings.begin() + static_cast<std::ptrdiff_t>(next_replaced);
    next_replaced = (next_replaced + 1) % workings.size();
  }
  WorkingMac& working = *found;
  if (working.template_id != id_) {
    working.template_id = 0;
    working.context.reset(EVP_MAC_CTX_dup(keyed_.get()));
    if (working.context == nullptr) throw std::runtime_error("OpenSSL HMAC-SHA-256 context copy failed");
    working.template_id = id_;
  } else if (EVP_MAC_init(working.context.get(), nullptr, 0, nullptr) != 1) {
    working.template_id = 0;
    throw std::runtime_error("OpenSSL HMAC-SHA-256 reset failed");
  }
  EVP_MAC_CTX* context = working.context.get();
  std::array<char, kHmacSha256Size> tag{};
  std::size_t size = 0;
  if (EVP_MAC_update(context, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(context, reinterpret_cast<unsigned char*>(tag.data()), &size, tag.size()) != 1 ||
      size != tag.size()) {
    working.template_id = 0;  // state unknown: start from a fresh copy next time
    throw std::runtime_error("OpenSSL HMAC-SHA-256 failed");
  }
  return tag;
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
  std::string bytes(base64url_max_decoded_size(text.size()), '\0');
  const auto size = base64url_decode(text, std::span<char>(bytes));
  if (!size) return false;
  bytes.resize(*size);  // padded text decodes to less than the maximum
  out = std::move(bytes);
  return true;
}

std::optional<std::size_t> base64url_decode(std::string_view text, std::span<char> out) {
  // Padding is optional, but when present it must complete a 4-character block.
  if (const auto pad = text.find('='); pad != std::string_view::npos) {
    if (text.size() % 4 != 0 || text.size() - pad > 2) return std::nullopt;
    for (std::size_t i = pad; i < text.size(); ++i) {
      if (text[i] != '=') return std::nullopt;
    }
    text = text.substr(0, pad);
  }
  const std::size_t rest = text.size() % 4;
  // One leftover character carries only 6 bits: no byte can end there.
  if (rest == 1) return std::nullopt;
  const std::size_t size = base64url_max_decoded_size(text.size());
  if (out.size() < size) return std::nullopt;

  const auto value = [&](std::size_t i) -> std::uint32_t {
    return kBase64UrlValues[static_cast<unsigned char>(text[i])];
  };
  char* bytes = out.data();
  const std::size_t whole = text.size() - rest;
  for (std::size_t i = 0; i < whole; i += 4) {
    const std::uint32_t a = value(i), b = value(i + 1), c = value(i + 2), d = value(i + 3);
    if ((a | b | c | d) > 63U) return std::nullopt;
    const std::uint32_t group = (a << 18U) | (b << 12U) | (c << 6U) | d;
    *bytes++ = static_cast<char>(group >> 16U);
    *bytes++ = static_cast<char>((group >> 8U) & 0xFFU);
    *bytes++ = static_cast<char>(group & 0xFFU);
  }
  // Non-zero leftover bits mean a second spelling of the same bytes (RFC 4648
  // §3.5); refusing them keeps every encoding unique, so signatures are not malleable.
  if (rest == 2) {
    const std::uint32_t a = value(whole), b = value(whole + 1);
    if ((a | b) > 63U || (b & 0x0FU) != 0) return std::nullopt;
    *bytes = static_cast<char>((a << 2U) | (b >> 4U));
  } else if (rest == 3) {
    const std::uint32_t a = value(whole), b = value(whole + 1), c = value(whole + 2);
    if ((a | b | c) > 63U || (c & 0x03U) != 0) return std::nullopt;
    const std::uint32_t group = (a << 12U) | (b << 6U) | c;
    *bytes++ = static_cast<char>(group >> 10U);
    *bytes = static_cast<char>((group >> 2U) & 0xFFU);
  }
  return size;
}

}  // namespace keel::security
