// service/auth/routes.hpp — the identity routes: /api/v1/auth/*, /api/v1/users/me*, /login/access-token.
//
// main.cpp (through service/routes.cpp) calls register_identity_routes once,
// before serving; it also registers the identity statements with the database.
//
//   service::auth::register_identity_routes(context);
//   app.set_auth_hooks({.is_current = [&db](const auto& p) { return service::auth::is_current(db, p); }});
#pragma once

#include "service/context.hpp"

namespace service::auth {

// register_identity_routes adds the auth and current-user routes to context.app's router.
void register_identity_routes(ServiceContext& context);

}  // namespace service::auth
