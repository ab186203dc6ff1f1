// service/attachments/routes.hpp — item attachments: upload, list, metadata, download, delete.
//
// Files are multipart/form-data uploads (field `file`) streamed to disk as
// they arrive (never whole in memory), capped at UPLOAD_MAX_BYTES, typed by
// their magic bytes (which must agree with the declared type, the allow-list
// UPLOAD_ALLOWED_TYPES and the file name's extension) and stored in
// UPLOAD_DIR under generated names; the client's name is display metadata.
// Ownership follows the item: another user's item or attachment is 404 on
// every route, a caller with the admin scope reaches all. Scopes: items:read
// for GETs, items:write for POST and DELETE.
//
//   void register_routes(ServiceContext& context) {
//     items::register_item_routes(context, attachments::item_route_hooks(context));
//     attachments::register_attachment_routes(context);
//   }
#pragma once

#include "service/context.hpp"
#include "service/items/routes.hpp"

namespace service::attachments {

// register_attachment_routes creates UPLOAD_DIR if needed (throws
// std::runtime_error naming UPLOAD_DIR when it cannot be used), registers the
// attachment statements and adds the routes to the app's router.
void register_attachment_routes(ServiceContext& context);

// item_route_hooks lets item deletion remove the deleted attachments' files
// from UPLOAD_DIR once the deletion has committed.
items::ItemRouteHooks item_route_hooks(ServiceContext& context);

}  // namespace service::attachments
