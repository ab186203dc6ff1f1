// service/auth/sessions.hpp — sign-in sessions: refresh-token families and whether a token still stands.
//
// A session is created by a password grant. It owns a chain of refresh
// tokens: each use marks the presented token used and issues its successor
// in the same family; presenting a used token again means it was stolen (or
// the client is broken), so the whole family is revoked. Access tokens carry
// the family id as `sid`, so revoking a family also ends its access tokens
// at the next request (is_current, installed as AuthHooks::is_current).
//
//   app.set_auth_hooks({.is_current = [&db](const keel::http::Principal& p) {
//     return service::auth::is_current(db, p);
//   }});
//   auto tokens = sessions.start(conn, user, scopes, client);   // password grant
//   auto next = sessions.refresh(presented, requested_scope, client);  // refresh grant
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/app/app.hpp"
#include "keel/db/database.hpp"
#include "keel/http/request.hpp"
#include "service/users/user_repository.hpp"

namespace service::auth {

// is_current is true iff the principal's user exists and is active and its
// session (if it names one) is not revoked. One primary-key query.
bool is_current(keel::db::Database& database, const keel::http::Principal& principal);

// TokenResponse is the OAuth2 token endpoint's answer (RFC 6749 §5.1).
struct TokenResponse {
  std::string access_token;
  std::string token_type = "bearer";
  std::int64_t expires_in = 0;
  std::string refresh_token;
  std::string scope;

  static constexpr std::string_view kModelName = "TokenResponse";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("access_token", &TokenResponse::access_token,
            m::describe("A JWT (typ at+jwt, HS256) for the Authorization: Bearer header"));
    v.field("token_type", &TokenResponse::token_type, m::describe("Always \"bearer\""), m::example("bearer"));
    v.field("expires_in", &TokenResponse::expires_in,
            m::describe("Seconds the access token is valid (ACCESS_TOKEN_TTL)"), m::example(900));
    v.field("refresh_token", &TokenResponse::refresh_token,
            m::describe("Opaque, single use; exchange it with grant_type=refresh_token before it expires"));
    v.field("scope", &TokenResponse::scope, m::describe("The granted scopes, space-separated"),
            m::example("profile items:read items:write"));
  }
};

// ClientInfo is what the session records about the signing-in client.
struct ClientInfo {
  std::string ip;
  std::optional<std::string> user_agent;
};

// SessionService issues and rotates tokens. Thread-safe (stateless over the database).
class SessionService {
 public:
  SessionService(keel::app::App& app, keel::db::Database& database) : app_(app), database_(database) {}

  // start opens a session for `user` with `scopes` and returns its first tokens.
  TokenResponse start(const users::User& user, const std::vector<std::string>& scopes,
                      const ClientInfo& client) const;
  // refresh exchanges a refresh token (throws the OAuth2 ApiError invalid_grant /
  // invalid_scope); `requested_scope` empty keeps the token's scopes.
  TokenResponse refresh(std::string_view refresh_token, std::string_view requested_scope) const;
  // revoke_by_refresh_token revokes the session the refresh token belongs to, if it is `user_id`'s.
  void revoke_by_refresh_token(std::string_view refresh_token, std::string_view user_id) const;
  // revoke revokes one session of `user_id`.
  void revoke(std::string_view family_id, std::string_view user_id) const;

 private:
  // issue signs an access token and stores refresh token `refresh_id` in the family.
  TokenResponse issue(keel::db::Connection& connection, std::string_view refresh_id, std::string_view user_id,
                      std::string_view family_id, const std::vector<std::string>& scopes) const;

  keel::app::App& app_;
  keel::db::Database& database_;
};

}  // namespace service::auth
