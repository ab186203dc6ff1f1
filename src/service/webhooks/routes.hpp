// service/webhooks/routes.hpp — /api/v1/webhooks: outgoing webhooks, the example external integration.
//
// Users register an endpoint (https://, a public address: the SSRF guard,
// target_guard.hpp) for item events; the secret that signs deliveries is
// shown once and stored sealed with DATA_ENCRYPTION_KEYS. Deliveries are jobs
// (delivery.hpp) with a log per endpoint. Another user's webhook answers 404.
//
//   auto hooks = attachments::item_route_hooks(context);
//   hooks.item_changed = webhooks::register_webhooks(context);
//   items::register_item_routes(context, std::move(hooks));
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "service/context.hpp"

namespace service::webhooks {

// ItemChanged is what the item routes call after a committed change (items::ItemRouteHooks::item_changed).
using ItemChanged =
    std::function<void(std::string_view event, const std::string& owner_id, const std::string& item_json)>;

// register_webhooks registers the webhook statements, routes and the
// `webhook.deliver` job handler (call before the job runner starts), and
// returns the hook that queues deliveries for item events.
ItemChanged register_webhooks(ServiceContext& context);

}  // namespace service::webhooks
