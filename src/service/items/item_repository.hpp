// service/items/item_repository.hpp — items in the database: plain functions, no HTTP.
//
// Every statement is a named keel::db::Statement (item_repository.cpp) with
// bound parameters; item_statements() lists them for the catalog and its
// EXPLAIN test. The functions take a borrowed connection, so the caller
// decides what runs in one transaction:
//
//   database.register_statements(item_statements());
//   Item item = database.in_transaction(
//       [&](keel::db::Connection& c) { return insert_item(c, owner, std::move(input)); });
//   auto found = find_item(connection, id, owner);   // std::nullopt: missing, or not theirs
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keel/db/connection.hpp"
#include "keel/db/statement.hpp"
#include "service/items/item.hpp"

namespace service::items {

// item_statements lists every statement this file runs.
std::span<const keel::db::Statement* const> item_statements();

// find_item returns item `id` when `owner` is std::nullopt (an admin) or owns it.
std::optional<Item> find_item(keel::db::Connection& connection, std::string_view id,
                              const std::optional<std::string>& owner);

// insert_item stores a new item of `owner_id` (fresh id and timestamps, version 1).
Item insert_item(keel::db::Connection& connection, std::string owner_id, ItemCreate input);

// save_item writes `item`'s title, description and tags if its version is
// still the stored one, then bumps item.version and item.updated_at; false
// when another request changed the item first (nothing is written). Run it in
// the transaction that read the item.
bool save_item(keel::db::Connection& connection, Item& item);

// delete_item removes item `id` with its tags and attachment rows, and returns
// the storage names of the attachment files that must go with them.
std::vector<std::string> delete_item(keel::db::Connection& connection, std::string_view id);

// ItemSort is a list order; every order ends with the id, so it is total.
enum class ItemSort { newest_first, oldest_first, title };

// ItemPosition is a place in a list: the sort key (created_at or title) and
// the id of the last item seen.
struct ItemPosition {
  std::string key;
  std::string id;
};

// ItemListQuery is one page request over an owner's items.
struct ItemListQuery {
  std::string owner_id;
  ItemSort sort = ItemSort::newest_first;
  std::optional<std::string> title_contains;  // case-insensitive (ASCII only on SQLite), taken literally
  std::optional<std::string> tag;
  std::optional<ItemPosition> after;  // absent: the first page
  std::int64_t limit = 20;
};

// ItemSlice is one page and whether more items follow it.
struct ItemSlice {
  std::vector<Item> items;
  bool more = false;
};

// list_items returns up to query.limit items after query.after (keyset
// pagination: rows inserted or deleted meanwhile never shift a page).
ItemSlice list_items(keel::db::Connection& connection, const ItemListQuery& query);

// position_of returns where `item` sits in a list sorted by `sort`.
ItemPosition position_of(const Item& item, ItemSort sort);

}  // namespace service::items
