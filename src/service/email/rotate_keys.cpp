#include "service/email/rotate_keys.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <string_view>

#include "keel/config/load.hpp"
#include "keel/jobs/job.hpp"
#include "keel/security/random.hpp"
#include "service/email/email_payload.hpp"
#include "service/email/email_sender.hpp"
#include "service/email/email_sql.hpp"
#include "service/stored_key_audit.hpp"

namespace service {
namespace {

// PendingRow is one email job that may still be sent.
struct PendingRow {
  std::string id;
  std::string payload;
};

std::vector<PendingRow> read_page(keel::db::Connection& connection, std::string_view after_id, int limit) {
  std::vector<PendingRow> rows;
  for (const auto& row : connection.execute(email_sql::kPendingEmailPage, {kEmailJobKind, after_id, limit})) {
    rows.push_back({row.get<std::string>(0), row.get<std::string>(1)});
  }
  return rows;
}

// reseal returns the payload under the current key, or nullopt when it does not open.
std::optional<std::string> reseal(const keel::security::DataCipher& cipher,
                                  const StoredEmailPayload& stored) {
  const auto payload = open_email_payload(cipher, stored);
  if (!payload) return std::nullopt;
  // A legacy payload has no id yet: it gets one, as send() would have given it.
  const std::string payload_id = stored.plain_variables ? keel::security::uuid_v7() : stored.payload_id;
  return seal_email_payload(cipher, *payload, payload_id);
}

void add(RotationReport& total, const RotationReport& batch) {
  total.scanned += batch.scanned;
  total.resealed += batch.resealed;
  total.already_current += batch.already_current;
  total.unreadable += batch.unreadable;
}

boost::json::object to_json(const RotationReport& report) {
  return {{"scanned", report.scanned},
          {"resealed", report.resealed},
          {"already_current", report.already_current},
          {"unreadable", report.unreadable}};
}

}  // namespace

RotationReport rotate_email_keys(keel::db::Database& database, const keel::security::DataCipher& cipher,
                                 int batch_size, const std::function<void(const RotationReport&)>& on_batch) {
  database.register_statements(kEmailStatements);
  RotationReport total;
  std::string after_id;
  for (;;) {
    RotationReport batch;
    const bool more = database.in_transaction([&](keel::db::Connection& connection) {
      const auto rows = read_page(connection, after_id, batch_size);
      for (const auto& row : rows) {
        ++batch.scanned;
        const auto stored = parse_email_payload(row.payload);
        if (!stored) {
          ++batch.unreadable;
          continue;
        }
        if (!stored->plain_variables && cipher.is_current(stored->sealed_variables)) {
          ++batch.already_current;
          continue;
        }
        const auto resealed = reseal(cipher, *stored);
        if (!resealed) {
          ++batch.unreadable;
          continue;
        }
        const auto result = connection.execute(
            email_sql::kResealPayload, {row.id, row.payload, *resealed, keel::jobs::system_clock_ms()});
        batch.resealed += result.affected_rows();
      }
      if (!rows.empty()) after_id = rows.back().id;
      return static_cast<int>(rows.size()) == batch_size;
    });
    add(total, batch);
    if (batch.scanned > 0 && on_batch) on_batch(batch);
    if (!more) return total;
  }
}

int rotate_keys_command(keel::db::Database& database, const keel::config::Settings& settings,
                        std::ostream& out, std::ostream& err) {
  if (settings.data_encryption_keys.empty() || settings.data_encryption_keys_generated) {
    err << "keel rotate-keys: DATA_ENCRYPTION_KEYS is not set; set it (new key first, old keys after) and "
           "run "
           "again\n";
    return keel::config::kExitConfig;
  }
  const auto cipher = data_cipher_from_settings(settings);
  int batch_number = 0;
  const auto total =
      rotate_email_keys(database, cipher, kRotationBatchSize, [&](const RotationReport& batch) {
        auto line = to_json(batch);
        line.emplace("batch", ++batch_number);
        out << boost::json::serialize(line) << '\n' << std::flush;
      });
  auto summary = to_json(total);
  summary.emplace("done", true);
  summary.emplace("current_key_id", cipher.current_key_id());
  out << boost::json::serialize(summary) << '\n';
  if (total.unreadable > 0) {
    err << "keel rotate-keys: " << total.unreadable
        << " email job(s) open under no configured key and were left unchanged; keep the old keys configured "
           "(see docs/encryption.md)\n";
    return 1;
  }
  return 0;
}

std::optional<std::string> check_stored_email_keys(keel::db::Database& database,
                                                   const keel::security::DataCipher& cipher, int max_rows) {
  StoredKeyAudit audit(cipher);
  std::string after_id;
  database.register_statements(kEmailStatements);
  auto connection = database.acquire();
  for (int seen = 0; seen < max_rows;) {
    const int limit = std::min(kRotationBatchSize, max_rows - seen);
    const auto rows = read_page(connection, after_id, limit);
    for (const auto& row : rows) {
      const auto stored = parse_email_payload(row.payload);
      if (!stored || stored->plain_variables) continue;  // nothing a key could fix
      audit.check(stored->sealed_variables, [&] { return open_email_payload(cipher, *stored).has_value(); });
    }
    if (static_cast<int>(rows.size()) < limit) break;
    seen += limit;
    after_id = rows.back().id;
  }
  return audit.problem();
}

}  // namespace service
