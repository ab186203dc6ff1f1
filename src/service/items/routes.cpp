#include "service/items/routes.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/json.hpp>

#include "keel/app/auth.hpp"
#include "keel/app/json_body.hpp"
#include "keel/app/query.hpp"
#include "keel/errors/api_error.hpp"
#include "keel/http/headers.hpp"
#include "keel/model/model.hpp"
#include "keel/model/utf8.hpp"
#include "keel/openapi/describe.hpp"
#include "service/items/item.hpp"
#include "service/items/item_repository.hpp"
#include "service/items/page_cursor.hpp"

namespace service::items {
namespace {

namespace doc = keel::openapi;
using keel::db::Connection;
using keel::errors::ApiError;
using keel::errors::ErrorCode;
using keel::http::Method;
using keel::http::Request;
using keel::http::Response;

constexpr keel::http::Tag kItemsTag{
    "items",
    "Each user's items: the example resource to copy when adding your own (docs/adding-a-resource.md)."};

constexpr keel::app::IntParam kLimit{.min = 1, .max = 100, .fallback = 20};

// kSorts maps the `sort` parameter to a list order; the first is the default.
constexpr std::pair<std::string_view, ItemSort> kSorts[] = {{"-created_at", ItemSort::newest_first},
                                                            {"created_at", ItemSort::oldest_first},
                                                            {"title", ItemSort::title}};

ItemSort sort_param(const Request& request) {
  const auto value = request.query_param("sort");
  if (!value) return kSorts[0].second;
  for (const auto& [name, sort] : kSorts) {
    if (name == *value) return sort;
  }
  throw ApiError(ErrorCode::validation_error, "A query parameter is invalid.",
                 {{{std::string("query"), std::string("sort")},
                   "Input should be '-created_at', 'created_at' or 'title'",
                   "enum"}});
}

// text_param reads an optional query parameter of min..max characters (422 otherwise, like a body field).
std::optional<std::string> text_param(const Request& request, std::string_view name, std::size_t min,
                                      std::size_t max) {
  auto value = request.query_param(name);
  if (!value) return value;
  const auto invalid = [&](std::string msg, std::string type) {
    return ApiError(ErrorCode::validation_error, "A query parameter is invalid.",
                    {{{std::string("query"), std::string(name)}, std::move(msg), std::move(type)}});
  };
  const auto length = keel::model::utf8_length(*value);
  if (!length) {
    throw invalid("Input should be a valid string, unable to parse raw data as a unicode string",
                  "string_unicode");
  }
  const auto characters = [](std::size_t n) {
    return std::to_string(n) + (n == 1 ? " character" : " characters");
  };
  if (*length < min) throw invalid("String should have at least " + characters(min), "string_too_short");
  if (*length > max) throw invalid("String should have at most " + characters(max), "string_too_long");
  return value;
}

// etag_of is the item's strong ETag: it changes with every write.
std::string etag_of(const Item& item) { return '"' + item.id + '.' + std::to_string(item.version) + '"'; }

// names_etag says whether an If-Match / If-None-Match value names `etag`: it
// is "*" or a list holding it. If-None-Match compares weakly (a W/ tag
// matches), If-Match strongly (RFC 9110 §13.1.1, §13.1.2).
bool names_etag(std::string_view header, std::string_view etag, bool weak) {
  if (keel::http::trim_whitespace(header) == "*") return true;
  while (!header.empty()) {
    const auto comma = header.find(',');
    auto candidate = keel::http::trim_whitespace(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (candidate.starts_with("W/")) {
      if (!weak) continue;
      candidate.remove_prefix(2);
    }
    if (candidate == etag) return true;
  }
  return false;
}

// require_if_match refuses a write when the client's If-Match names another version.
void require_if_match(const Request& request, const Item& item) {
  const auto if_match = request.header("If-Match");
  if (if_match && !names_etag(*if_match, etag_of(item), false)) {
    throw ApiError(ErrorCode::precondition_failed, "The item changed since it was read (If-Match).");
  }
}

// load returns the item the path names if the caller may see it: their own,
// or any for an admin. Someone else's item is "not found", like a missing one.
Item load(Connection& connection, const Request& request) {
  const auto& caller = keel::app::principal(request);
  const auto owner = caller.has_scope("admin") ? std::nullopt : std::optional<std::string>(caller.subject);
  auto item = find_item(connection, request.path_param("id"), owner);
  if (!item) throw ApiError(ErrorCode::not_found, "Item not found.");
  return std::move(*item);
}

// binding_of names the list a cursor belongs to: whose, in which order, with which filters.
std::string binding_of(const ItemListQuery& query) {
  const auto or_null = [](const std::optional<std::string>& text) {
    return text ? boost::json::value(*text) : boost::json::value(nullptr);
  };
  return boost::json::serialize(boost::json::array{boost::json::value(query.owner_id),
                                                   boost::json::value(static_cast<int>(query.sort)),
                                                   or_null(query.title_contains), or_null(query.tag)});
}

ItemPatch patch_example() {
  ItemPatch patch;
  patch.title.set("Buy oat milk");
  patch.description.set_null();
  return patch;
}

// ItemHandlers serves the item routes; immutable once built, so every handler
// thread shares it. Reads go to the primary too, so a client always sees its own writes.
class ItemHandlers {
 public:
  ItemHandlers(keel::db::Database& database, std::string_view secret_key, ItemRouteHooks hooks)
      : database_(database), cursors_(secret_key, "items"), hooks_(std::move(hooks)) {}

  Response create(Request& request) const {
    auto input = keel::app::parse_body<ItemCreate>(request);
    const auto& caller = keel::app::principal(request);
    const Item item = database_.in_transaction(
        [&](Connection& connection) { return insert_item(connection, caller.subject, std::move(input)); });
    announce("item.created", item);
    return keel::app::json_response(201, item)
        .with_header("Location", "/api/v1/items/" + item.id)
        .with_header("ETag", etag_of(item));
  }

  Response list(Request& request) const {
    ItemListQuery query{.owner_id = keel::app::principal(request).subject,
                        .sort = sort_param(request),
                        .title_contains = text_param(request, "q", 0, kTitleMaxLength),
                        .tag = text_param(request, "tag", 1, kTagMaxLength),
                        .after = std::nullopt,  // from the cursor, once the binding is known
                        .limit = keel::app::query_int(request, "limit", kLimit)};
    const std::string binding = binding_of(query);
    if (const auto cursor = request.query_param("cursor")) query.after = open_cursor(*cursor, binding);
    auto connection = database_.acquire();
    ItemSlice slice = list_items(connection, query);
    ItemPage page;
    if (slice.more) page.next_cursor = seal_cursor(position_of(slice.items.back(), query.sort), binding);
    page.items = std::move(slice.items);
    return keel::app::json_response(200, page);
  }

  Response read(Request& request) const {
    auto connection = database_.acquire();
    const Item item = load(connection, request);
    std::string etag = etag_of(item);
    if (const auto if_none_match = request.header("If-None-Match");
        if_none_match && names_etag(*if_none_match, etag, true)) {
      Response not_modified;
      not_modified.status = 304;
      not_modified.headers.set("ETag", std::move(etag));
      return not_modified;
    }
    return keel::app::json_response(200, item).with_header("ETag", std::move(etag));
  }

  Response replace(Request& request) const {
    return update(request, [&](Item& item) {
      static_cast<ItemCreate&>(item) = keel::app::parse_body<ItemReplace>(request);
    });
  }

  Response patch(Request& request) const {
    return update(request, [&](Item& item) {
      const auto changes = keel::app::parse_body<ItemPatch>(request);
      if (changes.title.has_value()) item.title = changes.title.value();
      changes.description.apply_to(item.description);
      if (changes.tags.has_value()) item.tags = changes.tags.value();
    });
  }

  Response remove(Request& request) const {
    auto [item, files] = database_.in_transaction([&](Connection& connection) {
      Item found = load(connection, request);
      require_if_match(request, found);
      auto storage_names = delete_item(connection, found.id);
      return std::pair(std::move(found), std::move(storage_names));
    });
    // Only after the commit: a deletion that rolled back keeps its files.
    if (hooks_.attachments_deleted && !files.empty()) hooks_.attachments_deleted(files);
    announce("item.deleted", item);
    return Response::no_content();
  }

 private:
  // update changes the named item in one transaction: 404, then If-Match
  // (preconditions come before the body, RFC 9110 §13.2.1), then `change`
  // (which parses the body), then the write.
  template <class Change>
  Response update(Request& request, const Change& change) const {
    const Item saved = database_.in_transaction([&](Connection& connection) {
      Item item = load(connection, request);
      require_if_match(request, item);
      change(item);
      if (!save_item(connection, item)) {
        throw ApiError(ErrorCode::conflict, "The item was changed by another request; read it again.");
      }
      return item;
    });
    announce("item.updated", saved);
    return keel::app::json_response(200, saved).with_header("ETag", etag_of(saved));
  }

  // announce tells the item_changed hook about a committed change.
  void announce(std::string_view event, const Item& item) const {
    if (hooks_.item_changed) hooks_.item_changed(event, item.owner_id, keel::model::to_json_text(item));
  }

  // A position travels as "<id>\n<key>": ids hold no newline, titles may.
  std::string seal_cursor(const ItemPosition& position, std::string_view binding) const {
    return cursors_.seal(position.id + '\n' + position.key, binding);
  }

  ItemPosition open_cursor(std::string_view cursor, std::string_view binding) const {
    const auto position = cursors_.open(cursor, binding);
    const auto newline = position ? position->find('\n') : std::string::npos;
    if (newline == std::string::npos) {
      throw ApiError(ErrorCode::invalid_cursor,
                     "The cursor does not belong to this list (user, sort and filters); start without it.");
    }
    return {position->substr(newline + 1), position->substr(0, newline)};
  }

  keel::db::Database& database_;
  PageCursors cursors_;
  ItemRouteHooks hooks_;
};

}  // namespace

void register_item_routes(ServiceContext& context, ItemRouteHooks hooks) {
  context.database.register_statements(item_statements());
  auto items = std::make_shared<const ItemHandlers>(context.database, context.app.settings().secret_key,
                                                    std::move(hooks));
  auto& router = context.app.router();
  const auto item_id = doc::path("id", "The item's id, from its Location.");
  const auto if_match = doc::header("If-Match", "Write only if the item's ETag is one of these (or *).");

  router.add(Method::post, "/api/v1/items", [items](Request& r) { return items->create(r); })
      .named("create_item").tagged(kItemsTag).status(201).requires_scope("items:write")
      .summarized("Create an item.")
      .body(doc::json(ItemCreate{.title = "Buy milk", .description = "Two litres", .tags = {"errands"}}))
      .responds(doc::response(201, "The new item.", doc::json<Item>())
                    .with_header(doc::location()).with_header(doc::etag()));

  router.add(Method::get, "/api/v1/items", [items](Request& r) { return items->list(r); })
      .named("list_items").tagged(kItemsTag).requires_scope("items:read")
      .summarized("List the caller's items, a page at a time.")
      .described("Keyset pagination: pass `next_cursor` back as `cursor`, with the same `sort`, `q` and "
                 "`tag`, until it is null. Items added or removed meanwhile never shift a page.")
      .param(doc::query_integer("limit", kLimit, "Page size."))
      .param(doc::query_string("cursor", 1, 2048, "The previous page's next_cursor (400 invalid_cursor if "
                                                  "it was altered or belongs to another list)."))
      .param(doc::query_string("q", 0, kTitleMaxLength, "Only items whose title contains this (any case)."))
      .param(doc::query_string("tag", 1, kTagMaxLength, "Only items with this tag."))
      .param(doc::query_enum("sort", {"-created_at", "created_at", "title"}, "Newest first by default."))
      .responds(doc::response(200, "One page.", doc::json<ItemPage>()))
      .responds(doc::problem(400, "`invalid_cursor`: the cursor was altered or belongs to another list."));

  router.add(Method::get, "/api/v1/items/{id}", [items](Request& r) { return items->read(r); })
      .named("get_item").tagged(kItemsTag).requires_scope("items:read")
      .summarized("Read an item (404 when missing or someone else's).")
      .param(item_id)
      .param(doc::header("If-None-Match", "Answer 304 if the item's ETag is one of these."))
      .responds(doc::response(200, "The item.", doc::json<Item>()).with_header(doc::etag()))
      .responds(doc::response(304, "If-None-Match names the current ETag.").with_header(doc::etag()));

  router.add(Method::put, "/api/v1/items/{id}", [items](Request& r) { return items->replace(r); })
      .named("replace_item").tagged(kItemsTag).requires_scope("items:write")
      .summarized("Replace an item's fields.")
      .param(item_id).param(if_match)
      .body(doc::json(ItemReplace{{.title = "Buy milk", .description = std::nullopt, .tags = {}}}))
      .responds(doc::response(200, "The item as stored.", doc::json<Item>()).with_header(doc::etag()))
      .responds(doc::problem(409, "Another request changed the item meanwhile; read it again."))
      .responds(doc::problem(412, "If-Match names an older version of the item."));

  auto merge_patch = doc::json(patch_example());
  merge_patch.media_type = "application/merge-patch+json";
  router.add(Method::patch, "/api/v1/items/{id}", [items](Request& r) { return items->patch(r); })
      .named("update_item").tagged(kItemsTag).requires_scope("items:write")
      .summarized("Change some of an item's fields (null clears the description).")
      .param(item_id).param(if_match)
      .body(doc::json(patch_example()))
      .body(std::move(merge_patch))
      .responds(doc::response(200, "The item as stored.", doc::json<Item>()).with_header(doc::etag()))
      .responds(doc::problem(409, "Another request changed the item meanwhile; read it again."))
      .responds(doc::problem(412, "If-Match names an older version of the item."));

  router.add(Method::delete_, "/api/v1/items/{id}", [items](Request& r) { return items->remove(r); })
      .named("delete_item").tagged(kItemsTag).status(204).requires_scope("items:write")
      .summarized("Delete an item with its attachments.")
      .param(item_id).param(if_match)
      .responds(doc::response(204, "Deleted."))
      .responds(doc::problem(412, "If-Match names an older version of the item."));
}

}  // namespace service::items
