#include "service/routes.hpp"

#include <utility>

#include "service/admin/routes.hpp"
#include "service/api_keys/authenticate.hpp"
#include "service/api_keys/routes.hpp"
#include "service/attachments/routes.hpp"
#include "service/auth/routes.hpp"
#include "service/auth/sessions.hpp"
#include "service/demo/widgets.hpp"
#include "service/items/routes.hpp"
#include "service/privacy/routes.hpp"
#include "service/retention/retention.hpp"
#include "service/webhooks/routes.hpp"

namespace service {

void register_routes(ServiceContext& context) {
  auto& app = context.app;
  auto& database = context.database;
  app.set_auth_hooks({
      .resolve_api_key = [&database](std::string_view key) { return api_keys::resolve_api_key(database, key); },
      .is_current = [&database](const keel::http::Principal& caller) { return auth::is_current(database, caller); },
  });
  auth::register_identity_routes(context);
  auto item_hooks = attachments::item_route_hooks(context);
  item_hooks.item_changed = webhooks::register_webhooks(context);  // docs/webhooks.md
  items::register_item_routes(context, std::move(item_hooks));
  attachments::register_attachment_routes(context);
  api_keys::register_api_key_routes(context);
  admin::register_admin_routes(context);
  privacy::register_privacy_routes(context);
  retention::register_retention(context);  // the hourly purge job (docs/retention.md)

  const auto env = app.settings().app_env;
  if (env == keel::config::AppEnv::development || env == keel::config::AppEnv::test) {
    demo::register_demo_routes(app);
  }
}

}  // namespace service
