// keel/edge/compression.hpp — gzip for responses and request bodies (zlib), as plain functions.
//
// Responses: a compressible media type (JSON, problem+json, text, JavaScript,
// CSS, HTML, SVG, XML) of at least kMinCompressBytes is gzipped when the
// client's Accept-Encoding allows gzip. Request bodies: gunzip() inflates a
// `Content-Encoding: gzip` body but stops at a byte cap, so a small "zip
// bomb" cannot expand into gigabytes of memory.
//
//   if (accepts_gzip(request.header("Accept-Encoding")) && is_compressible(type))
//     if (auto packed = gzip(body)) body = std::move(*packed);
//   auto inflated = gunzip(request.body, max_body_bytes);
//   if (inflated.status == GunzipStatus::too_large) ... 413
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace keel::edge {

// kMinCompressBytes: smaller bodies are sent as they are (gzip's header and
// the CPU cost outweigh the savings).
inline constexpr std::size_t kMinCompressBytes = 1024;
// kGzipLevel trades CPU for size; 4 keeps most of level 6's ratio on JSON at a fraction of the cost.
inline constexpr int kGzipLevel = 4;

// accepts_gzip reads an Accept-Encoding value: true when gzip (or x-gzip, or
// "*" without a gzip entry) is listed with a non-zero q. No header → false.
bool accepts_gzip(std::optional<std::string_view> accept_encoding);

// is_compressible says whether a Content-Type (parameters allowed) is worth
// gzipping; images, archives, PDFs and other compressed formats are not.
bool is_compressible(std::string_view content_type);

// gzip compresses `data` into a gzip member; std::nullopt when zlib fails or
// when the result would not be smaller than the input.
std::optional<std::string> gzip(std::string_view data, int level = kGzipLevel);

// GunzipStatus is how inflating a request body ended.
enum class GunzipStatus { ok, too_large, corrupt };

// GunzipResult is the inflated body (valid when status is ok).
struct GunzipResult {
  GunzipStatus status = GunzipStatus::ok;
  std::string data;
};

// gunzip inflates one or more concatenated gzip members; `max_bytes` caps the
// output (too_large as soon as it would be exceeded, without inflating the rest).
GunzipResult gunzip(std::string_view data, std::size_t max_bytes);

}  // namespace keel::edge
