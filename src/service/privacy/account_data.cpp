#include "service/privacy/account_data.hpp"

#include <string>
#include <vector>

#include "keel/audit/timestamp.hpp"
#include "keel/observability/logger.hpp"
#include "keel/security/digest.hpp"
#include "keel/security/random.hpp"
#include "keel/upload/storage.hpp"
#include "service/api_keys/api_key.hpp"
#include "service/privacy/privacy_sql.hpp"

namespace service::privacy {
namespace {

boost::json::value nullable(const std::optional<std::string>& value) {
  return value ? boost::json::value(*value) : boost::json::value(nullptr);
}

boost::json::array items_of(keel::db::Connection& connection, std::string_view owner_id) {
  boost::json::array out;
  for (const auto& row : connection.execute(sql::kItemsOfOwner, {owner_id})) {
    boost::system::error_code error;
    auto tags = boost::json::parse(row.get<std::string>("tags"), error);
    if (error || !tags.is_array()) tags = boost::json::array{};
    out.push_back(boost::json::object{{"id", row.get<std::string>("id")},
                                      {"title", row.get<std::string>("title")},
                                      {"description", nullable(row.get<std::optional<std::string>>("description"))},
                                      {"tags", std::move(tags)},
                                      {"created_at", row.get<std::string>("created_at")},
                                      {"updated_at", row.get<std::string>("updated_at")}});
  }
  return out;
}

// attachments_of lists attachment metadata; the storage names (server-side
// file names) are internal and stay out of the export.
boost::json::array attachments_of(keel::db::Connection& connection, std::string_view owner_id) {
  boost::json::array out;
  for (const auto& row : connection.execute(sql::kAttachmentsOfOwner, {owner_id})) {
    out.push_back(boost::json::object{{"id", row.get<std::string>("id")},
                                      {"item_id", row.get<std::string>("item_id")},
                                      {"filename", row.get<std::string>("filename")},
                                      {"content_type", row.get<std::string>("content_type")},
                                      {"size", row.get<std::int64_t>("size")},
                                      {"sha256", row.get<std::string>("sha256")},
                                      {"created_at", row.get<std::string>("created_at")}});
  }
  return out;
}

boost::json::array sessions_of(keel::db::Connection& connection, std::string_view user_id) {
  boost::json::array out;
  for (const auto& row : connection.execute(sql::kSessionsOfUser, {user_id})) {
    out.push_back(boost::json::object{{"id", row.get<std::string>("family_id")},
                                      {"created_at", row.get<std::string>("created_at")},
                                      {"last_used_at", row.get<std::string>("last_used_at")},
                                      {"revoked_at", nullable(row.get<std::optional<std::string>>("revoked_at"))},
                                      {"client_ip", nullable(row.get<std::optional<std::string>>("client_ip"))},
                                      {"user_agent", nullable(row.get<std::optional<std::string>>("user_agent"))}});
  }
  return out;
}

boost::json::array api_keys_of(keel::db::Connection& connection, std::string_view user_id) {
  boost::json::array out;
  for (const auto& key : api_keys::list_keys(connection, user_id)) {
    out.push_back(boost::json::parse(keel::model::to_json_text(key)));
  }
  return out;
}

}  // namespace

boost::json::object export_account(keel::db::Connection& connection, const users::User& user) {
  boost::json::array audit;
  for (const auto& row : keel::audit::events_about(connection, user.id, kExportAuditLimit)) {
    audit.push_back(keel::audit::to_json(row));
  }
  return {{"exported_at", keel::audit::now_timestamp()},
          {"profile", boost::json::parse(users::user_json(user))},
          {"items", items_of(connection, user.id)},
          {"attachments", attachments_of(connection, user.id)},
          {"api_keys", api_keys_of(connection, user.id)},
          {"sessions", sessions_of(connection, user.id)},
          {"audit_events", std::move(audit)}};
}

std::string erase_account(ServiceContext& context, const users::User& user, keel::audit::AuditEvent event) {
  // Random, so the pseudonym cannot be recomputed from the id in old logs or backups.
  // Not const: the return statement moves it.
  std::string pseudonym =
      "deleted-user-" + keel::security::sha256_hex(keel::security::random_token(32)).substr(0, 32);
  std::vector<std::string> files;
  context.database.in_transaction([&](keel::db::Connection& connection) {
    for (const auto& row : connection.execute(sql::kAttachmentsOfOwner, {user.id})) {
      files.push_back(row.get<std::string>("storage_name"));
    }
    connection.execute(sql::kDeleteUser, {user.id});
    keel::audit::pseudonymise_actor(connection, user.id, pseudonym);
    if (event.actor_id == user.id) event.actor_id = pseudonym;
    event.target_type = "user";
    event.target_id = pseudonym;
    keel::audit::record(connection, event);
  });
  // After the commit: a crash in between leaves orphaned files (purged by the
  // retention job), never rows that point at missing files.
  const keel::upload::Storage storage(context.app.settings().upload_dir);
  std::size_t missing = 0;
  for (const auto& name : files) {
    if (!storage.remove(name)) ++missing;
  }
  if (missing > 0) {
    keel::observability::logger().warning("attachment files already gone at account deletion",
                                       {{"count", static_cast<std::int64_t>(missing)}});
  }
  context.email.send("account_deleted", user.email,
                     {{"app_name", "Keel"}, {"full_name", user.full_name.value_or(user.email)},
                      {"email", user.email}, {"deleted_at", keel::audit::now_timestamp()}});
  return pseudonym;
}

}  // namespace service::privacy
