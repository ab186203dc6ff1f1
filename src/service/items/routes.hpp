// service/items/routes.hpp — the /api/v1/items route table.
//
// Each user's items: create, list (keyset pages, search, tag filter, three
// orders), read, replace, patch, delete; ETags and If-Match / If-None-Match;
// scopes items:read and items:write. Another user's item answers 404 to every
// method, so ids reveal nothing; a caller with the admin scope may read and
// change any item by id, while GET /items lists the caller's own items, admin
// or not (SPEC §5: "caller's items").
//
//   void register_routes(ServiceContext& context) {
//     items::register_item_routes(context);
//   }
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "service/context.hpp"

namespace service::items {

// ItemRouteHooks lets another resource take part in the item routes.
struct ItemRouteHooks {
  // attachments_deleted runs after an item's deletion committed, with the
  // storage names of its attachments' files (their rows went with the item),
  // so the attachments resource can remove the files. Must not throw.
  std::function<void(const std::vector<std::string>& storage_names)> attachments_deleted;
  // item_changed runs after a create, update or delete committed, with the
  // event ("item.created", "item.updated" or "item.deleted"), the owner's id
  // and the item as JSON (as it was, for a deletion), so webhooks can announce
  // it. Must not throw.
  std::function<void(std::string_view event, const std::string& owner_id, const std::string& item_json)>
      item_changed{};
};

// register_item_routes registers the item statements with the database and
// adds the item routes to the app's router.
void register_item_routes(ServiceContext& context, ItemRouteHooks hooks = {});

}  // namespace service::items
