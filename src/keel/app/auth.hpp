// keel/app/auth.hpp — who is calling: bearer access tokens, API keys, scopes.
//
// The framework verifies access tokens (keel/security/access_token.hpp) and
// enforces each route's `requires_scope` / `requires_auth`; the service,
// which owns users, sessions and API keys, answers the two questions only it
// can through AuthHooks. Two pipeline stages do the work:
//   authentication (above the rate limiter): a valid bearer token becomes
//     request.context.principal, so the caller gets a per-user budget; a bad
//     token on a protected route is refused here, before any database work;
//   authorization (below the rate limiter): API keys (a database lookup),
//     the denylist, the service's "still current?" check, then scopes:
//     none → 401 `Bearer`; bad → 401 `Bearer error="invalid_token"`;
//     missing scope → 403 `Bearer error="insufficient_scope", scope="…"`.
//
//   app.set_auth_hooks({.resolve_api_key = [&](std::string_view key) { return keys.authenticate(key); },
//                       .is_current = [&](const http::Principal& p) { return sessions.is_live(p); }});
//   router.add(Method::get, "/api/v1/users/me", read_me).requires_scope("profile");
//   Response read_me(Request& request) { const auto& caller = keel::app::principal(request); ... }
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "keel/http/request.hpp"

namespace keel::app {

// AuthHooks is the service's side of authentication. Both run on handler
// threads, concurrently; they must be thread-safe.
struct AuthHooks {
  // resolve_api_key returns the principal of a valid, unexpired key (recording
  // its use), or std::nullopt. Compare secrets in constant time.
  std::function<std::optional<http::Principal>(std::string_view presented_key)> resolve_api_key;
  // is_current says whether a verified bearer token still stands: its subject
  // exists and is active, its session (refresh family) is not revoked.
  std::function<bool(const http::Principal&)> is_current;
};

// bearer_token returns the credentials of an `Authorization: Bearer …` header, if any.
std::optional<std::string_view> bearer_token(const http::Request& request);

// principal returns the caller of a route declared with requires_auth or
// requires_scope (throws ApiError unauthorized when called elsewhere
// without a credential).
const http::Principal& principal(const http::Request& request);

}  // namespace keel::app
