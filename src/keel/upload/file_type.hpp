// keel/upload/file_type.hpp — what an uploaded file really is, and whether it may be kept.
//
// The client's Content-Type and file name are claims; libmagic reads the
// magic bytes. A file is accepted only when its declared type is on the
// allow-list (UPLOAD_ALLOWED_TYPES) and the sniffed type and the file name's
// extension both agree with it, so "evil.html" sent as image/png is refused.
//
//   auto verdict = upload::verify_file_type(*parsed.file, settings.upload_allowed_types);
//   if (!verdict.ok()) throw ApiError(ErrorCode::unsupported_file_type, verdict.detail);
//   store(verdict.media_type, ...);   // "image/png"
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "keel/upload/multipart.hpp"

namespace keel::upload {

// sniff_media_type returns libmagic's MIME type for the start of a file
// (e.g. "image/png", "text/plain", "application/x-empty"); "" when libmagic
// cannot be used. Thread-safe: each thread has its own libmagic handle.
std::string sniff_media_type(std::string_view head);

// TypeProblem says why a file's type was refused.
enum class TypeProblem {
  none,
  not_allowed,         // the declared type is missing or not on the allow-list
  extension_mismatch,  // the file name's extension does not belong to the declared type
  content_mismatch,    // the magic bytes say something else
};

// TypeVerdict is the outcome of check_file_type.
struct TypeVerdict {
  TypeProblem problem = TypeProblem::none;
  std::string media_type;  // the declared type, normalised (lower-case, no parameters)
  std::string detail;      // client-safe explanation when refused

  bool ok() const { return problem == TypeProblem::none; }
};

// check_file_type decides from the declared type, the (raw or sanitised)
// file name and the sniffed type. For the known types the extension must be
// one of the type's (png; jpg, jpeg; gif; webp; pdf; txt, text, log) and the
// sniffed type must equal the declared one, except text/plain, which accepts
// any text/* sniff but HTML, XML and scripts (libmagic calls C source
// text/x-c), and an empty file. A type on the allow-list but unknown here
// needs an exact sniff match; its extension is not checked.
TypeVerdict check_file_type(std::string_view declared, std::string_view filename, std::string_view sniffed,
                            const std::vector<std::string>& allowed_types);

// verify_file_type sniffs an uploaded file's head and checks it.
TypeVerdict verify_file_type(const UploadedFile& file, const std::vector<std::string>& allowed_types);

}  // namespace keel::upload
