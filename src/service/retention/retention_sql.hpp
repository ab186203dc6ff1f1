// service/retention/retention_sql.hpp — the statements the retention job runs (retention.hpp).
//
// Each one seeks an index (refresh_tokens_expires_at, refresh_tokens_family_id,
// one_time_tokens_expires_at, the sessions and attachments unique keys), so a
// purge costs what it deletes, never a table scan. Timestamps are the stored
// ISO text (keel/audit/timestamp.hpp), compared as text.
//
//   connection.execute(sql::kDeleteExpiredRefreshTokens, {format_timestamp(now)});
#pragma once

#include "keel/db/statement.hpp"

namespace service::retention::sql {

using keel::db::Statement;

// The sessions that own an expired refresh token: candidates for removal once those tokens are gone.
// No DISTINCT (the caller removes repeats): with it SQLite walks the family_id index instead.
inline constexpr Statement kExpiredRefreshFamilies{
    "retention.expired_refresh_families", "SELECT family_id FROM refresh_tokens WHERE expires_at < $1"};
inline constexpr Statement kDeleteExpiredRefreshTokens{"retention.delete_expired_refresh_tokens",
                                                       "DELETE FROM refresh_tokens WHERE expires_at < $1"};
// A session with no refresh token left can never be refreshed again, and its
// last access token expired with (or before) its last refresh token.
inline constexpr Statement kDeleteTokenlessSession{
    "retention.delete_tokenless_session",
    "DELETE FROM sessions WHERE family_id = $1 "
    "AND NOT EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = $1)"};
// Used tokens go too: a used token is rejected like an expired one, so keeping it past expiry tells nothing.
inline constexpr Statement kDeleteExpiredOneTimeTokens{"retention.delete_expired_one_time_tokens",
                                                       "DELETE FROM one_time_tokens WHERE expires_at < $1"};
inline constexpr Statement kAttachmentByStorageName{
    "retention.attachment_by_storage_name", "SELECT 1 AS found FROM attachments WHERE storage_name = $1"};

// kRetentionStatements lists every statement above, for Database::register_statements.
inline constexpr const Statement* kRetentionStatements[] = {
    &kExpiredRefreshFamilies, &kDeleteExpiredRefreshTokens, &kDeleteTokenlessSession,
    &kDeleteExpiredOneTimeTokens, &kAttachmentByStorageName};

}  // namespace service::retention::sql
