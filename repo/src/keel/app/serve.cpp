#include <exception>

#include "keel/app/app.hpp"
#include "keel/observability/logger.hpp"

namespace keel::app {

int serve(App& app) {
  auto& log = observability::logger();
  http::Server server(app.server_options(), app);
  server.on_drain([&app, &log] {
    app.set_draining();
    log.info("shutdown requested: draining in-flight requests",
             {{"grace_ms", app.settings().shutdown_grace_ms}});
  });
  const auto port = server.listen();
  log.info("listening", {{"host", std::string_view(app.settings().host)},
                         {"port", static_cast<std::int64_t>(port)},
                         {"workers", app.settings().workers},
                         {"app_env", config::to_string(app.settings().app_env)}});
  server.run();
  log.info("stopped");
  log.flush();
  return 0;
}

}  // namespace keel::app
