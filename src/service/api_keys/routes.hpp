// service/api_keys/routes.hpp — /api/v1/api-keys: create (shown once), list, delete.
//
// Every route needs the `profile` scope. Creating a key also needs a bearer
// token (a signed-in user): an API key cannot mint further keys, so a leaked
// key cannot outlive its own revocation.
//
//   service::api_keys::register_api_key_routes(context);
#pragma once

#include "service/context.hpp"

namespace service::api_keys {

// register_api_key_routes adds the routes and registers their statements (and the audit log's).
void register_api_key_routes(ServiceContext& context);

}  // namespace service::api_keys
