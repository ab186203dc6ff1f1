#include "keel/security/data_cipher.hpp"

#include <sodium.h>

#include <algorithm>
#include <stdexcept>

#include "keel/security/digest.hpp"

namespace keel::security {
namespace {

static_assert(kDataKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

constexpr std::string_view kVersionPrefix = "v1.";
constexpr std::size_t kMaxKeyIdLength = 64;
constexpr std::size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;

bool is_key_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxKeyIdLength) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

const unsigned char* bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

// Parts are the two fields of a sealed value.
struct Parts {
  std::string_view key_id;
  std::string_view data;  // base64url of nonce | ciphertext | tag
};

// split reads "v1.<id>.<data>". Ids may contain '.', base64url never does,
// so the last '.' ends the id.
std::optional<Parts> split(std::string_view sealed) {
  if (!sealed.starts_with(kVersionPrefix)) return std::nullopt;
  sealed.remove_prefix(kVersionPrefix.size());
  const auto dot = sealed.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const Parts parts{sealed.substr(0, dot), sealed.substr(dot + 1)};
  if (!is_key_id(parts.key_id)) return std::nullopt;
  return parts;
}

}  // namespace

std::optional<std::string_view> sealed_key_id(std::string_view sealed) {
  const auto parts = split(sealed);
  if (!parts) return std::nullopt;
  return parts->key_id;
}

DataCipher::DataCipher(std::vector<DataKey> keys) : keys_(std::move(keys)) {
  if (keys_.empty()) throw std::invalid_argument("DataCipher needs at least one key");
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (!is_key_id(keys_[i].id)) throw std::invalid_argument("DataCipher key ids are 1-64 of [A-Za-z0-9._-]");
    for (std::size_t j = 0; j < i; ++j) {
      if (keys_[j].id == keys_[i].id) throw std::invalid_argument("DataCipher key ids must be unique");
    }
  }
  // sodium_init is idempotent and thread-safe; it must run before the first random nonce.
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string DataCipher::seal(std::string_view plaintext, std::string_view associated_data) const {
  const DataKey& key = keys_.front();
  std::string box(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(box.data());
  // A random 192-bit nonce never repeats in practice, so no counter state is shared between threads.
  randombytes_buf(out, kNonceBytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + kNonceBytes, &written, bytes(plaintext), plaintext.size(),
                                             bytes(associated_data), associated_data.size(), nullptr, out,
                                             key.key.data());
  box.resize(kNonceBytes + static_cast<std::size_t>(written));
  return std::string(kVersionPrefix) + key.id + "." + base64url_encode(box);
}

std::optional<std::string> DataCipher::open(std::string_view sealed, std::string_view associated_data) const {
  const auto parts = split(sealed);
  if (!parts) return std::nullopt;
  const DataKey* key = find(parts->key_id);
  if (key == nullptr) return std::nullopt;
  std::string box;
  if (!base64url_decode(parts->data, box) || box.size() < kNonceBytes + kTagBytes) return std::nullopt;
  const auto* in = reinterpret_cast<const unsigned char*>(box.data());
  std::string plaintext(box.size() - kNonceBytes - kTagBytes, '\0');
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(plaintext.data()), &written,
                                                 nullptr, in + kNonceBytes, box.size() - kNonceBytes,
                                                 bytes(associated_data), associated_data.size(), in,
                                                 key->key.data()) != 0) {
    return std::nullopt;
  }
  plaintext.resize(static_cast<std::size_t>(written));
  return plaintext;
}

bool DataCipher::is_current(std::string_view sealed) const {
  const auto id = sealed_key_id(sealed);
  return id && *id == current_key_id();
}

std::vector<std::string> DataCipher::key_ids() const {
  std::vector<std::string> ids;
  ids.reserve(keys_.size());
  for (const auto& key : keys_) ids.push_back(key.id);
  return ids;
}

bool DataCipher::has_key(std::string_view id) const { return find(id) != nullptr; }

const DataKey* DataCipher::find(std::string_view id) const {
  const auto it = std::find_if(keys_.begin(), keys_.end(), [&](const DataKey& key) { return key.id == id; });
  return it == keys_.end() ? nullptr : &*it;
}

}  // namespace keel::security
