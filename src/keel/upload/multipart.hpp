// keel/upload/multipart.hpp — a streaming multipart/form-data reader (RFC 7578, RFC 2046).
//
// The body is read in fixed-size chunks; the `file` part's content goes
// straight to a temp file in the destination directory while its SHA-256 and
// size are computed, so an upload never sits whole in memory. Small text
// fields are kept. Every failure is a MultipartError (no exceptions), and a
// failed read leaves no file behind.
//
//   upload::MultipartOptions options{.dest_dir = settings.upload_dir};
//   auto parsed = upload::read_multipart(request, options);   // request.body_file or request.body
//   if (!parsed.ok()) throw ApiError(upload::error_code(parsed.error), parsed.detail);
//   upload::UploadedFile& file = *parsed.file;   // filename, content_type, size, sha256, head, file
//
// The incremental interface, for other sources:
//   upload::MultipartReader reader(boundary, options);
//   while (read some chunk) reader.feed(chunk);
//   auto parsed = reader.finish();
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/errors/error_code.hpp"
#include "keel/http/request.hpp"
#include "keel/http/spooled_file.hpp"

namespace keel::upload {

// kSniffBytes is how much of the file's start is kept for content sniffing.
constexpr std::size_t kSniffBytes = 8192;

// MultipartError says why a multipart body was refused.
enum class MultipartError {
  none,
  not_multipart,           // the Content-Type is not multipart/form-data
  bad_boundary,            // no boundary parameter, or one RFC 2046 does not allow
  malformed,               // no opening delimiter, a part without form-data disposition, bad padding
  truncated,               // the body ended before the closing delimiter
  part_headers_too_large,  // a part's header section exceeds max_part_header_bytes
  missing_file,            // no part named options.file_field
  too_many_files,          // the file field appears more than once
  unexpected_file,         // a file (a part with a filename) under another field name
  too_many_fields,         // more than max_fields text fields
  field_too_large,         // a text field over max_field_bytes
  file_too_large,          // the file part over max_file_bytes
  io_error,                // the temp file could not be created or written (server side)
};

// describe returns a client-safe sentence for `error`.
std::string_view describe(MultipartError error);

// error_code maps `error` onto the API's error table: 415 unsupported_media_type
// for a non-multipart body, 422 validation_error for a missing, repeated or
// misplaced file, 413 payload_too_large for file_too_large, 500 internal_error
// for io_error, else 400 bad_request.
errors::ErrorCode error_code(MultipartError error);

// MultipartOptions bounds the reader; dest_dir must be on the filesystem the
// file will finally live on (UPLOAD_DIR), so committing it is a rename.
struct MultipartOptions {
  std::string dest_dir;
  std::string file_field = "file";
  std::size_t chunk_size = std::size_t{64} * 1024;  // read size for read_multipart
  std::size_t max_part_header_bytes = 8192;
  std::size_t max_fields = 16;
  std::size_t max_field_bytes = 8192;
  std::uint64_t max_file_bytes = std::numeric_limits<std::uint64_t>::max();
};

// UploadedFile is the file part, already on disk.
struct UploadedFile {
  std::string filename;      // as sent (raw: sanitise before showing or storing it)
  std::string content_type;  // the part's declared media type, lower-case, no parameters ("" if none)
  std::uint64_t size = 0;
  std::string sha256;      // lower-case hex of the content
  std::string head;        // the first kSniffBytes of the content, for sniffing
  http::SpooledFile file;  // ".upload-…" in dest_dir; removed unless committed (upload::Storage)
};

// MultipartResult is the file and the text fields, or the error.
struct MultipartResult {
  MultipartError error = MultipartError::none;
  std::string detail;  // client-safe explanation when error != none
  std::optional<UploadedFile> file;
  std::vector<std::pair<std::string, std::string>> fields;  // other parts: (name, value) in order

  bool ok() const { return error == MultipartError::none; }
  // field returns the first text field called `name`.
  std::optional<std::string_view> field(std::string_view name) const;
};

// BoundaryResult is the boundary of a multipart/form-data Content-Type, or why there is none.
struct BoundaryResult {
  std::string boundary;
  MultipartError error = MultipartError::none;
};

// multipart_boundary extracts the boundary parameter (token or quoted-string,
// 1–70 RFC 2046 bchars, not ending in a space) of a multipart/form-data Content-Type.
BoundaryResult multipart_boundary(std::string_view content_type);

// MultipartReader parses a body fed in arbitrary pieces; a piece boundary
// may fall anywhere, even inside a delimiter.
class MultipartReader {
 public:
  MultipartReader(std::string_view boundary, MultipartOptions options);
  ~MultipartReader();
  MultipartReader(const MultipartReader&) = delete;
  MultipartReader& operator=(const MultipartReader&) = delete;

  // feed consumes the next piece of the body; once an error is known it does nothing.
  void feed(std::string_view piece);
  // failed is true once an error is known (the rest of the body need not be read).
  bool failed() const { return state_ == State::failed; }
  // finish ends the body and returns the result; call once.
  MultipartResult finish();

 private:
  enum class State { preamble, headers, content, epilogue, failed };
  enum class Sink { none, file, field };
  struct Digest;

  void process();
  bool after_delimiter();
  void start_part(std::string_view header_block);
  void emit(std::string_view content);
  void end_part();
  void fail(MultipartError error, std::string detail = {});

  MultipartOptions options_;
  std::string delimiter_;  // CRLF "--" boundary
  std::string pending_;    // received, not yet consumed
  State state_ = State::preamble;
  Sink sink_ = Sink::none;
  std::unique_ptr<Digest> digest_;
  MultipartResult result_;
};

// read_multipart reads a request's body (request.body_file when the route
// spools, else request.body) in options.chunk_size pieces.
MultipartResult read_multipart(const http::Request& request, const MultipartOptions& options);

// read_multipart reads `body` (any stream) in options.chunk_size pieces.
MultipartResult read_multipart(std::istream& body, std::string_view content_type,
                               const MultipartOptions& options);

}  // namespace keel::upload
