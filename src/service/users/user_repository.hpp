// service/users/user_repository.hpp — the users table: the User model, its JSON, and its queries.
//
// User is the one public representation of an account (GET /users/me, admin
// CRUD, registration): it never holds the password hash, which travels only
// in StoredUser. Every query is a named Statement (users_sql.hpp) run on a
// connection the caller borrows, so a handler can group several in one
// transaction.
//
//   auto conn = context.database.acquire();
//   if (auto user = service::users::find_user_by_id(conn, id)) {
//     return keel::app::json_response(200, *user);            // or user_json(*user)
//   }
//   auto created = service::users::insert_user(conn, {.email = normalize_email(raw), .password_hash = h});
//   service::users::check_new_password(password, email, full_name, settings, "password");  // 422 if weak
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "keel/config/settings.hpp"
#include "keel/db/connection.hpp"
#include "keel/db/database.hpp"
#include "keel/db/row.hpp"
#include "keel/model/model.hpp"
#include "keel/security/password_hasher.hpp"
#include "keel/security/password_policy.hpp"

namespace service::users {

// User is an account as clients see it. Timestamps are ISO 8601 UTC with
// milliseconds and a 'Z' ("2026-11-27T10:15:00.123Z"), stored as the same text.
struct User {
  std::string id;     // UUIDv7
  std::string email;  // lower case
  std::optional<std::string> full_name;
  bool is_active = true;
  bool is_superuser = false;
  bool email_verified = false;
  std::string created_at;
  std::string updated_at;

  static constexpr std::string_view kModelName = "User";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("id", &User::id, m::read_only(), m::describe("Opaque identifier (UUIDv7)"));
    v.field("email", &User::email, m::describe("Sign-in address, lower case"), m::example("ann@example.com"));
    v.field("full_name", &User::full_name, m::describe("Display name"), m::example("Ann Lee"));
    v.field("is_active", &User::is_active, m::describe("False: the account cannot sign in"));
    v.field("is_superuser", &User::is_superuser, m::describe("May be granted the admin scope"));
    v.field("email_verified", &User::email_verified, m::describe("The address was confirmed by email"));
    v.field("created_at", &User::created_at, m::read_only(), m::describe("ISO 8601 UTC"));
    v.field("updated_at", &User::updated_at, m::read_only(), m::describe("ISO 8601 UTC"));
  }
};

// StoredUser is a row of `users` with the fields that never leave the server.
struct StoredUser {
  User user;
  std::string password_hash;  // Argon2id PHC string
};

// NewUser is what insert_user writes; id and timestamps are filled in.
struct NewUser {
  std::string email;  // already normalised (normalize_email)
  std::optional<std::string> full_name;
  std::string password_hash;
  bool is_superuser = false;
  bool email_verified = false;
};

// register_identity_statements adds every users/auth statement to the
// database's catalog (idempotent; call before serving or running a command).
void register_identity_statements(keel::db::Database& database);

// utc_now returns the current time as stored and rendered: "YYYY-MM-DDTHH:MM:SS.mmmZ"
// (keel/audit/timestamp.hpp's form, shared by every table).
std::string utc_now();
// utc_from_unix renders Unix seconds in the same format.
std::string utc_from_unix(std::int64_t seconds);

// normalize_email trims surrounding whitespace and lower-cases ASCII letters.
std::string normalize_email(std::string_view email);

// user_from_row reads a User from a row with the columns id, email,
// full_name, is_active, is_superuser, email_verified, created_at, updated_at.
User user_from_row(const keel::db::Row& row);

// user_json serialises a user as every endpoint returns it.
std::string user_json(const User& user);

// find_user_by_id returns the user, or std::nullopt.
std::optional<User> find_user_by_id(keel::db::Connection& connection, std::string_view id);
// find_stored_user_by_id also returns the password hash.
std::optional<StoredUser> find_stored_user_by_id(keel::db::Connection& connection, std::string_view id);
// find_user_by_email looks an account up by its normalised email.
std::optional<StoredUser> find_user_by_email(keel::db::Connection& connection, std::string_view email);

// insert_user creates an account; throws ApiError email_taken (409) when the email is in use.
User insert_user(keel::db::Connection& connection, const NewUser& user);

// set_password_hash replaces the user's hash (and touches updated_at).
void set_password_hash(keel::db::Connection& connection, std::string_view user_id, std::string_view hash);

// revoke_sessions revokes every session (refresh-token family) of the user
// except `keep_session_id` ("" revokes all): password change/reset, deactivation.
void revoke_sessions(keel::db::Connection& connection, std::string_view user_id,
                     std::string_view keep_session_id = {});

// hash_password hashes with the bounded Argon2id hasher; throws ApiError
// service_unavailable (503 + Retry-After) when every hashing slot stays busy.
std::string hash_password(const keel::security::PasswordHasher& hasher, std::string_view password);
// verify_password checks `password` against `stored` (503 like hash_password);
// when ok && needs_rehash, store hash_password(password) again.
keel::security::PasswordCheck verify_password(const keel::security::PasswordHasher& hasher,
                                              std::string_view stored, std::string_view password);
// verify_no_password spends a verify's time for an account that does not exist.
void verify_no_password(const keel::security::PasswordHasher& hasher, std::string_view password);

// password_policy builds the policy from PASSWORD_MIN_ENTROPY_BITS.
keel::security::PasswordPolicy password_policy(const keel::config::Settings& settings);

// check_new_password throws ApiError validation_error (422, loc ["body", field])
// when `password` breaks the policy for an account with this email and name.
void check_new_password(std::string_view password, std::string_view email,
                        const std::optional<std::string>& full_name, const keel::config::Settings& settings,
                        std::string_view field);

}  // namespace service::users
