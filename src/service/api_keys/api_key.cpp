#include "service/api_keys/api_key.hpp"

#include <algorithm>
#include <chrono>

#include "keel/audit/timestamp.hpp"
#include "keel/errors/api_error.hpp"
#include "keel/security/digest.hpp"
#include "keel/security/random.hpp"
#include "service/api_keys/api_keys_sql.hpp"

namespace service::api_keys {
namespace {

using keel::errors::ApiError;
using keel::errors::ErrorCode;

constexpr std::size_t kPrefixLength = 10;

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& scope : scopes) {
    if (!out.empty()) out += ' ';
    out += scope;
  }
  return out;
}

ApiKey key_from_row(const keel::db::Row& row) {
  return ApiKey{.id = row.get<std::string>("id"),
                .name = row.get<std::string>("name"),
                .prefix = row.get<std::string>("prefix"),
                .scopes = split_scopes(row.get<std::string>("scopes")),
                .expires_at = row.get<std::optional<std::string>>("expires_at"),
                .created_at = row.get<std::string>("created_at"),
                .last_used_at = row.get<std::optional<std::string>>("last_used_at")};
}

// expiry returns the stored-form time `days` after `now`.
std::optional<std::string> expiry(std::string_view now, const std::optional<std::int64_t>& days) {
  if (!days) return std::nullopt;
  const auto start = keel::audit::to_time_point(now).value();
  return keel::audit::format_timestamp(start + std::chrono::days(*days));
}

}  // namespace

std::vector<std::string> allowed_scopes(bool is_superuser) {
  std::vector<std::string> scopes{"profile", "items:read", "items:write"};
  if (is_superuser) scopes.emplace_back("admin");
  return scopes;
}

std::vector<std::string> split_scopes(std::string_view stored) {
  std::vector<std::string> out;
  while (!stored.empty()) {
    const auto space = stored.find(' ');
    const auto word = stored.substr(0, space);
    if (!word.empty()) out.emplace_back(word);
    if (space == std::string_view::npos) break;
    stored.remove_prefix(space + 1);
  }
  return out;
}

CreatedApiKey create_key(keel::db::Connection& connection, const users::User& owner, const ApiKeyCreate& input,
                         std::string_view now) {
  const auto allowed = allowed_scopes(owner.is_superuser);
  std::vector<std::string> scopes;
  for (const auto& scope : input.scopes) {
    if (std::find(allowed.begin(), allowed.end(), scope) == allowed.end()) {
      throw ApiError(ErrorCode::invalid_scope, "Scope '" + scope + "' cannot be granted to this account.");
    }
    if (std::find(scopes.begin(), scopes.end(), scope) == scopes.end()) scopes.push_back(scope);
  }
  const auto count = connection.execute(sql::kCountKeysOfUser, {owner.id})[0].get<std::int64_t>("n");
  if (count >= kMaxKeysPerUser) {
    throw ApiError(ErrorCode::conflict,
                   "This account already has " + std::to_string(kMaxKeysPerUser) + " API keys; delete one first.");
  }
  CreatedApiKey created;
  created.id = keel::security::uuid_v7();
  created.name = input.name;
  created.scopes = scopes;
  created.expires_at = expiry(now, input.expires_in_days);
  created.created_at = std::string(now);
  // 40 random bits of prefix: a collision is vanishingly rare, and the UNIQUE
  // index turns one into a 409 rather than an ambiguous lookup.
  created.prefix = keel::security::sha256_hex(keel::security::random_token(16)).substr(0, kPrefixLength);
  created.key = "keel_" + created.prefix + "_" + keel::security::random_token(32);
  connection.execute(sql::kInsertKey, {created.id, owner.id, created.name, created.prefix,
                                       keel::security::sha256_hex(created.key), join_scopes(scopes),
                                       created.expires_at, created.created_at});
  return created;
}

std::vector<ApiKey> list_keys(keel::db::Connection& connection, std::string_view user_id) {
  std::vector<ApiKey> out;
  for (const auto& row : connection.execute(sql::kKeysOfUser, {user_id})) out.push_back(key_from_row(row));
  return out;
}

bool delete_key(keel::db::Connection& connection, std::string_view user_id, std::string_view key_id) {
  return connection.execute(sql::kDeleteKey, {key_id, user_id}).affected_rows() > 0;
}

}  // namespace service::api_keys
