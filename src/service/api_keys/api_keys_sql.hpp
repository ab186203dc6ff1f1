// service/api_keys/api_keys_sql.hpp — every statement on the api_keys table.
//
//   connection.execute(sql::kKeyByPrefix, {prefix});
//   database.register_statements(sql::kApiKeyStatements);
#pragma once

#include "keel/db/statement.hpp"

namespace service::api_keys::sql {

using keel::db::Statement;

inline constexpr Statement kInsertKey{
    "api_keys.insert",
    "INSERT INTO api_keys (id, user_id, name, prefix, key_hash, scopes, expires_at, last_used_at, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8)"};
inline constexpr Statement kKeysOfUser{
    "api_keys.of_user",
    "SELECT id, name, prefix, scopes, expires_at, last_used_at, created_at FROM api_keys "
    "WHERE user_id = $1 ORDER BY created_at, id"};
inline constexpr Statement kCountKeysOfUser{"api_keys.count_of_user",
                                            "SELECT COUNT(*) AS n FROM api_keys WHERE user_id = $1"};
inline constexpr Statement kDeleteKey{"api_keys.delete", "DELETE FROM api_keys WHERE id = $1 AND user_id = $2"};
// The key and its owner's standing in one primary-key/unique-index probe.
inline constexpr Statement kKeyByPrefix{
    "api_keys.by_prefix",
    "SELECT k.id, k.user_id, k.key_hash, k.scopes, k.expires_at, k.last_used_at, u.is_active, u.is_superuser "
    "FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.prefix = $1"};
// Only when the stored time is older than the threshold: one write per key per minute at most.
inline constexpr Statement kTouchKey{
    "api_keys.touch",
    "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)"};

inline constexpr const Statement* kApiKeyStatements[] = {&kInsertKey, &kKeysOfUser,  &kCountKeysOfUser,
                                                         &kDeleteKey, &kKeyByPrefix, &kTouchKey};

}  // namespace service::api_keys::sql
