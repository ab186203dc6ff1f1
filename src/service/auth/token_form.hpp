// service/auth/token_form.hpp — the OAuth2 token request (application/x-www-form-urlencoded).
//
// RFC 6749 §3.2: parameters sent without a value are treated as omitted, and
// a parameter must not repeat. client_id / client_secret (Swagger UI sends
// them empty) and HTTP Basic client credentials are accepted and ignored:
// Keel's clients are public clients.
//
//   TokenForm form = parse_token_form(request.body);   // throws invalid_request
//   if (form.grant_type == "password") ...
#pragma once

#include <string>
#include <string_view>

#include "keel/model/model.hpp"

namespace service::auth {

// TokenForm is the token request; it also documents the form body in OpenAPI.
struct TokenForm {
  std::string grant_type;
  std::string username;
  std::string password;
  std::string scope;
  std::string refresh_token;
  std::string client_id;
  std::string client_secret;

  static constexpr std::string_view kModelName = "TokenRequest";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    // Optional in the document, as it is on the wire: a form without grant_type
    // but with username and password is the password grant (FastAPI's form
    // behaves the same); parse_token_form, not this model, reads the body.
    v.field("grant_type", &TokenForm::grant_type, m::one_of({"password", "refresh_token"}),
            m::default_value("password"),
            m::describe("password: sign in with email and password; refresh_token: rotate a refresh token. "
                        "May be omitted when username and password are sent"));
    v.field("username", &TokenForm::username, m::default_value(""), m::describe("password grant: the email"));
    v.field("password", &TokenForm::password, m::default_value(""),
            m::describe("password grant: the password"));
    v.field("scope", &TokenForm::scope, m::default_value(""),
            m::describe(
                "Space-separated scopes (profile items:read items:write admin); empty: all you may hold"));
    v.field("refresh_token", &TokenForm::refresh_token, m::default_value(""),
            m::describe("refresh_token grant: the refresh token"));
    v.field("client_id", &TokenForm::client_id, m::default_value(""),
            m::describe("Ignored (public clients)"));
    v.field("client_secret", &TokenForm::client_secret, m::default_value(""), m::describe("Ignored"));
  }
};

// parse_token_form reads the form body; throws the OAuth2 ApiError invalid_request
// for a malformed escape or a repeated parameter. Unknown parameters are ignored (RFC 6749 §3.2).
TokenForm parse_token_form(std::string_view body);

}  // namespace service::auth
