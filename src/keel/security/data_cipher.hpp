// keel/security/data_cipher.hpp — encryption at rest for sensitive fields (XChaCha20-Poly1305).
//
// A DataCipher holds the keys of DATA_ENCRYPTION_KEYS, the first being the
// current one. seal() encrypts with the current key under a random 24-byte
// nonce and writes the key id beside the ciphertext, so open() still reads
// values sealed under an older key after a rotation (docs/encryption.md).
// The associated data binds a value to its row: a ciphertext copied into
// another row (another id) does not open there.
//
//   DataCipher cipher({{"2026-11", key_2026_11}, {"2026-05", key_2026_05}});
//   std::string stored = cipher.seal(token, row_id);       // "v1.2026-11.<base64url>"
//   std::optional<std::string> token = cipher.open(stored, row_id);
//   if (!cipher.is_current(stored)) stored = cipher.seal(*token, row_id);   // keel rotate-keys
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keel::security {

// kDataKeyBytes is the size of every key (crypto_aead_xchacha20poly1305_ietf_KEYBYTES).
inline constexpr std::size_t kDataKeyBytes = 32;

// DataKey is one named key; the id travels with every value sealed under it.
struct DataKey {
  std::string id;  // 1-64 of [A-Za-z0-9._-] (what DATA_ENCRYPTION_KEYS accepts)
  std::array<std::uint8_t, kDataKeyBytes> key{};
};

// DataCipher seals and opens values. Immutable after construction, so one
// instance is shared by every thread.
class DataCipher {
 public:
  // DataCipher takes the keys, current first. Throws std::invalid_argument for
  // no keys, a repeated id or an id that is empty, longer than 64 characters or
  // outside [A-Za-z0-9._-]; std::runtime_error when libsodium cannot initialise.
  explicit DataCipher(std::vector<DataKey> keys);

  // seal encrypts `plaintext` under the current key, authenticating
  // `associated_data` too: "v1.<key id>.<base64url(nonce | ciphertext | tag)>".
  std::string seal(std::string_view plaintext, std::string_view associated_data) const;

  // open returns the plaintext; nullopt when the text is not a sealed value,
  // its key id is not configured, or the ciphertext, key or associated data do not match.
  std::optional<std::string> open(std::string_view sealed, std::string_view associated_data) const;

  // is_current is true when `sealed` names the current key's id (it does not decrypt).
  bool is_current(std::string_view sealed) const;

  // key_ids lists the configured ids, current first.
  std::vector<std::string> key_ids() const;

  // current_key_id is the id new values are sealed under.
  const std::string& current_key_id() const { return keys_.front().id; }

  // has_key is true when a key with this id is configured.
  bool has_key(std::string_view id) const;

 private:
  const DataKey* find(std::string_view id) const;

  std::vector<DataKey> keys_;
};

// sealed_key_id returns the key id a sealed value names; nullopt when the text
// does not have the "v1.<id>.<data>" shape. Needs no key: for diagnostics
// such as "which keys does the stored data need".
std::optional<std::string_view> sealed_key_id(std::string_view sealed);

}  // namespace keel::security
