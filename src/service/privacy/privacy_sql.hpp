// service/privacy/privacy_sql.hpp — the statements of data export and account deletion.
//
// They read other resources' tables (items, attachments, sessions) by owner,
// each through that table's owner index (migrations 0003_identity, 0004_items).
#pragma once

#include "keel/db/statement.hpp"

namespace service::privacy::sql {

using keel::db::Statement;

inline constexpr Statement kItemsOfOwner{
    "privacy.items_of_owner",
    "SELECT id, title, description, tags, created_at, updated_at FROM items WHERE owner_id = $1 "
    "ORDER BY created_at, id"};
inline constexpr Statement kAttachmentsOfOwner{
    "privacy.attachments_of_owner",
    "SELECT id, item_id, filename, content_type, size, sha256, storage_name, created_at FROM attachments "
    "WHERE owner_id = $1"};
inline constexpr Statement kSessionsOfUser{
    "privacy.sessions_of_user",
    "SELECT family_id, created_at, last_used_at, revoked_at, client_ip, user_agent FROM sessions "
    "WHERE user_id = $1"};
// Foreign keys (ON DELETE CASCADE) take items, attachment rows, sessions, tokens and keys with it.
inline constexpr Statement kDeleteUser{"privacy.delete_user", "DELETE FROM users WHERE id = $1"};

inline constexpr const Statement* kPrivacyStatements[] = {&kItemsOfOwner, &kAttachmentsOfOwner, &kSessionsOfUser,
                                                          &kDeleteUser};

}  // namespace service::privacy::sql
