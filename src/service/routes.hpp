// service/routes.hpp — every route of the reference service, registered in one place.
//
//   keel::app::App app(settings);
//   service::register_routes(app);
#pragma once

#include "keel/app/app.hpp"

namespace service {

// register_routes adds the service's routes to `app` (demo routes only in development and test).
void register_routes(keel::app::App& app);

}  // namespace service
