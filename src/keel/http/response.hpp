// keel/http/response.hpp — what a handler returns.
//
//   return Response::json(201, serialize(item)).with_header("Location", url);
//   return Response::no_content();
#pragma once

#include <string>
#include <utility>

#include "keel/http/headers.hpp"

namespace keel::http {

// Response is a status, headers and a body held in memory.
struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // close asks the connection to close after sending (e.g. an unread body remains).
  bool close = false;

  // json builds a response whose body is already-serialised JSON.
  static Response json(int status, std::string json_text);
  // text builds a text/plain (or other `content_type`) response.
  static Response text(int status, std::string body,
                       std::string content_type = "text/plain; charset=utf-8");
  // no_content builds a 204.
  static Response no_content();

  Response&& with_header(std::string_view name, std::string value) && {
    headers.set(name, std::move(value));
    return std::move(*this);
  }
};

}  // namespace keel::http
