// The two authentication stages (see auth.hpp for who does what and why two).
#include <string>

#include "keel/app/auth.hpp"
#include "keel/app/stages.hpp"
#include "keel/edge/shared_store.hpp"
#include "keel/errors/api_error.hpp"
#include "keel/http/route.hpp"
#include "keel/security/access_token.hpp"

namespace keel::app {
namespace {

using errors::ApiError;
using errors::ErrorCode;

constexpr std::string_view kInvalidTokenChallenge = R"(Bearer error="invalid_token")";

bool requires_credentials(const http::Request& request) {
  return request.context.route != nullptr && request.context.route->authenticated &&
         !request.context.early_error;
}

ApiError invalid_token(std::string detail) {
  return std::move(ApiError(ErrorCode::invalid_token, std::move(detail))
                       .with_header("WWW-Authenticate", std::string(kInvalidTokenChallenge)));
}

class AuthenticationStage final : public http::Middleware {
 public:
  explicit AuthenticationStage(const security::AccessTokenCodec& tokens) : tokens_(tokens) {}
  std::string_view name() const override { return "authentication"; }

  http::Response handle(http::Request& request, const http::Next& next) const override {
    if (const auto token = bearer_token(request)) {
      auto verified = tokens_.verify(*token, security::unix_now());
      if (verified.problem == security::TokenProblem::none) {
        auto& claims = *verified.claims;
        request.context.user_id = claims.subject;
        request.context.principal = http::Principal{.subject = std::move(claims.subject),
                                                    .scopes = std::move(claims.scopes),
                                                    .credential = http::Principal::Credential::bearer,
                                                    .token_id = std::move(claims.token_id),
                                                    .session_id = std::move(claims.session_id),
                                                    .expires_at = claims.expires_at};
      } else if (requires_credentials(request)) {
        // Refused before the rate limiter and any database work: a bad
        // signature costs one HMAC. Public routes ignore a bad token.
        throw invalid_token("The access token is invalid or expired.");
      }
    }
    return next(request);
  }

 private:
  const security::AccessTokenCodec& tokens_;
};

class AuthorizationStage final : public http::Middleware {
 public:
  AuthorizationStage(edge::SharedStore& store, const AuthHooks& hooks) : store_(store), hooks_(hooks) {}
  std::string_view name() const override { return "authorization"; }

  http::Response handle(http::Request& request, const http::Next& next) const override {
    if (!requires_credentials(request)) return next(request);
    auto& context = request.context;
    if (!context.principal) {
      authenticate_api_key(request);
    } else if (!bearer_still_valid(*context.principal)) {
      throw invalid_token("The access token has been revoked.");
    }
    require_scopes(*context.route, *context.principal);
    auto response = next(request);
    // SPEC §4: authenticated answers must not be stored by shared caches.
    if (!response.headers.contains("Cache-Control")) response.headers.set("Cache-Control", "no-store");
    return response;
  }

 private:
  void authenticate_api_key(http::Request& request) const {
    const auto key = request.headers.get("X-API-Key");
    if (!key) {
      // RFC 6750 §3.1: no credentials at all gets a bare challenge, no error code.
      throw ApiError(ErrorCode::unauthorized, "This route requires a bearer token or an API key.")
          .with_header("WWW-Authenticate", "Bearer");
    }
    std::optional<http::Principal> principal;
    if (hooks_.resolve_api_key) principal = hooks_.resolve_api_key(*key);
    if (!principal) throw invalid_token("The API key is invalid, expired or revoked.");
    request.context.user_id = principal->subject;
    request.context.principal = std::move(principal);
  }

  bool bearer_still_valid(const http::Principal& principal) const {
    const auto revoked = store_.exists(denylist_key(principal.token_id));
    // Fail closed: without the denylist a logged-out token could pass.
    if (!revoked) throw ApiError(ErrorCode::service_unavailable, "Token revocation cannot be checked now.");
    if (*revoked) return false;
    return !hooks_.is_current || hooks_.is_current(principal);
  }

  static void require_scopes(const http::Route& route, const http::Principal& principal) {
    std::string missing;
    for (const auto& scope : route.scopes) {
      if (!principal.has_scope(scope)) missing += (missing.empty() ? "" : " ") + scope;
    }
    if (missing.empty()) return;
    std::string required;
    for (const auto& scope : route.scopes) required += (required.empty() ? "" : " ") + scope;
    throw ApiError(ErrorCode::insufficient_scope, "This route requires the scope(s): " + required + ".")
        .with_header("WWW-Authenticate", R"(Bearer error="insufficient_scope", scope=")" + required + '"');
  }

  edge::SharedStore& store_;
  const AuthHooks& hooks_;
};

}  // namespace

std::optional<std::string_view> bearer_token(const http::Request& request) {
  const auto authorization = request.headers.get("Authorization");
  constexpr std::string_view kScheme = "Bearer ";
  if (!authorization || authorization->size() <= kScheme.size() ||
      !http::iequals(authorization->substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  auto token = authorization->substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  return token;
}

std::string denylist_key(std::string_view token_id) { return "denylist:" + std::string(token_id); }

std::unique_ptr<http::Middleware> make_authentication_stage(const security::AccessTokenCodec& tokens) {
  return std::make_unique<AuthenticationStage>(tokens);
}

std::unique_ptr<http::Middleware> make_authorization_stage(edge::SharedStore& store, const AuthHooks& hooks) {
  return std::make_unique<AuthorizationStage>(store, hooks);
}

const http::Principal& principal(const http::Request& request) {
  if (!request.context.principal) {
    throw ApiError(ErrorCode::unauthorized, "This route requires a bearer token or an API key.")
        .with_header("WWW-Authenticate", "Bearer");
  }
  return *request.context.principal;
}

}  // namespace keel::app
