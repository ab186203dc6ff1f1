// service/items/item.hpp — the item models: what clients send and what they get back.
//
// One declaration per model gives parsing, validation, serialisation and the
// OpenAPI schema (keel/model/model.hpp):
//
//   auto input = keel::app::parse_body<ItemCreate>(request);   // 400 / 422 with every bad field
//   return keel::app::json_response(201, item);                // Item, read-only fields included
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/model/model.hpp"

namespace service::items {

// kTitleMaxLength and kTagMaxLength bound titles and tags, and the `q` and `tag` filters with them.
inline constexpr std::size_t kTitleMaxLength = 200;
inline constexpr std::size_t kTagMaxLength = 32;

// ItemCreate is the body of POST /items.
struct ItemCreate {
  std::string title;
  std::optional<std::string> description;
  std::vector<std::string> tags;

  static constexpr std::string_view kModelName = "ItemCreate";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("title", &ItemCreate::title, m::length(1, kTitleMaxLength), m::describe("Short title"),
            m::example("Buy milk"));
    v.field("description", &ItemCreate::description, m::length(0, 10000), m::describe("Free text, or null"));
    v.field("tags", &ItemCreate::tags, m::items(0, 20), m::each(m::length(1, kTagMaxLength)),
            m::describe("Labels to filter by; a repeated tag is kept once"));
  }
};

// ItemReplace is the body of PUT /items/{id}: every field, as on create
// (an absent description or tags list clears it).
struct ItemReplace : ItemCreate {
  static constexpr std::string_view kModelName = "ItemReplace";
};

// ItemPatch is the body of PATCH /items/{id}: absent fields stay as they are,
// `"description": null` clears the description.
struct ItemPatch {
  keel::model::Patch<std::string> title;
  keel::model::Patch<std::string> description;
  keel::model::Patch<std::vector<std::string>> tags;

  static constexpr std::string_view kModelName = "ItemPatch";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("title", &ItemPatch::title, m::not_null(), m::length(1, kTitleMaxLength),
            m::describe("Short title"));
    v.field("description", &ItemPatch::description, m::length(0, 10000),
            m::describe("Free text; null clears it"));
    v.field("tags", &ItemPatch::tags, m::not_null(), m::items(0, 20), m::each(m::length(1, kTagMaxLength)),
            m::describe("Replaces the whole list"));
  }
};

// Item is an item as stored and returned.
struct Item : ItemCreate {
  std::string id;
  std::string owner_id;
  std::string created_at;
  std::string updated_at;
  // version is not a field: clients see it only through the ETag.
  std::int64_t version = 0;

  static constexpr std::string_view kModelName = "Item";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("id", &Item::id, m::read_only(), m::describe("Opaque identifier (UUIDv7)"));
    ItemCreate::fields(v);
    v.field("owner_id", &Item::owner_id, m::read_only(), m::describe("The owning user's id"));
    v.field("created_at", &Item::created_at, m::read_only(), m::describe("UTC, ISO 8601"));
    v.field("updated_at", &Item::updated_at, m::read_only(), m::describe("UTC, ISO 8601"));
  }
};

// ItemPage is one page of GET /items.
struct ItemPage {
  std::vector<Item> items;
  std::optional<std::string> next_cursor;

  static constexpr std::string_view kModelName = "ItemPage";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("items", &ItemPage::items, m::describe("At most `limit` items, in the requested order"));
    v.field("next_cursor", &ItemPage::next_cursor,
            m::describe("Pass as `cursor` for the next page; null on the last page"));
  }
};

}  // namespace service::items
