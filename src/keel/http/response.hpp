// keel/http/response.hpp — what a handler returns.
//
//   return Response::json(201, serialize(item)).with_header("Location", url);
//   return Response::no_content();
//   // A file, or a byte range of it, sent from disk in chunks (never read whole):
//   return Response::file(206, fd, offset, length, "image/png")   // takes the fd
//       .with_header("Content-Range", "bytes 0-99/5000");
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "keel/http/headers.hpp"

namespace keel::http {

// FileRange is an open file and the byte range of it a response sends. It
// owns the descriptor and closes it when the last response copy lets go (sent,
// or dropped after a timeout). Opening the file in the handler means a file
// deleted meanwhile cannot turn a promised 200 into a broken answer.
class FileRange {
 public:
  // FileRange takes ownership of `fd` (opened for reading).
  FileRange(int fd, std::uint64_t offset, std::uint64_t length) : fd_(fd), offset_(offset), length_(length) {}
  ~FileRange();
  FileRange(const FileRange&) = delete;
  FileRange& operator=(const FileRange&) = delete;

  int fd() const { return fd_; }
  std::uint64_t offset() const { return offset_; }
  std::uint64_t length() const { return length_; }

 private:
  int fd_;
  std::uint64_t offset_;
  std::uint64_t length_;
};

// Response is a status, headers and a body held in memory or, for
// Response::file, a range of an open file.
struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // body_file, when set, is the body instead of `body`: its length is the
  // Content-Length and the connection streams it from disk.
  std::shared_ptr<const FileRange> body_file;
  // close asks the connection to close after sending (e.g. an unread body remains).
  bool close = false;

  // json builds a response whose body is already-serialised JSON.
  static Response json(int status, std::string json_text);
  // text builds a text/plain (or other `content_type`) response.
  static Response text(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
  // no_content builds a 204.
  static Response no_content();
  // file builds a response that streams `length` bytes of `fd` from `offset`;
  // it takes ownership of `fd`.
  static Response file(int status, int fd, std::uint64_t offset, std::uint64_t length,
                       std::string content_type);

  // body_size is the number of body bytes (the file range's length for a file response).
  std::uint64_t body_size() const { return body_file ? body_file->length() : body.size(); }

  Response&& with_header(std::string_view name, std::string value) && {
    headers.set(name, std::move(value));
    return std::move(*this);
  }
};

}  // namespace keel::http
