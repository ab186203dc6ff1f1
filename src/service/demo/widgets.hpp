// service/demo/widgets.hpp — a demonstration resource for development and test.
//
// It shows the framework end to end before the real resources land: a
// validated model in, a model out, path and query parameters, a slow handler
// (handler timeout, graceful drain) and a failing one (the logged 500). It is
// registered only when APP_ENV is development or test.
#pragma once

#include "keel/app/app.hpp"

namespace service::demo {

// register_demo_routes adds /api/v1/demo/* to `app`.
void register_demo_routes(keel::app::App& app);

}  // namespace service::demo
