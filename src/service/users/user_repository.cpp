#include "service/users/user_repository.hpp"

#include <chrono>

#include "keel/audit/timestamp.hpp"
#include "keel/db/error.hpp"
#include "keel/errors/api_error.hpp"
#include "keel/security/random.hpp"
#include "service/users/identity_sql.hpp"

namespace service::users {
namespace {

using keel::errors::ApiError;
using keel::errors::ErrorCode;

StoredUser stored_from_row(const keel::db::Row& row) {
  return {user_from_row(row), row.get<std::string>("password_hash")};
}

// hasher_busy is the answer when a login flood holds every hashing slot:
// come back shortly, rather than queueing without bound.
ApiError hasher_busy() {
  return std::move(ApiError(ErrorCode::service_unavailable, "The server is busy; try again shortly.")
                       .with_header("Retry-After", "1"));
}

}  // namespace

void register_identity_statements(keel::db::Database& database) {
  database.register_statements(sql::kIdentityStatements);
}

std::string utc_now() { return keel::audit::now_timestamp(); }

std::string utc_from_unix(std::int64_t seconds) {
  return keel::audit::format_timestamp(std::chrono::system_clock::time_point(std::chrono::seconds(seconds)));
}

std::string normalize_email(std::string_view email) {
  const auto first = email.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  email = email.substr(first, email.find_last_not_of(" \t\r\n") - first + 1);
  std::string out(email);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

User user_from_row(const keel::db::Row& row) {
  return User{
      .id = row.get<std::string>("id"),
      .email = row.get<std::string>("email"),
      .full_name = row.get<std::optional<std::string>>("full_name"),
      .is_active = row.get<bool>("is_active"),
      .is_superuser = row.get<bool>("is_superuser"),
      .email_verified = row.get<bool>("email_verified"),
      .created_at = row.get<std::string>("created_at"),
      .updated_at = row.get<std::string>("updated_at"),
  };
}

std::string user_json(const User& user) { return keel::model::to_json_text(user); }

std::optional<User> find_user_by_id(keel::db::Connection& connection, std::string_view id) {
  auto row = connection.execute(sql::kUserById, {id}).first();
  if (!row) return std::nullopt;
  return user_from_row(*row);
}

std::optional<StoredUser> find_stored_user_by_id(keel::db::Connection& connection, std::string_view id) {
  auto row = connection.execute(sql::kUserById, {id}).first();
  if (!row) return std::nullopt;
  return stored_from_row(*row);
}

std::optional<StoredUser> find_user_by_email(keel::db::Connection& connection, std::string_view email) {
  auto row = connection.execute(sql::kUserByEmail, {email}).first();
  if (!row) return std::nullopt;
  return stored_from_row(*row);
}

User insert_user(keel::db::Connection& connection, const NewUser& user) {
  User created{.id = keel::security::uuid_v7(),
               .email = user.email,
               .full_name = user.full_name,
               .is_active = true,
               .is_superuser = user.is_superuser,
               .email_verified = user.email_verified,
               .created_at = utc_now(),
               .updated_at = {}};
  created.updated_at = created.created_at;
  try {
    connection.execute(sql::kInsertUser,
                       {created.id, created.email, created.full_name, user.password_hash, created.is_active,
                        created.is_superuser, created.email_verified, created.created_at});
  } catch (const keel::db::DatabaseError& e) {
    if (e.kind() == keel::db::ErrorKind::constraint_unique) {
      throw ApiError(ErrorCode::email_taken, "An account with this email address already exists.");
    }
    throw;
  }
  return created;
}

void set_password_hash(keel::db::Connection& connection, std::string_view user_id, std::string_view hash) {
  connection.execute(sql::kSetPasswordHash, {user_id, hash, utc_now()});
}

void revoke_sessions(keel::db::Connection& connection, std::string_view user_id,
                     std::string_view keep_session_id) {
  // No family id is empty, so "" keeps nothing.
  connection.execute(sql::kRevokeOtherSessions, {user_id, keep_session_id, utc_now()});
}

std::string hash_password(const keel::security::PasswordHasher& hasher, std::string_view password) {
  try {
    return hasher.hash(password);
  } catch (const keel::security::HasherBusy&) {
    throw hasher_busy();
  }
}

keel::security::PasswordCheck verify_password(const keel::security::PasswordHasher& hasher,
                                              std::string_view stored, std::string_view password) {
  try {
    return hasher.verify(stored, password);
  } catch (const keel::security::HasherBusy&) {
    throw hasher_busy();
  }
}

void verify_no_password(const keel::security::PasswordHasher& hasher, std::string_view password) {
  try {
    hasher.verify_dummy(password);
  } catch (const keel::security::HasherBusy&) {
    throw hasher_busy();
  }
}

keel::security::PasswordPolicy password_policy(const keel::config::Settings& settings) {
  return {.min_entropy_bits = static_cast<double>(settings.password_min_entropy_bits)};
}

void check_new_password(std::string_view password, std::string_view email,
                        const std::optional<std::string>& full_name, const keel::config::Settings& settings,
                        std::string_view field) {
  const auto verdict = keel::security::check_password(
      password, {.email = email, .full_name = full_name ? std::string_view(*full_name) : std::string_view()},
      password_policy(settings));
  if (verdict.ok) return;
  throw ApiError(
      ErrorCode::validation_error, "The password does not meet the password policy.",
      {keel::errors::FieldError{{std::string("body"), std::string(field)}, verdict.message, verdict.type}});
}

}  // namespace service::users
