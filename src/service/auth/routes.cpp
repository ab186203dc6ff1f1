#include "service/auth/routes.hpp"

#include <memory>
#include <optional>
#include <string>

#include "keel/app/auth.hpp"
#include "keel/app/json_body.hpp"
#include "keel/audit/audit_log.hpp"
#include "keel/errors/api_error.hpp"
#include "keel/observability/metrics.hpp"
#include "keel/openapi/describe.hpp"
#include "service/audit_events.hpp"
#include "service/auth/login_throttle.hpp"
#include "service/auth/oauth.hpp"
#include "service/auth/one_time_tokens.hpp"
#include "service/auth/sessions.hpp"
#include "service/auth/token_form.hpp"
#include "service/users/account_emails.hpp"
#include "service/users/identity_sql.hpp"
#include "service/users/me_routes.hpp"
#include "service/users/user_repository.hpp"

namespace service::auth {
namespace {

namespace m = keel::model;
namespace doc = keel::openapi;
using keel::errors::ApiError;
using keel::errors::ErrorCode;
using keel::http::Method;
using keel::http::Request;
using keel::http::Response;

constexpr keel::http::Tag kAuthTag{
    "auth", "Sign-up, OAuth2 tokens (password and refresh_token grants), sign-out, password recovery."};

// kLoginSunset is when the FastAPI-compatible alias /login/access-token goes away.
constexpr std::string_view kLoginSunset = "Tue, 01 Jun 2027 00:00:00 GMT";

// kBadCredentials is the one answer for an unknown email and a wrong password.
constexpr std::string_view kBadCredentials = "Incorrect email or password.";

struct RegisterRequest {
  std::string email;
  std::string password;
  std::optional<std::string> full_name;

  static constexpr std::string_view kModelName = "RegisterRequest";
  template <class V>
  static void fields(V& v) {
    v.field("email", &RegisterRequest::email, m::email(), m::describe("Sign-in address (stored lower case)"));
    v.field("password", &RegisterRequest::password,
            m::describe("12–128 characters, any Unicode; refused when easy to guess (zxcvbn)"));
    v.field("full_name", &RegisterRequest::full_name, m::length(1, 200), m::describe("Display name"));
  }
};

struct LogoutRequest {
  std::string refresh_token;

  static constexpr std::string_view kModelName = "LogoutRequest";
  template <class V>
  static void fields(V& v) {
    v.field("refresh_token", &LogoutRequest::refresh_token, m::length(1, 512),
            m::describe("The session's current refresh token"));
  }
};

struct RecoveryRequest {
  std::string email;

  static constexpr std::string_view kModelName = "PasswordRecoveryRequest";
  template <class V>
  static void fields(V& v) {
    v.field("email", &RecoveryRequest::email, m::email(), m::describe("The account's address"));
  }
};

struct ResetPasswordRequest {
  std::string token;
  std::string new_password;

  static constexpr std::string_view kModelName = "ResetPasswordRequest";
  template <class V>
  static void fields(V& v) {
    v.field("token", &ResetPasswordRequest::token, m::length(1, 512), m::describe("From the reset email"));
    v.field("new_password", &ResetPasswordRequest::new_password, m::describe("Same policy as at sign-up"));
  }
};

struct VerifyEmailRequest {
  std::string token;

  static constexpr std::string_view kModelName = "VerifyEmailRequest";
  template <class V>
  static void fields(V& v) {
    v.field("token", &VerifyEmailRequest::token, m::length(1, 512),
            m::describe("From the verification email"));
  }
};

struct Accepted {
  std::string detail;

  static constexpr std::string_view kModelName = "PasswordRecoveryAccepted";
  template <class V>
  static void fields(V& v) {
    v.field("detail", &Accepted::detail, m::describe("What happens next"));
  }
};

// Identity is what the auth handlers share; it lives as long as the routes.
struct Identity {
  ServiceContext& context;
  SessionService sessions;
  LoginThrottle throttle;
  // keel_auth_login_failures_total{reason}: bad_credentials, locked_out, disabled (SPEC §6).
  keel::observability::CounterFamily& login_failures;

  void count_login_failure(std::string_view reason) const { login_failures.labels({reason}).inc(); }

  const keel::config::Settings& settings() const { return context.app.settings(); }
};

// account_event is an audit event about account `user_id` (the actor too, when known).
keel::audit::AuditEvent account_event(const Request& request, std::string action,
                                      keel::audit::Outcome outcome, std::optional<std::string> user_id) {
  auto event = service::audit_event(request, std::move(action), outcome);
  if (!event.actor_id) event.actor_id = user_id;
  if (user_id) event.target_type = "user";
  event.target_id = std::move(user_id);
  return event;
}

// no_store marks a response that carries credentials (RFC 6749 §5.1).
Response no_store(Response response) {
  return std::move(response).with_header("Cache-Control", "no-store").with_header("Pragma", "no-cache");
}

TokenResponse password_grant(const Identity& identity, const TokenForm& form, const Request& request) {
  if (form.username.empty() || form.password.empty()) {
    throw oauth_error(ErrorCode::invalid_request, "The password grant needs username and password.");
  }
  // Unknown scope names are refused before any work; whether this account
  // may hold them is decided only after its password is proven.
  grant_scopes(true, form.scope);
  const auto email = users::normalize_email(form.username);
  const auto& ip = request.context.client_ip;
  if (const auto wait = identity.throttle.locked(email, ip)) {
    identity.count_login_failure("locked_out");
    throw std::move(ApiError(ErrorCode::rate_limited, "Too many failed sign-in attempts; try again later.")
                        .with_header("Retry-After", std::to_string(*wait)));
  }
  auto& database = identity.context.database;
  const auto stored = [&] {
    auto connection = database.acquire();
    return users::find_user_by_email(connection, email);
  }();
  bool ok = false;
  if (stored) {
    const auto check =
        users::verify_password(identity.context.passwords, stored->password_hash, form.password);
    ok = check.ok;
    if (ok && check.needs_rehash) {
      auto connection = database.acquire();
      users::set_password_hash(connection, stored->user.id,
                               users::hash_password(identity.context.passwords, form.password));
    }
  } else {
    users::verify_no_password(identity.context.passwords, form.password);
  }
  if (!ok) {
    identity.throttle.record_failure(email, ip);
    identity.count_login_failure("bad_credentials");
    keel::audit::record(database, account_event(request, "auth.login", keel::audit::Outcome::failure,
                                                stored ? std::optional(stored->user.id) : std::nullopt));
    throw oauth_error(ErrorCode::invalid_grant, std::string(kBadCredentials));
  }
  identity.throttle.record_success(email);
  if (!stored->user.is_active) {
    identity.count_login_failure("disabled");
    keel::audit::record(database,
                        account_event(request, "auth.login", keel::audit::Outcome::denied, stored->user.id));
    throw oauth_error(ErrorCode::invalid_grant, "The account is disabled.");
  }
  const auto scopes = grant_scopes(stored->user.is_superuser, form.scope);
  ClientInfo client{.ip = ip, .user_agent = std::nullopt};
  if (const auto agent = request.header("User-Agent")) client.user_agent = std::string(agent->substr(0, 256));
  auto tokens = identity.sessions.start(stored->user, scopes, client);
  keel::audit::record(database,
                      account_event(request, "auth.login", keel::audit::Outcome::success, stored->user.id));
  return tokens;
}

Response token_endpoint(const Identity& identity, const Request& request, bool password_only) {
  const auto form = parse_token_form(request.body);
  // FastAPI's OAuth2PasswordRequestForm treats a form without grant_type as the
  // password grant; clients written for it send none, so a username or password
  // alone means the same here (RFC 6749 clients always send grant_type).
  const bool implied_password = form.grant_type.empty() && (password_only || !form.username.empty() ||
                                                            !form.password.empty());
  if (form.grant_type.empty() && !implied_password) {
    throw oauth_error(ErrorCode::invalid_request, "grant_type is required.");
  }
  TokenResponse tokens;
  if (form.grant_type == "password" || implied_password) {
    tokens = password_grant(identity, form, request);
  } else if (form.grant_type == "refresh_token" && !password_only) {
    if (form.refresh_token.empty()) {
      throw oauth_error(ErrorCode::invalid_request, "The refresh_token grant needs refresh_token.");
    }
    grant_scopes(true, form.scope);
    try {
      tokens = identity.sessions.refresh(form.refresh_token, form.scope);
    } catch (const ApiError& error) {
      if (error.code() == ErrorCode::invalid_grant) {
        keel::audit::record(
            identity.context.database,
            account_event(request, "auth.refresh", keel::audit::Outcome::failure, std::nullopt));
      }
      throw;
    }
  } else {
    throw oauth_error(ErrorCode::unsupported_grant_type,
                      password_only ? "This endpoint supports grant_type=password only."
                                    : "grant_type must be password or refresh_token.");
  }
  return no_store(keel::app::json_response(200, tokens));
}

Response register_user(const Identity& identity, const Request& request) {
  auto input = keel::app::parse_body<RegisterRequest>(request);
  const auto email = users::normalize_email(input.email);
  users::check_new_password(input.password, email, input.full_name, identity.settings(), "password");
  const auto hash = users::hash_password(identity.context.passwords, input.password);
  std::string token;
  const auto user = identity.context.database.in_transaction([&](keel::db::Connection& connection) {
    auto created =
        users::insert_user(connection, {.email = email, .full_name = input.full_name, .password_hash = hash});
    token = issue_one_time_token(connection, created.id, TokenPurpose::verify_email, kVerifyEmailTtl);
    keel::audit::record(connection,
                        account_event(request, "auth.register", keel::audit::Outcome::success, created.id));
    return created;
  });
  users::send_verify_email(identity.context, request, user, user.email, token);
  return keel::app::json_response(201, user);
}

Response logout(const Identity& identity, const Request& request) {
  const auto input = keel::app::parse_body<LogoutRequest>(request);
  const auto& caller = keel::app::principal(request);
  identity.sessions.revoke_by_refresh_token(input.refresh_token, caller.subject);
  if (caller.credential == keel::http::Principal::Credential::bearer) {
    if (!caller.session_id.empty()) identity.sessions.revoke(caller.session_id, caller.subject);
    if (!identity.context.app.revoke_access_token(caller.token_id, caller.expires_at)) {
      throw std::move(ApiError(ErrorCode::service_unavailable, "Sign-out could not be completed; try again.")
                          .with_header("Retry-After", "1"));
    }
  }
  keel::audit::record(identity.context.database,
                      account_event(request, "auth.logout", keel::audit::Outcome::success, caller.subject));
  return Response::no_content();
}

Response password_recovery(const Identity& identity, const Request& request) {
  const auto input = keel::app::parse_body<RecoveryRequest>(request);
  const auto email = users::normalize_email(input.email);
  std::optional<users::StoredUser> stored;
  std::string token;
  identity.context.database.in_transaction([&](keel::db::Connection& connection) {
    stored = users::find_user_by_email(connection, email);
    if (!stored || !stored->user.is_active) return;
    token =
        issue_one_time_token(connection, stored->user.id, TokenPurpose::password_reset, kPasswordResetTtl);
    keel::audit::record(connection, account_event(request, "auth.password_recovery",
                                                  keel::audit::Outcome::success, stored->user.id));
  });
  if (!token.empty()) {
    users::send_password_reset(identity.context, request, stored->user, token);
  }
  // The same answer whether or not the account exists.
  return keel::app::json_response(
      202, Accepted{"If an account with this address exists, a password reset link has been sent to it."});
}

Response reset_password(const Identity& identity, const Request& request) {
  const auto input = keel::app::parse_body<ResetPasswordRequest>(request);
  auto& database = identity.context.database;
  // Read first (without consuming) to apply the policy with the owner's words,
  // then hash outside any transaction; the token is consumed with the change.
  const auto bad_token = [] {
    return ApiError(ErrorCode::bad_request, "The reset token is invalid, expired or already used.");
  };
  const auto owner = [&]() -> std::optional<users::User> {
    auto connection = database.acquire();
    const auto found = peek_one_time_token(connection, input.token, TokenPurpose::password_reset);
    return found ? users::find_user_by_id(connection, found->user_id) : std::nullopt;
  }();
  if (!owner) throw bad_token();
  users::check_new_password(input.new_password, owner->email, owner->full_name, identity.settings(),
                            "new_password");
  const auto hash = users::hash_password(identity.context.passwords, input.new_password);
  database.in_transaction([&](keel::db::Connection& connection) {
    const auto redeemed = redeem_one_time_token(connection, input.token, TokenPurpose::password_reset);
    if (!redeemed || redeemed->user_id != owner->id) throw bad_token();
    users::set_password_hash(connection, owner->id, hash);
    users::revoke_sessions(connection, owner->id);
    keel::audit::record(
        connection, account_event(request, "auth.password_reset", keel::audit::Outcome::success, owner->id));
  });
  identity.throttle.clear(owner->email);
  users::send_password_changed(identity.context, request, *owner);
  return Response::no_content();
}

Response verify_email(const Identity& identity, const Request& request) {
  const auto input = keel::app::parse_body<VerifyEmailRequest>(request);
  identity.context.database.in_transaction([&](keel::db::Connection& connection) {
    const auto redeemed = redeem_one_time_token(connection, input.token, TokenPurpose::verify_email);
    const auto user = redeemed ? users::find_user_by_id(connection, redeemed->user_id) : std::nullopt;
    if (!user)
      throw ApiError(ErrorCode::bad_request, "The verification token is invalid, expired or already used.");
    const auto email = redeemed->new_email.value_or(user->email);
    try {
      connection.execute(users::sql::kVerifyEmail, {user->id, email, true, users::utc_now()});
    } catch (const keel::db::DatabaseError& e) {
      if (e.kind() != keel::db::ErrorKind::constraint_unique) throw;
      throw ApiError(ErrorCode::email_taken, "An account with this email address already exists.");
    }
    auto event = account_event(request, redeemed->new_email ? "auth.email_change" : "auth.email_verify",
                               keel::audit::Outcome::success, user->id);
    keel::audit::record(connection, event);
  });
  return Response::no_content();
}

}  // namespace

void register_identity_routes(ServiceContext& context) {
  users::register_identity_statements(context.database);
  const auto& settings = context.app.settings();
  auto identity = std::make_shared<Identity>(
      Identity{.context = context,
               .sessions = SessionService(context.app, context.database),
               .throttle = LoginThrottle(context.app.shared_store(),
                                         {.max_failures = settings.login_max_failures,
                                          .lockout = std::chrono::seconds(settings.login_lockout_seconds)}),
               .login_failures = context.app.metrics().counter(
                   "keel_auth_login_failures_total",
                   "Failed password sign-ins by reason: bad_credentials, locked_out, disabled.", {"reason"})});
  // Every reason is exported from the start (at 0), so rate() sees the first failure.
  for (const std::string_view reason : {"bad_credentials", "locked_out", "disabled"}) {
    identity->login_failures.labels({reason});
  }
  auto& router = context.app.router();

  router
      .add(Method::post, "/api/v1/auth/register",
           [identity](Request& request) { return register_user(*identity, request); })
      .named("register")
      .tagged(kAuthTag)
      .status(201)
      .summarized("Create an account; a verification email is sent.")
      .body(doc::json(RegisterRequest{
          .email = "ann@example.com", .password = "correct horse battery staple", .full_name = "Ann Lee"}))
      .responds(doc::response(201, "The new account.", doc::json<users::User>()))
      .responds(doc::problem(409, "email_taken: an account with this email already exists."));

  const auto token_doc = [](keel::http::Route& route) -> keel::http::Route& {
    return route.tagged(kAuthTag)
        .body(doc::form<TokenForm>())
        .responds(doc::response(200, "Tokens (Cache-Control: no-store).", doc::json<TokenResponse>()))
        .responds(doc::problem(400,
                               "OAuth2 error (also in `error`/`error_description`): invalid_request, "
                               "invalid_grant, invalid_scope or unsupported_grant_type."))
        .responds(doc::problem(429, "rate_limited: too many failed sign-ins; see Retry-After."));
  };
  token_doc(router
                .add(Method::post, "/api/v1/auth/token",
                     [identity](Request& request) { return token_endpoint(*identity, request, false); })
                .named("token")
                .summarized("OAuth2 token endpoint: password or refresh_token grant.")
                .described("The password grant is kept for OAuth2-password clients such as Swagger UI's "
                           "Authorize dialog, although RFC 9700 discourages it (see docs/security.md)."));
  token_doc(
      router
          .add(Method::post, "/login/access-token",
               [identity](Request& request) { return token_endpoint(*identity, request, true); })
          .named("login_access_token")
          .summarized("Deprecated alias of /api/v1/auth/token (password grant), as in FastAPI's template.")
          .deprecate(std::string(kLoginSunset)));

  router
      .add(Method::post, "/api/v1/auth/logout",
           [identity](Request& request) { return logout(*identity, request); })
      .named("logout")
      .tagged(kAuthTag)
      .status(204)
      .requires_auth()
      .summarized("Sign out: revoke the refresh token's session and the current access token.")
      .body(doc::json<LogoutRequest>())
      .responds(doc::response(204, "Signed out."));

  router
      .add(Method::post, "/api/v1/auth/password-recovery",
           [identity](Request& request) { return password_recovery(*identity, request); })
      .named("password_recovery")
      .tagged(kAuthTag)
      .status(202)
      .summarized("Email a single-use password reset token (valid 30 minutes) if the account exists.")
      .body(doc::json(RecoveryRequest{.email = "ann@example.com"}))
      .responds(doc::response(202, "Always, whether or not the account exists.", doc::json<Accepted>()));

  router
      .add(Method::post, "/api/v1/auth/reset-password",
           [identity](Request& request) { return reset_password(*identity, request); })
      .named("reset_password")
      .tagged(kAuthTag)
      .status(204)
      .summarized("Set a new password with a reset token; every session of the account is revoked.")
      .body(doc::json<ResetPasswordRequest>())
      .responds(doc::response(204, "Password changed."))
      .responds(doc::problem(400, "bad_request: the token is invalid, expired or already used."));

  router
      .add(Method::post, "/api/v1/auth/verify-email",
           [identity](Request& request) { return verify_email(*identity, request); })
      .named("verify_email")
      .tagged(kAuthTag)
      .status(204)
      .summarized("Confirm an email address (after sign-up or an email change) with its token.")
      .body(doc::json<VerifyEmailRequest>())
      .responds(doc::response(204, "Verified."))
      .responds(doc::problem(400, "bad_request: the token is invalid, expired or already used."))
      .responds(doc::problem(409, "email_taken: the new address was taken meanwhile."));

  users::register_me_routes(context);
}

}  // namespace service::auth
