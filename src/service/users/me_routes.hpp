// service/users/me_routes.hpp — the caller's own account: GET/PATCH /api/v1/users/me, POST
// /users/me/password.
//
//   service::users::register_me_routes(context);   // called by register_identity_routes
#pragma once

#include "keel/http/route.hpp"
#include "service/context.hpp"

namespace service::users {

// kUsersTag groups the /users routes in the docs (admin/routes.cpp declares the same text: one tag, one
// description).
inline constexpr keel::http::Tag kUsersTag{
    "users", "Accounts. The /users/{id} routes are for administrators (`admin`)."};

// register_me_routes adds the current-user routes (scope profile).
void register_me_routes(ServiceContext& context);

}  // namespace service::users
