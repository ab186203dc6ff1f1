// service/routes.hpp — every route of the reference service, registered in one place.
//
//   service::ServiceContext context{app, database, password_hasher, email};
//   service::register_routes(context);
#pragma once

#include "service/context.hpp"

namespace service {

// register_routes adds the service's routes to context.app, installs its
// authentication hooks, and registers its statements with the database
// (demo routes only in development and test).
void register_routes(ServiceContext& context);

}  // namespace service
