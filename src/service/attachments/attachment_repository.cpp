#include "service/attachments/attachment_repository.hpp"

namespace service::attachments {
namespace {

using keel::db::Statement;

// A parameter tested only with IS NULL has no type PostgreSQL can infer, hence the CAST.
constexpr Statement kSelectAttachment{
    "attachments.select",
    "SELECT id, item_id, owner_id, filename, content_type, size, sha256, storage_name, created_at "
    "FROM attachments WHERE id = $1 AND (CAST($2 AS TEXT) IS NULL OR owner_id = $2)"};

// kListAttachments seeks attachments_item (item_id, created_at, id).
constexpr Statement kListAttachments{
    "attachments.list",
    "SELECT id, item_id, owner_id, filename, content_type, size, sha256, storage_name, created_at "
    "FROM attachments WHERE item_id = $1 ORDER BY created_at, id"};

constexpr Statement kInsertAttachment{
    "attachments.insert",
    "INSERT INTO attachments (id, item_id, owner_id, filename, content_type, size, sha256, storage_name, "
    "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"};

constexpr Statement kDeleteAttachment{"attachments.delete", "DELETE FROM attachments WHERE id = $1"};

constexpr const Statement* kAttachmentStatements[] = {&kSelectAttachment, &kListAttachments,
                                                      &kInsertAttachment, &kDeleteAttachment};

Attachment attachment_from(const keel::db::Row& row) {
  Attachment attachment;
  attachment.id = row.get<std::string>("id");
  attachment.item_id = row.get<std::string>("item_id");
  attachment.owner_id = row.get<std::string>("owner_id");
  attachment.filename = row.get<std::string>("filename");
  attachment.content_type = row.get<std::string>("content_type");
  attachment.size = row.get<std::int64_t>("size");
  attachment.sha256 = row.get<std::string>("sha256");
  attachment.storage_name = row.get<std::string>("storage_name");
  attachment.created_at = row.get<std::string>("created_at");
  return attachment;
}

}  // namespace

std::span<const keel::db::Statement* const> attachment_statements() { return kAttachmentStatements; }

std::optional<Attachment> find_attachment(keel::db::Connection& connection, std::string_view id,
                                          const std::optional<std::string>& owner) {
  const auto row = connection.execute(kSelectAttachment, {id, owner}).first();
  if (!row) return std::nullopt;
  return attachment_from(*row);
}

std::vector<Attachment> list_attachments(keel::db::Connection& connection, std::string_view item_id) {
  std::vector<Attachment> attachments;
  for (const auto& row : connection.execute(kListAttachments, {item_id})) {
    attachments.push_back(attachment_from(row));
  }
  return attachments;
}

void insert_attachment(keel::db::Connection& connection, const Attachment& attachment) {
  connection.execute(kInsertAttachment, {attachment.id, attachment.item_id, attachment.owner_id,
                                         attachment.filename, attachment.content_type, attachment.size,
                                         attachment.sha256, attachment.storage_name, attachment.created_at});
}

void delete_attachment(keel::db::Connection& connection, std::string_view id) {
  connection.execute(kDeleteAttachment, {id});
}

}  // namespace service::attachments
