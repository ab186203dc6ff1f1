// service/webhooks/rotate_secrets.hpp — webhook secrets under a new data key (`keel rotate-keys`).
//
// A webhook's signing secret is sealed at rest with the key that was current
// when it was created (the webhook id is the associated data). After a new
// key is put first in DATA_ENCRYPTION_KEYS, rotate_webhook_secrets re-seals
// every secret under it, so the old key can be removed (docs/encryption.md).
//
//   auto report = rotate_webhook_secrets(database, cipher);
//   if (report.unreadable > 0) keep_old_keys();
//   if (auto problem = check_stored_webhook_keys(database, cipher)) refuse_to_start(*problem);
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "keel/db/database.hpp"
#include "keel/security/data_cipher.hpp"

namespace service::webhooks {

// SecretRotation counts what one pass over the webhooks table did.
struct SecretRotation {
  std::int64_t scanned = 0;
  std::int64_t resealed = 0;         // now under the current key
  std::int64_t already_current = 0;  // were under it already
  std::int64_t unreadable = 0;       // open under no configured key: left unchanged
};

// rotate_webhook_secrets re-seals every webhook secret not under the
// cipher's current key, 500 rows per transaction; a secret changed by
// someone else between read and write is left alone. Throws
// keel::db::DatabaseError when the database fails (committed batches stay).
SecretRotation rotate_webhook_secrets(keel::db::Database& database, const keel::security::DataCipher& cipher);

// check_stored_webhook_keys reads up to `max_rows` webhook secrets and says
// what makes them unreadable (a key id missing from DATA_ENCRYPTION_KEYS, or
// a configured id whose bytes differ); nullopt when they all open. `keel
// serve` refuses to start on a problem, as for email payloads.
std::optional<std::string> check_stored_webhook_keys(keel::db::Database& database,
                                                     const keel::security::DataCipher& cipher,
                                                     std::int64_t max_rows = 1000);

}  // namespace service::webhooks
