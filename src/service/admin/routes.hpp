// service/admin/routes.hpp — administrators' routes: /api/v1/users CRUD and /api/v1/admin/audit-log.
//
// Every route needs the `admin` scope (only superusers can hold it). An
// administrator cannot deactivate, demote or delete their own account here
// (409 `conflict`), so the last administrator cannot lock everyone out by
// accident; DELETE /users/me remains for leaving.
//
//   service::admin::register_admin_routes(context);
#pragma once

#include "service/context.hpp"

namespace service::admin {

// register_admin_routes adds the routes and registers their statements.
void register_admin_routes(ServiceContext& context);

}  // namespace service::admin
