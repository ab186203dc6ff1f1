// service/admin/admin_sql.hpp — the statements only administrators' routes run on `users`.
//
//   connection.execute(sql::kUsersPage, {after_id, limit + 1});
#pragma once

#include "keel/db/statement.hpp"

namespace service::admin::sql {

using keel::db::Statement;

// Keyset page by id: ids are UUIDv7, so this is also creation order.
inline constexpr Statement kUsersPage{
    "admin.users_page",
    "SELECT id, email, full_name, is_active, is_superuser, email_verified, created_at, updated_at FROM users "
    "WHERE id > $1 ORDER BY id LIMIT $2"};
inline constexpr Statement kUpdateUser{
    "admin.update_user",
    "UPDATE users SET email = $2, full_name = $3, is_active = $4, is_superuser = $5, email_verified = $6, "
    "updated_at = $7 WHERE id = $1"};

inline constexpr const Statement* kAdminStatements[] = {&kUsersPage, &kUpdateUser};

}  // namespace service::admin::sql
