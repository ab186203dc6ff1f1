// service/admin/user_admin.hpp — administrators' view of accounts: models and plain functions.
//
// The HTTP routes (routes.cpp) are thin adapters over these; each takes the
// connection of the caller's transaction.
//
//   auto page = service::admin::list_users(connection, after_id, 50);
//   auto changes = service::admin::update_user(connection, admin_id, target, patch);  // throws ApiError
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/db/connection.hpp"
#include "keel/model/model.hpp"
#include "service/users/user_repository.hpp"

namespace service::admin {

// AdminUserCreate is POST /users' body.
struct AdminUserCreate {
  std::string email;
  std::string password;
  std::optional<std::string> full_name;
  bool is_superuser = false;
  bool is_active = true;

  static constexpr std::string_view kModelName = "AdminUserCreate";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("email", &AdminUserCreate::email, m::length(3, 254), m::email(),
            m::describe("Sign-in address; stored lower case"), m::example("bob@example.com"));
    v.field("password", &AdminUserCreate::password, m::length(1, 1024),
            m::describe("Same policy as registration: 12–128 characters, not guessable"));
    v.field("full_name", &AdminUserCreate::full_name, m::length(1, 200), m::describe("Display name"));
    v.field("is_superuser", &AdminUserCreate::is_superuser, m::default_value(false),
            m::describe("May be granted the admin scope"));
    v.field("is_active", &AdminUserCreate::is_active, m::default_value(true),
            m::describe("False: the account cannot sign in"));
  }
};

// AdminUserUpdate is PATCH /users/{id}'s body: absent members stay as they are.
struct AdminUserUpdate {
  keel::model::Patch<std::string> email;
  keel::model::Patch<std::string> full_name;
  keel::model::Patch<bool> is_active;
  keel::model::Patch<bool> is_superuser;

  static constexpr std::string_view kModelName = "AdminUserUpdate";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("email", &AdminUserUpdate::email, m::not_null(), m::length(3, 254), m::email(),
            m::describe("New sign-in address (marked unverified)"));
    v.field("full_name", &AdminUserUpdate::full_name, m::length(1, 200), m::describe("Display name; null clears it"));
    v.field("is_active", &AdminUserUpdate::is_active, m::not_null(),
            m::describe("False signs the user out everywhere and refuses their tokens and keys"));
    v.field("is_superuser", &AdminUserUpdate::is_superuser, m::not_null(),
            m::describe("Grant or withdraw the admin scope (withdrawing signs the user out)"));
  }
};

// UserPage is GET /users' answer.
struct UserPage {
  std::vector<users::User> items;
  std::optional<std::string> next_cursor;

  static constexpr std::string_view kModelName = "UserPage";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("items", &UserPage::items, m::describe("Accounts in creation order"));
    v.field("next_cursor", &UserPage::next_cursor, m::describe("Pass as `cursor` for the next page; null at the end"));
  }
};

// UserSlice is one page of accounts and whether more follow.
struct UserSlice {
  std::vector<users::User> users;
  bool more = false;
};

// list_users returns up to `limit` accounts whose id sorts after `after_id` ("" for the first page).
UserSlice list_users(keel::db::Connection& connection, std::string_view after_id, std::int64_t limit);

// update_user applies `patch` to `target` as administrator `admin_id`:
// throws ApiError conflict when admins would demote or deactivate themselves,
// email_taken when the address belongs to another account. Revokes the
// user's sessions when they lose access (deactivated or demoted). Returns
// the names of the fields that changed.
std::vector<std::string> update_user(keel::db::Connection& connection, std::string_view admin_id,
                                     users::User& target, const AdminUserUpdate& patch);

}  // namespace service::admin
