#include "service/users/me_routes.hpp"

#include <optional>
#include <string>

#include "keel/app/auth.hpp"
#include "keel/app/json_body.hpp"
#include "keel/audit/audit_log.hpp"
#include "keel/errors/api_error.hpp"
#include "keel/openapi/describe.hpp"
#include "service/audit_events.hpp"
#include "service/auth/one_time_tokens.hpp"
#include "service/users/account_emails.hpp"
#include "service/users/identity_sql.hpp"
#include "service/users/user_repository.hpp"

namespace service::users {
namespace {

namespace m = keel::model;
namespace doc = keel::openapi;
using keel::errors::ApiError;
using keel::errors::ErrorCode;
using keel::http::Method;
using keel::http::Request;
using keel::http::Response;

struct UserUpdate {
  keel::model::Patch<std::string> full_name;
  std::optional<std::string> email;

  static constexpr std::string_view kModelName = "UserUpdate";
  template <class V>
  static void fields(V& v) {
    v.field("full_name", &UserUpdate::full_name, m::length(1, 200),
            m::describe("New display name; null clears it"));
    v.field("email", &UserUpdate::email, m::not_null(), m::email(),
            m::describe("New address: it takes effect once confirmed with the token mailed to it"));
  }
};

struct PasswordChange {
  std::string current_password;
  std::string new_password;

  static constexpr std::string_view kModelName = "PasswordChange";
  template <class V>
  static void fields(V& v) {
    v.field("current_password", &PasswordChange::current_password, m::length(1, 1024));
    v.field("new_password", &PasswordChange::new_password, m::describe("Same policy as at sign-up"));
  }
};

keel::audit::AuditEvent account_event(const Request& request, std::string action,
                                      const std::string& user_id) {
  auto event = service::audit_event(request, std::move(action));
  event.target_type = "user";
  event.target_id = user_id;
  return event;
}

User load_caller(keel::db::Connection& connection, const Request& request) {
  auto user = find_user_by_id(connection, keel::app::principal(request).subject);
  // The auth stage checked the user exists; it may have been deleted since.
  if (!user) throw ApiError(ErrorCode::invalid_token, "The account no longer exists.");
  return *user;
}

Response read_me(ServiceContext& context, const Request& request) {
  auto connection = context.database.acquire();
  return keel::app::json_response(200, load_caller(connection, request));
}

Response update_me(ServiceContext& context, const Request& request) {
  const auto input = keel::app::parse_body<UserUpdate>(request);
  std::optional<std::string> new_email;
  std::string token;
  const auto user = context.database.in_transaction([&](keel::db::Connection& connection) {
    auto current = load_caller(connection, request);
    if (!input.full_name.is_absent()) {
      input.full_name.apply_to(current.full_name);
      current.updated_at = utc_now();
      connection.execute(sql::kSetFullName, {current.id, current.full_name, current.updated_at});
    }
    if (input.email) {
      const auto email = normalize_email(*input.email);
      if (email != current.email) {
        if (find_user_by_email(connection, email)) {
          throw ApiError(ErrorCode::email_taken, "An account with this email address already exists.");
        }
        token = auth::issue_one_time_token(connection, current.id, auth::TokenPurpose::verify_email,
                                           auth::kVerifyEmailTtl, email);
        new_email = email;
        auto event = account_event(request, "user.email_change_requested", current.id);
        keel::audit::record(connection, event);
      }
    }
    return current;
  });
  if (new_email) {
    // To the new address: whoever confirms it proves they receive its mail.
    send_verify_email(context, request, user, *new_email, token);
  }
  return keel::app::json_response(200, user);
}

Response change_password(ServiceContext& context, const Request& request) {
  const auto input = keel::app::parse_body<PasswordChange>(request);
  const auto& caller = keel::app::principal(request);
  const auto stored = [&] {
    auto connection = context.database.acquire();
    auto found = find_stored_user_by_id(connection, caller.subject);
    if (!found) throw ApiError(ErrorCode::invalid_token, "The account no longer exists.");
    return *found;
  }();
  if (!verify_password(context.passwords, stored.password_hash, input.current_password).ok) {
    throw ApiError(ErrorCode::bad_request, "The current password is incorrect.");
  }
  check_new_password(input.new_password, stored.user.email, stored.user.full_name, context.app.settings(),
                     "new_password");
  const auto hash = hash_password(context.passwords, input.new_password);
  context.database.in_transaction([&](keel::db::Connection& connection) {
    set_password_hash(connection, stored.user.id, hash);
    // Every other sign-in ends; the caller's own session stays.
    revoke_sessions(connection, stored.user.id, caller.session_id);
    keel::audit::record(connection, account_event(request, "user.password_change", stored.user.id));
  });
  send_password_changed(context, request, stored.user);
  return Response::no_content();
}

}  // namespace

void register_me_routes(ServiceContext& context) {
  auto& router = context.app.router();
  ServiceContext* ctx = &context;

  router.add(Method::get, "/api/v1/users/me", [ctx](Request& request) { return read_me(*ctx, request); })
      .named("read_me")
      .tagged(kUsersTag)
      .requires_scope("profile")
      .summarized("Your account.")
      .responds(doc::response(200, "The account.", doc::json<User>()));

  router.add(Method::patch, "/api/v1/users/me", [ctx](Request& request) { return update_me(*ctx, request); })
      .named("update_me")
      .tagged(kUsersTag)
      .requires_scope("profile")
      .summarized(
          "Change your name, or ask to change your email (confirmed by a token mailed to the new address).")
      .body(doc::json<UserUpdate>())
      .responds(doc::response(200, "The account as now stored (a new email shows once confirmed).",
                              doc::json<User>()))
      .responds(doc::problem(409, "email_taken: the new address belongs to another account."));

  router
      .add(Method::post, "/api/v1/users/me/password",
           [ctx](Request& request) { return change_password(*ctx, request); })
      .named("change_password")
      .tagged(kUsersTag)
      .status(204)
      .requires_scope("profile")
      .summarized("Change your password; every other session is signed out.")
      .body(doc::json<PasswordChange>())
      .responds(doc::response(204, "Changed."))
      .responds(doc::problem(400, "bad_request: the current password is incorrect."));
}

}  // namespace service::users
