// keel/upload/byte_range.hpp — the Range header of a download (RFC 9110 §14).
//
// One byte range is served as 206; a range past the end is 416 with
// `Content-Range: bytes */size`; anything else (no header, another unit,
// bad syntax, several ranges) is served whole as 200, which RFC 9110 allows
// (a server MAY ignore Range) and spares us multipart/byteranges.
//
//   auto range = upload::evaluate_range(request.header("Range"), size);
//   switch (range.kind) {
//     case upload::RangeKind::full: ...200, whole file
//     case upload::RangeKind::partial: ...206, range.first / range.length,
//                                      Content-Range: upload::content_range(range, size)
//     case upload::RangeKind::unsatisfiable: ...416, Content-Range: bytes */size
//   }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keel::upload {

// RangeKind is what to answer to a Range header.
enum class RangeKind { full, partial, unsatisfiable };

// RangeDecision is the answer and, for `partial`, the bytes to send.
struct RangeDecision {
  RangeKind kind = RangeKind::full;
  std::uint64_t first = 0;   // first byte (partial), else 0
  std::uint64_t length = 0;  // bytes to send: the range's for partial, the size for full
};

// evaluate_range decides how to answer `range_header` ("bytes=a-b",
// "bytes=a-", "bytes=-n") for a representation of `size` bytes.
RangeDecision evaluate_range(std::optional<std::string_view> range_header, std::uint64_t size);

// content_range formats "bytes first-last/size" for a partial decision.
std::string content_range(const RangeDecision& range, std::uint64_t size);

}  // namespace keel::upload
