// keel/http/request.hpp — what a handler sees of an HTTP request.
//
// The connection fills the wire facts (method, target, headers, body, peer);
// the pipeline fills `context` as the request travels (request id, matched
// route, path parameters, client identity). Handlers read both.
//
//   Response get_item(Request& request) {
//     auto id = request.path_param("id");
//     auto limit = request.query_param("limit");
//     ...
//   }
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/errors/error_code.hpp"
#include "keel/http/headers.hpp"
#include "keel/http/method.hpp"
#include "keel/http/spooled_file.hpp"

namespace keel::http {

struct Route;

// Principal is an authenticated caller, set by the authentication stage.
struct Principal {
  enum class Credential { bearer, api_key };
  std::string subject;              // the user id
  std::vector<std::string> scopes;  // what the credential may do
  Credential credential = Credential::bearer;
  std::string token_id;             // bearer: the access token's jti; api_key: the key id
  std::string session_id;           // bearer: the refresh-token family it came from ("" if none)
  std::int64_t expires_at = 0;      // Unix seconds; 0 = does not expire

  // has_scope says whether `scope` was granted.
  bool has_scope(std::string_view scope) const {
    for (const auto& granted : scopes) {
      if (granted == scope) return true;
    }
    return false;
  }
};

// RequestContext is what the framework learns about a request while it is
// processed. Owned by the request; touched only by the thread running it.
struct RequestContext {
  using Clock = std::chrono::steady_clock;

  std::string request_id;        // sane client X-Request-ID or a generated one
  std::string trace_id;          // from W3C traceparent, else empty
  std::string parent_span_id;    // from W3C traceparent, else empty
  const Route* route = nullptr;  // the matched route; nullptr when none matched
  std::vector<std::pair<std::string, std::string>> path_params;
  std::string client_ip;         // peer address, or the trusted proxy's client
  bool secure = false;           // arrived over TLS (directly or per a trusted proxy)
  std::string user_id;           // authenticated subject, for logs and rate-limit keys
  std::optional<Principal> principal;  // set by the authentication stage for a valid credential
  Clock::time_point received_at = Clock::now();
  Clock::time_point deadline = Clock::time_point::max();

  // early_error is set by the connection when the request cannot be served
  // (413 before the body, 431, 414, 408, handler timeout, draining); the
  // pipeline still runs so the answer carries a request id, headers and a log line.
  std::optional<errors::ErrorCode> early_error;
  std::string early_error_detail;
};

// Request is one parsed HTTP request.
struct Request {
  Method method = Method::unknown;
  std::string method_name;  // as sent, e.g. "GET" or "BREW"
  std::string target;       // raw request target, e.g. "/api/v1/items?limit=5"
  std::string path;         // percent-decoded path, without the query
  std::string query;        // raw query string without '?'
  unsigned version = 11;    // 10 or 11
  Headers headers;
  std::string body;
  // body_file replaces `body` on a route marked streams_body_to_file(): the
  // body as spooled to disk while it arrived (null when none was sent). Shared
  // so Request stays copyable; the file goes when the last holder lets go.
  std::shared_ptr<SpooledFile> body_file;
  std::string peer_address;  // the TCP peer
  RequestContext context;

  // query_param returns the decoded value of the first `name=` in the query.
  std::optional<std::string> query_param(std::string_view name) const;
  // query_params returns every decoded (name, value) pair in order.
  std::vector<std::pair<std::string, std::string>> query_params() const;
  // path_param returns the value bound to `{name}` in the route template ("" if absent).
  std::string_view path_param(std::string_view name) const;
  // header returns the first value of header `name`.
  std::optional<std::string_view> header(std::string_view name) const { return headers.get(name); }
  // content_type returns the media type without parameters, lower-cased ("" if absent).
  std::string content_type() const;
};

// split_target splits "/a%20b?x=1" into the decoded path "/a b" and raw query
// "x=1" (an absolute-form target "http://host/a" yields "/a"); returns false
// for other forms ("*", authority-form), a bad escape or an encoded NUL.
bool split_target(std::string_view target, std::string& path, std::string& query);

// percent_decode decodes %XX escapes (and '+' as space when `plus_as_space`);
// returns std::nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space);

}  // namespace keel::http
