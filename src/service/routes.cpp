#include "service/routes.hpp"

#include "service/demo/widgets.hpp"

namespace service {

void register_routes(keel::app::App& app) {
  const auto env = app.settings().app_env;
  if (env == keel::config::AppEnv::development || env == keel::config::AppEnv::test) {
    demo::register_demo_routes(app);
  }
}

}  // namespace service
