// service/privacy/routes.hpp — GET /api/v1/users/me/export and DELETE /api/v1/users/me.
//
// Both need the `profile` scope. Deleting also needs the account's password
// in the body (a stolen access token alone cannot erase the account); a
// wrong one is 403 `forbidden` and audited as a failure.
//
//   service::privacy::register_privacy_routes(context);
#pragma once

#include "service/context.hpp"

namespace service::privacy {

// register_privacy_routes adds the routes and registers their statements.
void register_privacy_routes(ServiceContext& context);

}  // namespace service::privacy
