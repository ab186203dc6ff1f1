#include "keel/http/response_head.hpp"

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace keel::http {
namespace {

namespace bhttp = boost::beast::http;

constexpr std::string_view kDate = "Sat, 28 Nov 2026 04:00:00 GMT";

std::string head_of(const ResponseFraming& framing, const Headers& headers) {
  std::string out;
  write_response_head(out, framing, headers, kDate);
  return out;
}

Headers headers_of(const std::vector<Headers::Field>& fields) {
  Headers headers;
  for (const auto& [name, value] : fields) headers.add(name, value);
  return headers;
}

// beast_head is what the connection sent before it formatted heads itself:
// the fields copied into a Beast response and serialised by Beast.
std::string beast_head(const ResponseFraming& framing, const Headers& headers) {
  bhttp::response<bhttp::string_body> response;
  response.version(framing.version == 10 ? 10 : 11);
  response.result(static_cast<unsigned>(framing.status));
  bool has_date = false;
  for (const auto& [name, value] : headers.fields()) {
    if (!is_passed_through(name, value)) continue;
    has_date = has_date || iequals(name, "Date");
    response.insert(name, value);
  }
  if (!has_date) response.set(bhttp::field::date, kDate);
  response.keep_alive(framing.keep_alive);
  if (framing.content_length) response.content_length(*framing.content_length);
  std::ostringstream text;
  text << response.base();
  return text.str();
}

TEST(ResponseHeadTest, WritesStatusLineFieldsDateAndLength) {
  const auto head = head_of({.status = 200, .version = 11, .keep_alive = true, .content_length = 15},
                            headers_of({{"Content-Type", "application/json"}, {"X-Request-ID", "abc"}}));
  EXPECT_EQ(head,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-ID: abc\r\n"
            "Date: Sat, 28 Nov 2026 04:00:00 GMT\r\nContent-Length: 15\r\n\r\n");
}

TEST(ResponseHeadTest, ClosingHttp11SaysCloseAndKeptHttp10SaysKeepAlive) {
  EXPECT_EQ(head_of({.status = 413, .version = 11, .keep_alive = false, .content_length = 2}, {}),
            "HTTP/1.1 413 Payload Too Large\r\nDate: Sat, 28 Nov 2026 04:00:00 GMT\r\n"
            "Connection: close\r\nContent-Length: 2\r\n\r\n");
  EXPECT_EQ(head_of({.status = 200, .version = 10, .keep_alive = true, .content_length = 0}, {}),
            "HTTP/1.0 200 OK\r\nDate: Sat, 28 Nov 2026 04:00:00 GMT\r\n"
            "Connection: keep-alive\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(head_of({.status = 200, .version = 10, .keep_alive = false, .content_length = 0}, {}),
            "HTTP/1.0 200 OK\r\nDate: Sat, 28 Nov 2026 04:00:00 GMT\r\nContent-Length: 0\r\n\r\n");
}

TEST(ResponseHeadTest, NoLengthWithoutBody) {
  EXPECT_EQ(head_of({.status = 304, .version = 11, .keep_alive = true, .content_length = std::nullopt},
                    headers_of({{"ETag", "\"v1\""}})),
            "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nDate: Sat, 28 Nov 2026 04:00:00 GMT\r\n\r\n");
}

TEST(ResponseHeadTest, DropsFramingAndUnsafeFields) {
  const auto head = head_of({.status = 200, .version = 11, .keep_alive = true, .content_length = 1},
                            headers_of({{"content-length", "99"},
                                        {"Transfer-Encoding", "chunked"},
                                        {"CONNECTION", "keep-alive"},
                                        {"", "empty name"},
                                        {"X-Split", "a\r\nSet-Cookie: evil=1"},
                                        {"X-Bad\nName", "v"},
                                        {"X-Nul", std::string("a\0b", 3)},
                                        {"X-Ok", "fine"}}));
  EXPECT_EQ(head,
            "HTTP/1.1 200 OK\r\nX-Ok: fine\r\nDate: Sat, 28 Nov 2026 04:00:00 GMT\r\n"
            "Content-Length: 1\r\n\r\n");
  EXPECT_FALSE(is_passed_through("Connection", "close"));
  EXPECT_TRUE(is_passed_through("Content-Type", "text/plain"));
}

// The scan reads eight bytes at a time: a forbidden byte must be found at
// every position, in whole words and in the tail.
TEST(ResponseHeadTest, FindsForbiddenBytesAnywhereInLongText) {
  const std::string clean = "default-src 'none'; frame-ancestors";
  EXPECT_TRUE(is_passed_through("Content-Security-Policy", clean));
  for (const char forbidden : {'\r', '\n', '\0'}) {
    for (std::size_t at = 0; at < clean.size(); ++at) {
      std::string value = clean;
      value[at] = forbidden;
      EXPECT_FALSE(is_passed_through("X-Value", value)) << "byte " << int{forbidden} << " at " << at;
      EXPECT_FALSE(is_passed_through(value, "v")) << "byte " << int{forbidden} << " at " << at;
    }
  }
}

TEST(ResponseHeadTest, KeepsHandlerDateInPlace) {
  EXPECT_EQ(head_of({.status = 200, .version = 11, .keep_alive = true, .content_length = 0},
                    headers_of({{"date", "Thu, 01 Jan 2026 00:00:00 GMT"}, {"X-A", "1"}})),
            "HTTP/1.1 200 OK\r\ndate: Thu, 01 Jan 2026 00:00:00 GMT\r\nX-A: 1\r\nContent-Length: 0\r\n\r\n");
}

TEST(ResponseHeadTest, GroupsDuplicateNamesAtTheFirstAndTrimsValues) {
  EXPECT_EQ(head_of({.status = 200, .version = 11, .keep_alive = true, .content_length = 0},
                    headers_of({{"Vary", "Origin"},
                                {"X-A", " \tpadded\t "},
                                {"vary", "Accept-Encoding"},
                                {"Vary", "bad\r\n"},
                                {"X-Blank", "   "}})),
            "HTTP/1.1 200 OK\r\nVary: Origin\r\nvary: Accept-Encoding\r\nX-A: padded\r\nX-Blank: \r\n"
            "Date: Sat, 28 Nov 2026 04:00:00 GMT\r\nContent-Length: 0\r\n\r\n");
}

TEST(ResponseHeadTest, UsesBeastReasonPhrases) {
  EXPECT_EQ(
      head_of({.status = 404, .version = 11, .keep_alive = true, .content_length = 0}, {}).substr(0, 24),
      "HTTP/1.1 404 Not Found\r\n");
  EXPECT_EQ(
      head_of({.status = 799, .version = 11, .keep_alive = true, .content_length = 0}, {}).substr(0, 31),
      "HTTP/1.1 799 <unknown-status>\r\n");
}

TEST(ResponseHeadTest, ReplacesPreviousContent) {
  std::string out = "stale bytes from the previous response";
  write_response_head(out, {.status = 204, .version = 11, .keep_alive = true, .content_length = std::nullopt},
                      {}, kDate);
  EXPECT_EQ(out, "HTTP/1.1 204 No Content\r\nDate: Sat, 28 Nov 2026 04:00:00 GMT\r\n\r\n");
}

// The hand-written head must match what Beast produced for the same message.
TEST(ResponseHeadTest, MatchesBeastSerialisation) {
  const std::vector<Headers> header_sets{
      {},
      headers_of({{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}}),
      headers_of(
          {{"Set-Cookie", "a=1"}, {"X-Frame-Options", "DENY"}, {"set-cookie", "b=2"}, {"Set-Cookie", "c=3"}}),
      headers_of({{"Date", "Thu, 01 Jan 2026 00:00:00 GMT"}, {"Connection", "close"}, {"X-Empty", ""}}),
      headers_of({{"X-Trim", "  v  "}, {"Transfer-Encoding", "gzip"}, {"X-Evil", "a\nb"}, {"X-Trim", "\tw"}}),
  };
  for (const int status : {100, 200, 201, 204, 206, 304, 404, 413, 500, 503, 799}) {
    for (const unsigned version : {10U, 11U}) {
      for (const bool keep_alive : {false, true}) {
        for (const auto& headers : header_sets) {
          ResponseFraming framing{
              .status = status, .version = version, .keep_alive = keep_alive, .content_length = std::nullopt};
          if (status >= 200 && status != 204 && status != 304) framing.content_length = 1234567;
          EXPECT_EQ(head_of(framing, headers), beast_head(framing, headers))
              << "status " << status << " version " << version << " keep-alive " << keep_alive;
        }
      }
    }
  }
}

}  // namespace
}  // namespace keel::http
