#include "service/items/item_repository.hpp"

#include <algorithm>
#include <utility>

#include <boost/json.hpp>

#include "keel/audit/timestamp.hpp"
#include "keel/security/random.hpp"

namespace service::items {
namespace {

using keel::db::Statement;

constexpr Statement kSelectItem{
    "items.select",
    "SELECT id, owner_id, title, description, tags, created_at, updated_at, version FROM items "
    "WHERE id = $1 AND (CAST($2 AS TEXT) IS NULL OR owner_id = $2)"};

constexpr Statement kInsertItem{
    "items.insert",
    "INSERT INTO items (id, owner_id, title, description, tags, created_at, updated_at, version) "
    "VALUES ($1, $2, $3, $4, $5, $6, $6, 1)"};

// kUpdateItem writes only over the version that was read (optimistic concurrency).
constexpr Statement kUpdateItem{
    "items.update",
    "UPDATE items SET title = $3, description = $4, tags = $5, updated_at = $6, version = version + 1 "
    "WHERE id = $1 AND version = $2"};

constexpr Statement kDeleteItem{"items.delete", "DELETE FROM items WHERE id = $1"};

constexpr Statement kInsertTags{
    "items.insert_tags", "INSERT INTO item_tags (item_id, tag) SELECT $1, value FROM json_each($2)",
    "INSERT INTO item_tags (item_id, tag) SELECT $1, value FROM jsonb_array_elements_text($2::jsonb)"};

constexpr Statement kDeleteTags{"items.delete_tags", "DELETE FROM item_tags WHERE item_id = $1"};

constexpr Statement kAttachmentFiles{"items.attachment_files",
                                     "SELECT storage_name FROM attachments WHERE item_id = $1"};

// The list statements, one per order: $1 owner, $2 and $3 the position the
// page starts after (sort key, id), $4 title substring, $5 tag, $6 limit. On
// the first page $2 and $3 are NULL and COALESCE puts the position before
// every row (titles are never empty, timestamps start with a year below
// 9999), so both cases are one statement that seeks its index. The dialects
// differ only in the substring function: instr (SQLite), strpos (PostgreSQL).
// (A parameter tested only with IS NULL has no type PostgreSQL can infer,
// hence the CASTs, here and in kSelectItem.)
constexpr Statement kListNewest{
    "items.list_newest",
    "SELECT id, owner_id, title, description, tags, created_at, updated_at, version FROM items "
    "WHERE owner_id = $1 AND (created_at, id) < (COALESCE($2, '9999'), COALESCE($3, '')) "
    "AND (CAST($4 AS TEXT) IS NULL OR instr(lower(title), lower($4)) > 0) "
    "AND (CAST($5 AS TEXT) IS NULL "
    "     OR EXISTS (SELECT 1 FROM item_tags WHERE item_id = items.id AND tag = $5)) "
    "ORDER BY created_at DESC, id DESC LIMIT $6",
    "SELECT id, owner_id, title, description, tags, created_at, updated_at, version FROM items "
    "WHERE owner_id = $1 AND (created_at, id) < (COALESCE($2, '9999'), COALESCE($3, '')) "
    "AND (CAST($4 AS TEXT) IS NULL OR strpos(lower(title), lower($4)) > 0) "
    "AND (CAST($5 AS TEXT) IS NULL "
    "     OR EXISTS (SELECT 1 FROM item_tags WHERE item_id = items.id AND tag = $5)) "
    "ORDER BY created_at DESC, id DESC LIMIT $6"};

constexpr Statement kListOldest{
    "items.list_oldest",
    "SELECT id, owner_id, title, description, tags, created_at, updated_at, version FROM items "
    "WHERE owner_id = $1 AND (created_at, id) > (COALESCE($2, ''), COALESCE($3, '')) "
    "AND (CAST($4 AS TEXT) IS NULL OR instr(lower(title), lower($4)) > 0) "
    "AND (CAST($5 AS TEXT) IS NULL "
    "     OR EXISTS (SELECT 1 FROM item_tags WHERE item_id = items.id AND tag = $5)) "
    "ORDER BY created_at, id LIMIT $6",
    "SELECT id, owner_id, title, description, tags, created_at, updated_at, version FROM items "
    "WHERE owner_id = $1 AND (created_at, id) > (COALESCE($2, ''), COALESCE($3, '')) "
    "AND (CAST($4 AS TEXT) IS NULL OR strpos(lower(title), lower($4)) > 0) "
    "AND (CAST($5 AS TEXT) IS NULL "
    "     OR EXISTS (SELECT 1 FROM item_tags WHERE item_id = items.id AND tag = $5)) "
    "ORDER BY created_at, id LIMIT $6"};

constexpr Statement kListByTitle{
    "items.list_by_title",
    "SELECT id, owner_id, title, description, tags, created_at, updated_at, version FROM items "
    "WHERE owner_id = $1 AND (title, id) > (COALESCE($2, ''), COALESCE($3, '')) "
    "AND (CAST($4 AS TEXT) IS NULL OR instr(lower(title), lower($4)) > 0) "
    "AND (CAST($5 AS TEXT) IS NULL "
    "     OR EXISTS (SELECT 1 FROM item_tags WHERE item_id = items.id AND tag = $5)) "
    "ORDER BY title, id LIMIT $6",
    "SELECT id, owner_id, title, description, tags, created_at, updated_at, version FROM items "
    "WHERE owner_id = $1 AND (title, id) > (COALESCE($2, ''), COALESCE($3, '')) "
    "AND (CAST($4 AS TEXT) IS NULL OR strpos(lower(title), lower($4)) > 0) "
    "AND (CAST($5 AS TEXT) IS NULL "
    "     OR EXISTS (SELECT 1 FROM item_tags WHERE item_id = items.id AND tag = $5)) "
    "ORDER BY title, id LIMIT $6"};

constexpr const Statement* kItemStatements[] = {
    &kSelectItem, &kInsertItem,      &kUpdateItem, &kDeleteItem, &kInsertTags,
    &kDeleteTags, &kAttachmentFiles, &kListNewest, &kListOldest, &kListByTitle,
};

// unique_tags drops repeated tags, keeping the first of each (item_tags has one row per tag).
std::vector<std::string> unique_tags(const std::vector<std::string>& tags) {
  std::vector<std::string> unique;
  for (const auto& tag : tags) {
    if (std::find(unique.begin(), unique.end(), tag) == unique.end()) unique.push_back(tag);
  }
  return unique;
}

std::string tags_json(const std::vector<std::string>& tags) {
  return boost::json::serialize(boost::json::value_from(tags));
}

// item_from moves the row's text into the item (each row is read once).
Item item_from(keel::db::Row& row) {
  Item item;
  item.id = row.take<std::string>("id");
  item.owner_id = row.take<std::string>("owner_id");
  item.title = row.take<std::string>("title");
  item.description = row.take<std::optional<std::string>>("description");
  item.tags = boost::json::value_to<std::vector<std::string>>(boost::json::parse(row.take<std::string>("tags")));
  item.created_at = row.take<std::string>("created_at");
  item.updated_at = row.take<std::string>("updated_at");
  item.version = row.get<std::int64_t>("version");
  return item;
}

const Statement& list_statement(ItemSort sort) {
  switch (sort) {
    case ItemSort::newest_first: return kListNewest;
    case ItemSort::oldest_first: return kListOldest;
    case ItemSort::title: return kListByTitle;
  }
  return kListNewest;
}

}  // namespace

std::span<const keel::db::Statement* const> item_statements() { return kItemStatements; }

std::optional<Item> find_item(keel::db::Connection& connection, std::string_view id,
                              const std::optional<std::string>& owner) {
  auto row = connection.execute(kSelectItem, {id, owner}).first();
  if (!row) return std::nullopt;
  return item_from(*row);
}

Item insert_item(keel::db::Connection& connection, std::string owner_id, ItemCreate input) {
  Item item;
  static_cast<ItemCreate&>(item) = std::move(input);
  item.tags = unique_tags(item.tags);
  item.id = keel::security::uuid_v7();
  item.owner_id = std::move(owner_id);
  item.created_at = item.updated_at = keel::audit::now_timestamp();
  item.version = 1;
  const std::string tags = tags_json(item.tags);
  connection.execute(kInsertItem,
                     {item.id, item.owner_id, item.title, item.description, tags, item.created_at});
  connection.execute(kInsertTags, {item.id, tags});
  return item;
}

bool save_item(keel::db::Connection& connection, Item& item) {
  item.tags = unique_tags(item.tags);
  const std::string updated_at = keel::audit::now_timestamp();
  const std::string tags = tags_json(item.tags);
  const auto written = connection.execute(
      kUpdateItem, {item.id, item.version, item.title, item.description, tags, updated_at});
  if (written.affected_rows() == 0) return false;
  connection.execute(kDeleteTags, {item.id});
  connection.execute(kInsertTags, {item.id, tags});
  item.updated_at = updated_at;
  ++item.version;
  return true;
}

std::vector<std::string> delete_item(keel::db::Connection& connection, std::string_view id) {
  std::vector<std::string> files;
  for (const auto& row : connection.execute(kAttachmentFiles, {id})) {
    files.push_back(row.get<std::string>("storage_name"));
  }
  // item_tags and attachments rows go by ON DELETE CASCADE.
  connection.execute(kDeleteItem, {id});
  return files;
}

ItemSlice list_items(keel::db::Connection& connection, const ItemListQuery& query) {
  std::optional<std::string> after_key;
  std::optional<std::string> after_id;
  if (query.after) {
    after_key = query.after->key;
    after_id = query.after->id;
  }
  // One row more than asked tells whether another page follows.
  auto rows = connection.execute(
      list_statement(query.sort),
      {query.owner_id, after_key, after_id, query.title_contains, query.tag, query.limit + 1});
  ItemSlice slice;
  for (auto& row : rows) {
    if (static_cast<std::int64_t>(slice.items.size()) == query.limit) {
      slice.more = true;
      break;
    }
    slice.items.push_back(item_from(row));
  }
  return slice;
}

ItemPosition position_of(const Item& item, ItemSort sort) {
  return {sort == ItemSort::title ? item.title : item.created_at, item.id};
}

}  // namespace service::items
