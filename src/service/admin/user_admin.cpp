#include "service/admin/user_admin.hpp"

#include "keel/db/error.hpp"
#include "keel/errors/api_error.hpp"
#include "service/admin/admin_sql.hpp"

namespace service::admin {

using keel::errors::ApiError;
using keel::errors::ErrorCode;

UserSlice list_users(keel::db::Connection& connection, std::string_view after_id, std::int64_t limit) {
  UserSlice slice;
  // One row more than asked says whether another page follows.
  for (const auto& row : connection.execute(sql::kUsersPage, {after_id, limit + 1})) {
    if (static_cast<std::int64_t>(slice.users.size()) == limit) {
      slice.more = true;
      break;
    }
    slice.users.push_back(users::user_from_row(row));
  }
  return slice;
}

std::vector<std::string> update_user(keel::db::Connection& connection, std::string_view admin_id,
                                     users::User& target, const AdminUserUpdate& patch) {
  const bool self = target.id == admin_id;
  if (self && ((patch.is_active.has_value() && !patch.is_active.value()) ||
               (patch.is_superuser.has_value() && !patch.is_superuser.value()))) {
    throw ApiError(ErrorCode::conflict,
                   "Administrators cannot deactivate or demote themselves; ask another administrator.");
  }
  const users::User before = target;
  if (patch.email.has_value()) {
    const std::string email = users::normalize_email(patch.email.value());
    if (email != target.email) {
      target.email = email;
      target.email_verified = false;
    }
  }
  patch.full_name.apply_to(target.full_name);
  if (patch.is_active.has_value()) target.is_active = patch.is_active.value();
  if (patch.is_superuser.has_value()) target.is_superuser = patch.is_superuser.value();

  std::vector<std::string> changed;
  if (target.email != before.email) changed.emplace_back("email");
  if (target.full_name != before.full_name) changed.emplace_back("full_name");
  if (target.is_active != before.is_active) changed.emplace_back("is_active");
  if (target.is_superuser != before.is_superuser) changed.emplace_back("is_superuser");
  if (changed.empty()) return changed;

  target.updated_at = users::utc_now();
  try {
    connection.execute(sql::kUpdateUser, {target.id, target.email, target.full_name, target.is_active,
                                          target.is_superuser, target.email_verified, target.updated_at});
  } catch (const keel::db::DatabaseError& error) {
    if (error.kind() == keel::db::ErrorKind::constraint_unique) {
      throw ApiError(ErrorCode::email_taken, "An account with this email already exists.");
    }
    throw;
  }
  if ((before.is_active && !target.is_active) || (before.is_superuser && !target.is_superuser)) {
    users::revoke_sessions(connection, target.id);
  }
  return changed;
}

}  // namespace service::admin
