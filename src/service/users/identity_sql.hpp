// service/users/identity_sql.hpp — every statement of the identity tables (migration 0003).
//
// users, sessions (refresh-token families), refresh_tokens and
// one_time_tokens. Each statement is answered from an index (primary key,
// UNIQUE, or the indexes the migration creates), which the EXPLAIN test
// checks; register them with register_identity_statements (user_repository.hpp).
//
//   auto found = conn.execute(service::users::sql::kUserById, {id});
#pragma once

#include "keel/db/statement.hpp"

namespace service::users::sql {

using keel::db::Statement;

inline constexpr Statement kUserById{"users.by_id",
                                     "SELECT id, email, full_name, is_active, is_superuser, email_verified, "
                                     "created_at, updated_at, password_hash"
                                     " FROM users WHERE id = $1"};
inline constexpr Statement kUserByEmail{"users.by_email",
                                        "SELECT id, email, full_name, is_active, is_superuser, "
                                        "email_verified, created_at, updated_at, password_hash"
                                        " FROM users WHERE email = $1"};
inline constexpr Statement kInsertUser{
    "users.insert",
    "INSERT INTO users (id, email, full_name, password_hash, is_active, is_superuser, email_verified, "
    "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"};
inline constexpr Statement kSetFullName{"users.set_full_name",
                                        "UPDATE users SET full_name = $2, updated_at = $3 WHERE id = $1"};
inline constexpr Statement kSetPasswordHash{
    "users.set_password_hash", "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1"};
inline constexpr Statement kVerifyEmail{
    "users.verify_email", "UPDATE users SET email = $2, email_verified = $3, updated_at = $4 WHERE id = $1"};
inline constexpr Statement kPromoteSuperuser{
    "users.promote_superuser",
    "UPDATE users SET is_superuser = $2, is_active = $2, updated_at = $3 WHERE id = $1"};
// kUserIsCurrent answers AuthHooks::is_current in one primary-key lookup
// (and one more on sessions' primary key when the token names a session).
inline constexpr Statement kUserIsCurrent{
    "users.is_current",
    "SELECT u.is_active, s.family_id, s.revoked_at FROM users u "
    "LEFT JOIN sessions s ON s.family_id = $2 AND s.user_id = u.id WHERE u.id = $1"};

inline constexpr Statement kInsertSession{
    "sessions.insert",
    "INSERT INTO sessions (family_id, user_id, created_at, last_used_at, client_ip, user_agent) "
    "VALUES ($1, $2, $3, $3, $4, $5)"};
inline constexpr Statement kTouchSession{"sessions.touch",
                                         "UPDATE sessions SET last_used_at = $2 WHERE family_id = $1"};
inline constexpr Statement kRevokeSession{
    "sessions.revoke",
    "UPDATE sessions SET revoked_at = $3 WHERE family_id = $1 AND user_id = $2 AND revoked_at IS NULL"};
inline constexpr Statement kRevokeOtherSessions{
    "sessions.revoke_others",
    "UPDATE sessions SET revoked_at = $3 WHERE user_id = $1 AND family_id <> $2 AND revoked_at IS NULL"};

inline constexpr Statement kInsertRefreshToken{
    "refresh_tokens.insert",
    "INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, scope, expires_at, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)"};
// kRefreshTokenByHash also reads the family's revocation, so one lookup decides.
inline constexpr Statement kRefreshTokenByHash{
    "refresh_tokens.by_hash",
    "SELECT r.id, r.family_id, r.user_id, r.scope, r.expires_at, r.used_at, s.revoked_at AS "
    "family_revoked_at "
    "FROM refresh_tokens r JOIN sessions s ON s.family_id = r.family_id WHERE r.token_hash = $1"};
// kMarkRefreshTokenUsed succeeds (one row) for exactly one of two concurrent rotations.
inline constexpr Statement kMarkRefreshTokenUsed{
    "refresh_tokens.mark_used",
    "UPDATE refresh_tokens SET used_at = $2, replaced_by = $3 WHERE id = $1 AND used_at IS NULL"};

inline constexpr Statement kInsertOneTimeToken{
    "one_time_tokens.insert",
    "INSERT INTO one_time_tokens (id, user_id, purpose, token_hash, new_email, expires_at, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)"};
inline constexpr Statement kOneTimeTokenByHash{
    "one_time_tokens.by_hash",
    "SELECT id, user_id, purpose, new_email, expires_at, used_at FROM one_time_tokens WHERE token_hash = $1"};
inline constexpr Statement kMarkOneTimeTokenUsed{
    "one_time_tokens.mark_used", "UPDATE one_time_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL"};
// kRetireOneTimeTokens voids a user's outstanding tokens of one purpose (a new
// request supersedes older ones; a reset voids other reset links).
inline constexpr Statement kRetireOneTimeTokens{
    "one_time_tokens.retire",
    "UPDATE one_time_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL"};

inline constexpr const Statement* kIdentityStatements[] = {
    &kUserById,           &kUserByEmail,          &kInsertUser,           &kSetFullName,
    &kSetPasswordHash,    &kVerifyEmail,          &kPromoteSuperuser,     &kUserIsCurrent,
    &kInsertSession,      &kTouchSession,         &kRevokeSession,        &kRevokeOtherSessions,
    &kInsertRefreshToken, &kRefreshTokenByHash,   &kMarkRefreshTokenUsed, &kInsertOneTimeToken,
    &kOneTimeTokenByHash, &kMarkOneTimeTokenUsed, &kRetireOneTimeTokens,
};

}  // namespace service::users::sql
