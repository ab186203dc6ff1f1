#include "keel/upload/download.hpp"

#include "keel/errors/api_error.hpp"
#include "keel/http/headers.hpp"
#include "keel/upload/byte_range.hpp"
#include "keel/upload/filename.hpp"

namespace keel::upload {
namespace {

// opaque_tag drops a weak prefix: If-None-Match compares weakly (RFC 9110 §13.1.2).
std::string_view opaque_tag(std::string_view tag) {
  tag = http::trim_whitespace(tag);
  if (tag.starts_with("W/")) tag.remove_prefix(2);
  return tag;
}

bool none_match(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    const std::string_view tag = opaque_tag(header.substr(0, comma));
    if (tag == "*" || tag == opaque_tag(etag)) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::string strong_etag(std::string_view sha256_hex) { return "\"" + std::string(sha256_hex) + "\""; }

http::Response file_response(const http::Request& request, StoredFile file, const Download& download) {
  if (const auto header = request.header("If-None-Match"); header && none_match(*header, download.etag)) {
    http::Response not_modified;
    not_modified.status = 304;
    not_modified.headers.set("ETag", download.etag);
    return not_modified;
  }
  const std::uint64_t size = file.size();
  // If-Range: the range applies only to the representation the client already has
  // (a strong ETag match; we send no Last-Modified, so a date never matches).
  auto range_header = request.header("Range");
  if (const auto if_range = request.header("If-Range");
      if_range && http::trim_whitespace(*if_range) != download.etag) {
    range_header.reset();
  }
  const RangeDecision range = evaluate_range(range_header, size);
  if (range.kind == RangeKind::unsatisfiable) {
    throw errors::ApiError(errors::ErrorCode::range_not_satisfiable,
                           "The requested range lies outside the file's " + std::to_string(size) + " bytes.")
        .with_header("Content-Range", "bytes */" + std::to_string(size));
  }
  const bool partial = range.kind == RangeKind::partial;
  auto response = http::Response::file(partial ? 206 : 200, file.release(), range.first, range.length,
                                       download.content_type);
  if (partial) response.headers.set("Content-Range", content_range(range, size));
  response.headers.set("Content-Disposition", content_disposition(download.filename));
  response.headers.set("ETag", download.etag);
  response.headers.set("Accept-Ranges", "bytes");
  response.headers.set("X-Content-Type-Options", "nosniff");
  return response;
}

}  // namespace keel::upload
