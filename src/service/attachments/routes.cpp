#include "service/attachments/routes.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/app/auth.hpp"
#include "keel/app/json_body.hpp"
#include "keel/audit/timestamp.hpp"
#include "keel/errors/api_error.hpp"
#include "keel/http/headers.hpp"
#include "keel/observability/logger.hpp"
#include "keel/openapi/describe.hpp"
#include "keel/security/random.hpp"
#include "keel/upload/download.hpp"
#include "keel/upload/file_type.hpp"
#include "keel/upload/filename.hpp"
#include "keel/upload/multipart.hpp"
#include "keel/upload/storage.hpp"
#include "service/attachments/attachment.hpp"
#include "service/attachments/attachment_repository.hpp"
#include "service/items/item_repository.hpp"

namespace service::attachments {
namespace {

namespace doc = keel::openapi;
using keel::db::Connection;
using keel::errors::ApiError;
using keel::errors::ErrorCode;
using keel::errors::FieldError;
using keel::http::Method;
using keel::http::Request;
using keel::http::Response;
using keel::upload::MultipartError;

constexpr keel::http::Tag kAttachmentsTag{
    "attachments",
    "Files attached to items: multipart uploads checked by their magic bytes, streamed downloads "
    "with Range."};

// kMultipartOverhead is what the body may hold beyond the file itself: the
// delimiters and part headers. The file's own cap (UPLOAD_MAX_BYTES) is
// enforced while it streams, so this slack never lets a larger file through.
constexpr std::size_t kMultipartOverhead = std::size_t{16} * 1024;

// owner_filter is whose rows the caller may reach: their own, or anyone's (std::nullopt) with admin.
std::optional<std::string> owner_filter(const Request& request) {
  const auto& caller = keel::app::principal(request);
  if (caller.has_scope("admin")) return std::nullopt;
  return caller.subject;
}

ApiError item_not_found() { return ApiError(ErrorCode::not_found, "Item not found."); }
ApiError attachment_not_found() { return ApiError(ErrorCode::not_found, "Attachment not found."); }

// multipart_failure turns a refused body into the client's error; the
// validation ones point at the `file` field like any 422.
ApiError multipart_failure(const keel::upload::MultipartResult& parsed) {
  const std::string detail =
      parsed.detail.empty() ? std::string(keel::upload::describe(parsed.error)) : parsed.detail;
  const ErrorCode code = keel::upload::error_code(parsed.error);
  if (code != ErrorCode::validation_error) return ApiError(code, detail);
  const std::string type = parsed.error == MultipartError::missing_file ? "missing" : "value_error";
  return ApiError(code, "The upload is invalid.",
                  {FieldError{{std::string("body"), std::string("file")}, detail, type}});
}

// names_etag says whether If-None-Match `header` names `etag` (weak comparison, RFC 9110 §13.1.2).
bool names_etag(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const auto comma = header.find(',');
    auto candidate = keel::http::trim_whitespace(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (candidate.starts_with("W/")) candidate.remove_prefix(2);
    if (candidate == "*" || candidate == etag) return true;
  }
  return false;
}

// metadata_etag tags an attachment's JSON; the content's ETag is its SHA-256,
// so the two representations never share a tag. Attachments never change.
std::string metadata_etag(const Attachment& attachment) { return '"' + attachment.id + '"'; }

// AttachmentHandlers serves the attachment routes; immutable once built, so every handler thread shares it.
class AttachmentHandlers {
 public:
  AttachmentHandlers(keel::db::Database& database, const keel::config::Settings& settings)
      : database_(database),
        storage_(settings.upload_dir),
        allowed_types_(settings.upload_allowed_types),
        multipart_{.dest_dir = settings.upload_dir,
                   .max_file_bytes = static_cast<std::uint64_t>(settings.upload_max_bytes)} {}

  const keel::upload::Storage& storage() const { return storage_; }

  // upload: 404 first (cheap, and no parsing for someone else's item), then
  // the multipart body, the type check, and the store.
  Response upload(Request& request) const {
    const auto owner = owner_filter(request);
    const std::string item_id(request.path_param("id"));
    {
      auto connection = database_.acquire();
      if (!items::find_item(connection, item_id, owner)) throw item_not_found();
    }
    auto parsed = keel::upload::read_multipart(request, multipart_);
    if (!parsed.ok()) throw multipart_failure(parsed);
    auto& file = *parsed.file;
    const auto verdict = keel::upload::verify_file_type(file, allowed_types_);
    if (!verdict.ok()) throw ApiError(ErrorCode::unsupported_file_type, verdict.detail);

    Attachment attachment;
    attachment.id = keel::security::uuid_v7();
    attachment.item_id = item_id;
    attachment.filename = keel::upload::sanitize_filename(file.filename);
    attachment.content_type = verdict.media_type;
    attachment.size = static_cast<std::int64_t>(file.size);
    attachment.sha256 = file.sha256;
    store(attachment, file.file, owner);
    return keel::app::json_response(201, attachment)
        .with_header("Location", "/api/v1/attachments/" + attachment.id);
  }

  Response list(Request& request) const {
    const auto owner = owner_filter(request);
    auto connection = database_.acquire();
    const auto item = items::find_item(connection, request.path_param("id"), owner);
    if (!item) throw item_not_found();
    return keel::app::json_response(200, AttachmentList{list_attachments(connection, item->id)});
  }

  Response read(Request& request) const {
    const Attachment attachment = load(request);
    std::string etag = metadata_etag(attachment);
    if (const auto if_none_match = request.header("If-None-Match");
        if_none_match && names_etag(*if_none_match, etag)) {
      Response not_modified;
      not_modified.status = 304;
      not_modified.headers.set("ETag", std::move(etag));
      return not_modified;
    }
    return keel::app::json_response(200, attachment).with_header("ETag", std::move(etag));
  }

  Response content(Request& request) const {
    const Attachment attachment = load(request);
    auto stored = storage_.open(attachment.storage_name);
    if (!stored) {
      // A row without its file: someone removed it behind our back. Say so in
      // the log; the client sees what it would if the row were gone too.
      keel::observability::logger().error("attachment file missing",
                                          {{"attachment_id", std::string_view(attachment.id)}});
      throw attachment_not_found();
    }
    return keel::upload::file_response(
        request, std::move(*stored),
        {attachment.content_type, attachment.filename, keel::upload::strong_etag(attachment.sha256)});
  }

  // remove deletes the row, then (once that committed) the file: a failure in
  // between leaves an orphaned file, never a row without its file.
  Response remove(Request& request) const {
    const auto owner = owner_filter(request);
    const std::string storage_name = database_.in_transaction([&](Connection& connection) {
      auto attachment = find_attachment(connection, request.path_param("id"), owner);
      if (!attachment) throw attachment_not_found();
      delete_attachment(connection, attachment->id);
      return std::move(attachment->storage_name);
    });
    remove_files({storage_name});
    return Response::no_content();
  }

  // remove_files deletes stored files whose rows are gone; never throws (item
  // deletion calls it after its commit).
  void remove_files(const std::vector<std::string>& storage_names) const noexcept {
    std::int64_t missing = 0;
    for (const auto& name : storage_names) {
      if (!storage_.remove(name)) ++missing;
    }
    if (missing > 0) {
      try {
        keel::observability::logger().warning("attachment files already gone", {{"count", missing}});
      } catch (...) {  // logging must not turn a committed deletion into an error
      }
    }
  }

 private:
  Attachment load(const Request& request) const {
    auto connection = database_.acquire();
    auto attachment = find_attachment(connection, request.path_param("id"), owner_filter(request));
    if (!attachment) throw attachment_not_found();
    return std::move(*attachment);
  }

  // store makes the upload permanent: the file is renamed into place first
  // (fsyncs included), then a short transaction re-checks the item and
  // inserts the row, so the database's write lock is never held across a
  // file-sized fsync. Any failure after the rename removes the file, so a
  // failed upload leaves neither file nor row; only a crash between the two
  // steps can orphan a file (it has no row, so nothing points at it).
  void store(Attachment& attachment, keel::http::SpooledFile& temp,
             const std::optional<std::string>& owner) const {
    const auto name = storage_.commit(temp);
    if (!name) {
      keel::observability::logger().error("attachment could not be moved into UPLOAD_DIR",
                                          {{"attachment_id", std::string_view(attachment.id)}});
      throw ApiError(ErrorCode::internal_error, "The file could not be stored.");
    }
    attachment.storage_name = *name;
    try {
      database_.in_transaction([&](Connection& connection) {
        // The item may have been deleted while the body was parsed.
        const auto item = items::find_item(connection, attachment.item_id, owner);
        if (!item) throw item_not_found();
        attachment.owner_id = item->owner_id;  // the item's owner, even when an admin uploads
        attachment.created_at = keel::audit::now_timestamp();
        insert_attachment(connection, attachment);
      });
    } catch (...) {
      storage_.remove(*name);
      throw;
    }
  }

  keel::db::Database& database_;
  keel::upload::Storage storage_;
  std::vector<std::string> allowed_types_;
  keel::upload::MultipartOptions multipart_;
};

std::shared_ptr<const AttachmentHandlers> handlers_for(ServiceContext& context) {
  return std::make_shared<const AttachmentHandlers>(context.database, context.app.settings());
}

}  // namespace

void register_attachment_routes(ServiceContext& context) {
  const auto& settings = context.app.settings();
  auto attachments = handlers_for(context);
  if (const auto problem = attachments->storage().ensure_directory()) {
    throw std::runtime_error("UPLOAD_DIR cannot be used: " + *problem);
  }
  context.database.register_statements(attachment_statements());
  auto& router = context.app.router();
  const auto item_id = doc::path("id", "The item's id.");
  const auto attachment_id = doc::path("id", "The attachment's id, from its Location.");
  const std::size_t body_limit = static_cast<std::size_t>(settings.upload_max_bytes) + kMultipartOverhead;
  // A download is one of the allowed types; a client that takes any bytes may say so.
  auto download_types = settings.upload_allowed_types;
  download_types.emplace_back("application/octet-stream");

  router.add(Method::post, "/api/v1/items/{id}/attachments",
             [attachments](Request& r) { return attachments->upload(r); })
      .named("upload_attachment").tagged(kAttachmentsTag).status(201).requires_scope("items:write")
      .streams_body_to_file().limit_body(body_limit)
      .summarized("Attach a file to an item.")
      .described("`multipart/form-data` with one file part named `file`, at most UPLOAD_MAX_BYTES (" +
                 std::to_string(settings.upload_max_bytes) +
                 " bytes). The part's Content-Type must be on the allow-list, and the file's magic bytes and "
                 "its name's extension must agree with it (415 `unsupported_file_type` otherwise). The file "
                 "name is sanitised and kept for display only.")
      .param(item_id)
      .body(doc::multipart_file("file", "The file; its part's Content-Type declares its type.",
                                settings.upload_allowed_types))
      .responds(doc::response(201, "The stored attachment.", doc::json<Attachment>())
                    .with_header(doc::location()))
      .responds(doc::problem(413, "The file is larger than UPLOAD_MAX_BYTES."))
      .responds(doc::problem(415, "`unsupported_media_type`: the body is not multipart/form-data; "
                                  "`unsupported_file_type`: the file's type is not allowed or does not match "
                                  "its content or name."));

  router.add(Method::get, "/api/v1/items/{id}/attachments",
             [attachments](Request& r) { return attachments->list(r); })
      .named("list_attachments").tagged(kAttachmentsTag).requires_scope("items:read")
      .summarized("List an item's attachments (metadata), oldest first.")
      .param(item_id)
      .responds(doc::response(200, "The item's attachments.", doc::json<AttachmentList>()));

  router.add(Method::get, "/api/v1/attachments/{id}",
             [attachments](Request& r) { return attachments->read(r); })
      .named("get_attachment").tagged(kAttachmentsTag).requires_scope("items:read")
      .summarized("Read an attachment's metadata (404 when missing or someone else's).")
      .param(attachment_id)
      .param(doc::header("If-None-Match", "Answer 304 if the metadata's ETag is one of these."))
      .responds(doc::response(200, "The attachment.", doc::json<Attachment>()).with_header(doc::etag()))
      .responds(doc::response(304, "If-None-Match names the current ETag.").with_header(doc::etag()));

  router.add(Method::get, "/api/v1/attachments/{id}/content",
             [attachments](Request& r) { return attachments->content(r); })
      .named("download_attachment").tagged(kAttachmentsTag).requires_scope("items:read")
      .produces_only(download_types)
      .summarized("Download an attachment's file.")
      .described("Streamed from disk with its stored Content-Type, `Content-Disposition: attachment` "
                 "(RFC 6266 `filename*`), `ETag` (the SHA-256) and `X-Content-Type-Options: nosniff`. One "
                 "`Range` (`bytes=a-b`, `a-`, `-n`) is answered 206; a range past the end 416 with "
                 "`Content-Range: bytes */size`; several ranges get the whole file.")
      .param(attachment_id)
      .param(doc::header("Range", "One byte range, e.g. bytes=0-1023."))
      .param(doc::header("If-Range", "Apply Range only if this is still the ETag."))
      .param(doc::header("If-None-Match", "Answer 304 if the file's ETag is one of these."))
      .responds(doc::response(200, "The whole file.", doc::text("application/octet-stream", "The file"))
                    .with_header(doc::etag())
                    .with_header(doc::response_header("Content-Disposition",
                                                      "attachment; filename*=UTF-8''…")))
      .responds(doc::response(206, "The requested range.", doc::text("application/octet-stream", "The bytes"))
                    .with_header(doc::response_header("Content-Range", "bytes first-last/size")))
      .responds(doc::response(304, "If-None-Match names the current ETag.").with_header(doc::etag()))
      .responds(doc::problem(416, "The range starts past the end (Content-Range: bytes */size)."));

  router.add(Method::delete_, "/api/v1/attachments/{id}",
             [attachments](Request& r) { return attachments->remove(r); })
      .named("delete_attachment").tagged(kAttachmentsTag).status(204).requires_scope("items:write")
      .summarized("Delete an attachment and its file.")
      .param(attachment_id)
      .responds(doc::response(204, "Deleted."));
}

items::ItemRouteHooks item_route_hooks(ServiceContext& context) {
  auto attachments = handlers_for(context);
  return {.attachments_deleted = [attachments](const std::vector<std::string>& storage_names) {
    attachments->remove_files(storage_names);
  }};
}

}  // namespace service::attachments
