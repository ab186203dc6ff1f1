#include "keel/http/response.hpp"

#include <unistd.h>

namespace keel::http {

FileRange::~FileRange() {
  if (fd_ >= 0) ::close(fd_);
}

Response Response::json(int status, std::string json_text) {
  Response response;
  response.status = status;
  response.headers.set("Content-Type", "application/json");
  response.body = std::move(json_text);
  return response;
}

Response Response::text(int status, std::string body, std::string content_type) {
  Response response;
  response.status = status;
  response.headers.set("Content-Type", std::move(content_type));
  response.body = std::move(body);
  return response;
}

Response Response::no_content() {
  Response response;
  response.status = 204;
  return response;
}

Response Response::file(int status, int fd, std::uint64_t offset, std::uint64_t length,
                        std::string content_type) {
  Response response;
  response.status = status;
  response.headers.set("Content-Type", std::move(content_type));
  response.body_file = std::make_shared<const FileRange>(fd, offset, length);
  return response;
}

}  // namespace keel::http
