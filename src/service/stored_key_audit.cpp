#include "service/stored_key_audit.hpp"

namespace service {

std::optional<std::string> StoredKeyAudit::problem() const {
  if (!missing_.empty()) {
    return "DATA_ENCRYPTION_KEYS lacks key id '" + *missing_.begin() +
           "' that encrypts stored data; add it back (it may be second in the list)";
  }
  if (!failed_.empty()) {
    return "DATA_ENCRYPTION_KEYS key id '" + *failed_.begin() +
           "' does not decrypt the data stored under that id: the key bytes differ from the ones it was "
           "encrypted with; restore the original key for that id";
  }
  return std::nullopt;
}

}  // namespace service
