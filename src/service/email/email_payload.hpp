// service/email/email_payload.hpp — the payload of an `email.send` job, its variables encrypted at rest.
//
// Template variables carry secrets (one-time reset and verification tokens),
// and a queued job may wait in the `jobs` table for hours, be listed by
// `keel jobs list` and land in backups. So the variables are sealed with
// DATA_ENCRYPTION_KEYS (keel::security::DataCipher) and the row holds:
//
//   {"template": "password_reset", "to": "ada@example.com",
//    "payload_id": "0192…", "sealed_variables": "v1.<key id>.<base64url>"}
//
// The associated data binds the ciphertext to its payload id, template and
// recipient: sealed variables copied into another row, or a row whose `to`
// was edited, do not open (docs/encryption.md).
//
//   std::string json = seal_email_payload(cipher, {"password_reset", to, {{"token", token}}},
//                                         keel::security::uuid_v7());
//   auto stored = parse_email_payload(job.payload_json);
//   std::optional<EmailPayload> email = stored ? open_email_payload(cipher, *stored) : std::nullopt;
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "keel/config/settings.hpp"
#include "keel/security/data_cipher.hpp"
#include "service/context.hpp"

namespace service {

// EmailPayload is one email in clear: what the sender was asked and the worker renders.
struct EmailPayload {
  std::string template_name;
  std::string to;
  EmailVariables variables;
};

// StoredEmailPayload is a job payload as stored, parsed but not decrypted.
struct StoredEmailPayload {
  std::string template_name;
  std::string to;
  std::string payload_id;        // empty for a legacy payload
  std::string sealed_variables;  // empty for a legacy payload
  std::optional<EmailVariables>
      plain_variables;  // set for a legacy payload: queued before encryption at rest
};

// seal_email_payload renders `payload` as the JSON a job stores, its variables
// sealed under the cipher's current key with `payload_id` (a fresh uuid_v7 per email).
std::string seal_email_payload(const keel::security::DataCipher& cipher, const EmailPayload& payload,
                               std::string_view payload_id);

// parse_email_payload reads a stored payload; nullopt when it is not the JSON of an email job.
std::optional<StoredEmailPayload> parse_email_payload(std::string_view payload_json);

// open_email_payload decrypts a stored payload (a legacy one is returned as is);
// nullopt when its key id is not configured or the ciphertext, key or row do not match.
std::optional<EmailPayload> open_email_payload(const keel::security::DataCipher& cipher,
                                               const StoredEmailPayload& stored);

// kUnsetKeyId names the throwaway key data_cipher_from_settings uses when DATA_ENCRYPTION_KEYS is empty.
inline constexpr std::string_view kUnsetKeyId = "unset";

// data_cipher_from_settings builds the cipher from DATA_ENCRYPTION_KEYS (current key first);
// with no keys at all (a production-like profile, where serve refuses to start) a random throwaway key.
keel::security::DataCipher data_cipher_from_settings(const keel::config::Settings& settings);

}  // namespace service
