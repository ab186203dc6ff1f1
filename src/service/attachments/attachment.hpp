// service/attachments/attachment.hpp — the attachment models: what clients get back.
//
// An attachment is a file stored with an item. Clients never send an
// Attachment as JSON (the upload is multipart/form-data), so every field is
// read-only; the storage name and owner stay server-side.
//
//   return keel::app::json_response(201, attachment);              // {id, item_id, filename, ...}
//   return keel::app::json_response(200, AttachmentList{{a, b}});  // {"attachments": [...]}
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "keel/model/model.hpp"

namespace service::attachments {

// Attachment is one stored file's metadata.
struct Attachment {
  std::string id;
  std::string item_id;
  std::string filename;      // sanitised display name, never a path
  std::string content_type;  // the verified media type (declared, and confirmed by the magic bytes)
  std::int64_t size = 0;
  std::string sha256;  // lower-case hex of the content
  std::string created_at;
  // Not fields: the file's generated name in UPLOAD_DIR, and the item's owner
  // (kept on the row so account deletion and ownership checks need no join).
  std::string storage_name;
  std::string owner_id;

  static constexpr std::string_view kModelName = "Attachment";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("id", &Attachment::id, m::read_only(), m::describe("Opaque identifier (UUIDv7)"));
    v.field("item_id", &Attachment::item_id, m::read_only(), m::describe("The item it belongs to"));
    v.field("filename", &Attachment::filename, m::read_only(),
            m::describe("The client's file name, sanitised (display only)"), m::example("receipt.pdf"));
    v.field("content_type", &Attachment::content_type, m::read_only(),
            m::describe("Media type, checked against the file's magic bytes"), m::example("application/pdf"));
    v.field("size", &Attachment::size, m::read_only(), m::describe("Bytes"));
    v.field("sha256", &Attachment::sha256, m::read_only(),
            m::describe("SHA-256 of the content, lower-case hex (also the download's ETag)"));
    v.field("created_at", &Attachment::created_at, m::read_only(), m::describe("UTC, ISO 8601"));
  }
};

// AttachmentList is GET /items/{id}/attachments: every attachment of the item, oldest first.
struct AttachmentList {
  std::vector<Attachment> attachments;

  static constexpr std::string_view kModelName = "AttachmentList";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("attachments", &AttachmentList::attachments, m::describe("Oldest first"));
  }
};

}  // namespace service::attachments
