// keel/upload/download.hpp — the response to GET /attachments/{id}/content.
//
// Streams a stored file from disk with the headers a download needs:
// Content-Type, Content-Length, Content-Disposition (attachment, RFC 6266),
// ETag, Accept-Ranges and X-Content-Type-Options: nosniff; answers a single
// Range with 206, an unsatisfiable one with 416, If-None-Match with 304 and
// honours If-Range.
//
//   auto stored = storage.open(row.storage_name);
//   if (!stored) throw ApiError(ErrorCode::not_found, "No such attachment.");
//   return upload::file_response(request, std::move(*stored),
//                                {row.content_type, row.filename, upload::strong_etag(row.sha256)});
#pragma once

#include <string>
#include <string_view>

#include "keel/http/request.hpp"
#include "keel/http/response.hpp"
#include "keel/upload/storage.hpp"

namespace keel::upload {

// Download describes what is sent: the stored (verified) media type, the
// sanitised display name and the strong ETag (quoted).
struct Download {
  std::string content_type;
  std::string filename;
  std::string etag;
};

// strong_etag makes a strong ETag from a content hash: "\"<sha256>\"".
std::string strong_etag(std::string_view sha256_hex);

// file_response answers `request` (GET or HEAD) with `file`: 200 whole,
// 206 for one satisfiable range, 304 when If-None-Match matches. Throws
// errors::ApiError(range_not_satisfiable) carrying `Content-Range: bytes */size`
// for a range past the end (the pipeline renders the 416 problem).
http::Response file_response(const http::Request& request, StoredFile file, const Download& download);

}  // namespace keel::upload
