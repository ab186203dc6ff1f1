// service/email/rotate_keys.hpp — the keys of stored email payloads: `keel rotate-keys` and the start-up
// check.
//
// Email jobs keep their variables sealed (email_payload.hpp) under the key
// that was current when they were queued. After a new key is put first in
// DATA_ENCRYPTION_KEYS, rotate_email_keys re-seals every email job that may
// still be sent under it, so the old key can then be removed
// (docs/encryption.md has the runbook). check_stored_email_keys is what
// `keel serve` runs before serving: a key the stored data needs but the
// configuration lacks is a configuration error, not a stream of dead jobs.
//
//   RotationReport report = rotate_email_keys(database, cipher, 500,
//                                             [](const RotationReport& batch) { print(batch); });
//   if (auto problem = check_stored_email_keys(database, cipher)) refuse_to_start(*problem);
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "keel/config/settings.hpp"
#include "keel/db/database.hpp"
#include "keel/security/data_cipher.hpp"

namespace service {

// RotationReport counts the email jobs one batch, or a whole pass, looked at.
struct RotationReport {
  std::int64_t scanned = 0;          // email jobs that may still be sent (queued, running, dead)
  std::int64_t resealed = 0;         // now sealed under the current key (plaintext legacy payloads included)
  std::int64_t already_current = 0;  // were already sealed under the current key
  std::int64_t unreadable = 0;       // open under no configured key (or are no email payload): left unchanged
};

// kRotationBatchSize is how many jobs `keel rotate-keys` re-seals per transaction.
inline constexpr int kRotationBatchSize = 500;

// rotate_email_keys re-seals, under the cipher's current key, every email job
// that may still be sent and is not under it yet; each batch of `batch_size`
// jobs is one transaction, reported to `on_batch` (its own counts) once
// committed. A payload changed by someone else between read and write is left
// alone (it is counted as scanned only). Returns the totals; throws
// keel::db::DatabaseError when the database fails (committed batches stay).
RotationReport rotate_email_keys(keel::db::Database& database, const keel::security::DataCipher& cipher,
                                 int batch_size,
                                 const std::function<void(const RotationReport&)>& on_batch = {});

// rotate_keys_command is `keel rotate-keys`: one JSON line per batch, then the
// totals with the current key id, on `out`. Exit 0 when every payload is
// under the current key; 1 when some are unreadable (they need a key that is
// not configured: do not remove old keys yet); 78 when DATA_ENCRYPTION_KEYS
// is not set (a random per-process key would make the data unreadable).
int rotate_keys_command(keel::db::Database& database, const keel::config::Settings& settings,
                        std::ostream& out, std::ostream& err);

// kStoredKeyCheckRows bounds the start-up check: the oldest email jobs by id,
// which are the likeliest to use an old key.
inline constexpr int kStoredKeyCheckRows = 1000;

// check_stored_email_keys reads up to `max_rows` email jobs that may still be
// sent and returns what makes them unreadable: a key id the configuration
// lacks, or a configured id none of whose payloads opens (the same id with
// other key bytes). nullopt when every key id seen opens. The message names
// key ids only, never key material.
std::optional<std::string> check_stored_email_keys(keel::db::Database& database,
                                                   const keel::security::DataCipher& cipher,
                                                   int max_rows = kStoredKeyCheckRows);

}  // namespace service
