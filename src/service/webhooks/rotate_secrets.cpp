#include "service/webhooks/rotate_secrets.hpp"

#include <string>

#include "service/stored_key_audit.hpp"
#include "service/webhooks/webhooks_sql.hpp"

namespace service::webhooks {

SecretRotation rotate_webhook_secrets(keel::db::Database& database, const keel::security::DataCipher& cipher) {
  constexpr std::int64_t kBatch = 500;
  database.register_statements(sql::kWebhookStatements);
  SecretRotation total;
  std::string after_id;
  for (bool more = true; more;) {
    more = database.in_transaction([&](keel::db::Connection& connection) {
      const auto rows = connection.execute(sql::kWebhookSecretsPage, {after_id, kBatch});
      for (const auto& row : rows) {
        const auto id = row.get<std::string>(0);
        const auto sealed = row.get<std::string>(1);
        ++total.scanned;
        after_id = id;
        if (cipher.is_current(sealed)) {
          ++total.already_current;
          continue;
        }
        const auto secret = cipher.open(sealed, id);
        if (!secret) {
          ++total.unreadable;
          continue;
        }
        total.resealed +=
            connection.execute(sql::kResealWebhookSecret, {cipher.seal(*secret, id), id, sealed}).affected_rows();
      }
      return static_cast<std::int64_t>(rows.size()) == kBatch;
    });
  }
  return total;
}

std::optional<std::string> check_stored_webhook_keys(keel::db::Database& database,
                                                     const keel::security::DataCipher& cipher,
                                                     std::int64_t max_rows) {
  database.register_statements(sql::kWebhookStatements);
  StoredKeyAudit audit(cipher);
  auto connection = database.acquire();
  const auto rows = connection.execute(sql::kWebhookSecretsPage, {std::string(), max_rows});
  for (const auto& row : rows) {
    const auto id = row.get<std::string>(0);
    const auto sealed = row.get<std::string>(1);
    audit.check(sealed, [&] { return cipher.open(sealed, id).has_value(); });
  }
  return audit.problem();
}

}  // namespace service::webhooks
