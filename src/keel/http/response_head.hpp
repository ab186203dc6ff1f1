// keel/http/response_head.hpp — the bytes of an HTTP/1.x response head, written
// by hand into one reusable string so that a connection sends a string-body
// response with one write (Beast's serializer costs a field allocation per
// header and walks many small buffers). The output is what Beast 1.81 sent
// for the same message: its reason phrases, duplicate fields kept together,
// values trimmed of surrounding spaces and tabs.
//
//   ResponseFraming framing{.status = 200, .version = 11, .keep_alive = true,
//                           .content_length = response.body.size()};
//   write_response_head(out, framing, response.headers, http_date());
//   // out == "HTTP/1.1 200 OK\r\nContent-Type: ...\r\nDate: ...\r\nContent-Length: 15\r\n\r\n"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "keel/http/headers.hpp"

namespace keel::http {

// ResponseFraming is what the server, not the handler, decides about a response's head.
struct ResponseFraming {
  int status = 200;        // 100..999 (the connection turns anything else into 500)
  unsigned version = 11;   // the request's HTTP version: 10 or 11
  bool keep_alive = true;  // the connection stays open after this response
  // content_length is the body's length; unset for responses without a body (1xx, 204, 304).
  std::optional<std::uint64_t> content_length;
};

// is_passed_through says whether a handler's header field goes on the wire:
// framing fields (Content-Length, Transfer-Encoding, Connection) are the
// server's, and an empty name or CR, LF or NUL in the name or value would
// split the response (header injection).
bool is_passed_through(std::string_view name, std::string_view value);

// write_response_head replaces `out` (keeping its capacity) with the status
// line, the passed-through fields of `headers`, Date (`date`, unless headers
// carry one), Connection (close for a closing HTTP/1.1 response, keep-alive
// for a kept HTTP/1.0 one), Content-Length when framing has one, and the
// blank line that ends the head.
void write_response_head(std::string& out, const ResponseFraming& framing, const Headers& headers,
                         std::string_view date);

}  // namespace keel::http
