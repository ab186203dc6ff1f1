// keel/upload/filename.hpp — client file names, made safe to show and to send back.
//
// A client's file name is display metadata only: it never becomes a storage
// path (upload::Storage generates those). Before it is stored or echoed it is
// sanitised, and on download it travels in an RFC 6266 Content-Disposition.
//
//   std::string shown = upload::sanitize_filename(part.filename);   // "../../x.png" → "x.png"
//   response.headers.set("Content-Disposition", upload::content_disposition(shown));
//   // attachment; filename="na_ve.png"; filename*=UTF-8''na%C3%AFve.png
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace keel::upload {

// kMaxFilenameBytes caps a sanitised name (the usual file-system limit).
constexpr std::size_t kMaxFilenameBytes = 255;

// sanitize_filename keeps the last path segment (after '/' or '\'), turns
// invalid UTF-8 into U+FFFD, drops control characters (C0, DEL, C1), quotes
// and bidirectional overrides, trims spaces and dots at both ends (no hidden
// or Windows-mangled names), caps the result at kMaxFilenameBytes on a code
// point boundary keeping a short extension, and never returns "" ("file").
std::string sanitize_filename(std::string_view raw);

// file_extension returns the lower-case text after the last '.' of a name
// ("" when there is none, or the name starts with its only dot).
std::string file_extension(std::string_view filename);

// content_disposition builds `attachment; filename="<ASCII fallback>";
// filename*=UTF-8''<percent-encoded>` (RFC 6266, RFC 8187) for a sanitised name.
std::string content_disposition(std::string_view filename);

}  // namespace keel::upload
