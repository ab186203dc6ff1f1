// service/stored_key_audit.hpp — can the configured keys open the data stored at rest?
//
// `keel serve` refuses to start (exit 78) when stored data is sealed under a
// key id DATA_ENCRYPTION_KEYS lacks, or under a configured id whose key bytes
// differ from the ones used to seal it: serving would fail later, one request
// or job at a time. Each kind of sealed data (email job payloads, webhook
// secrets) feeds its values to one StoredKeyAudit.
//
//   StoredKeyAudit audit(cipher);
//   for (const auto& row : rows) audit.check(row.sealed, [&] { return cipher.open(row.sealed, row.id).has_value(); });
//   if (auto problem = audit.problem()) refuse_to_start(*problem);
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "keel/security/data_cipher.hpp"

namespace service {

// StoredKeyAudit sorts sealed values by the key id they name: opened, missing
// from the configuration, or configured but failing to open.
class StoredKeyAudit {
 public:
  explicit StoredKeyAudit(const keel::security::DataCipher& cipher) : cipher_(cipher) {}

  // check looks at one sealed value; `opens()` decrypts it and is called only
  // while its key id is configured and not yet proven by another value.
  template <class Opens>
  void check(std::string_view sealed, Opens&& opens) {
    const auto id = keel::security::sealed_key_id(sealed);
    if (!id || opened_.contains(*id)) return;
    if (!cipher_.has_key(*id)) {
      missing_.emplace(*id);
    } else if (opens()) {
      opened_.emplace(*id);
      failed_.erase(std::string(*id));
    } else {
      failed_.emplace(*id);
    }
  }

  // problem names what makes stored data unreadable (key ids only, never key
  // material); nullopt when every key id seen opens.
  std::optional<std::string> problem() const;

 private:
  const keel::security::DataCipher& cipher_;
  std::set<std::string, std::less<>> missing_;
  std::set<std::string, std::less<>> opened_;
  std::set<std::string, std::less<>> failed_;
};

}  // namespace service
