// keel/http/route.hpp — one entry of a route table.
//
// A route is a method, a path template and a handler, plus what the
// framework needs to know before running it: the media types it accepts and
// produces (415/406), its body limit (chosen before the body is read), where
// it runs, and the documentation facts the OpenAPI generator reads.
//
//   namespace doc = keel::openapi;                      // typed helpers: keel/openapi/describe.hpp
//   router.add(Method::post, "/api/v1/items", create_item)
//       .named("create_item").tagged(kItemsTag).status(201)
//       .summarized("Create an item.")
//       .body(doc::json<ItemCreate>())                  // also accepts application/json (415)
//       .responds(doc::response(201, "The new item.", doc::json<Item>()).with_header(doc::location()))
//       .requires_scope("items:write");
//
// The documentation types below are plain data (schemas are JSON text), so
// http stays free of the model layer: keel/openapi/describe.hpp fills them
// from model declarations, and keel/openapi/document.hpp reads them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/http/method.hpp"
#include "keel/http/request.hpp"
#include "keel/http/response.hpp"

namespace keel::http {

using Handler = std::function<Response(Request&)>;

// Execution says which threads run a route's handler.
enum class Execution {
  // pool: the handler pool, under HANDLER_TIMEOUT_MS; for anything that may block (DB, hashing).
  pool,
  // inline: the connection's I/O thread; only for handlers that never block (health, metrics).
  inline_io,
};

// Tag groups operations in the docs. Declare each once as a constant and use
// it on every route of the group, so its description is written once.
struct Tag {
  std::string_view name;
  std::string_view description;
};

// BodyDoc documents one media type of a request or response body.
struct BodyDoc {
  std::string media_type = "application/json";
  std::string schema;      // JSON Schema (JSON text), e.g. {"$ref":"#/components/schemas/Widget"}
  std::string components;  // JSON object text {"Widget": {...}}: the named schemas `schema` refers to
  std::string example;     // JSON text of one example value; empty when none
  std::string encoding;    // OpenAPI Encoding object map (JSON text) for form/multipart; empty when none

  // with_example sets the example (JSON text).
  BodyDoc& with_example(std::string json_text) { example = std::move(json_text); return *this; }
};

// ParamDoc documents a path, query or header parameter (or a response header).
struct ParamDoc {
  enum class In { path, query, header };
  In in = In::query;
  std::string name;
  std::string description;
  bool required = false;
  std::string schema = R"({"type":"string"})";  // JSON Schema (JSON text) with its constraints
  std::string example;                           // JSON text; empty when none
};

// ResponseDoc documents one status a route answers with (besides the error
// responses the OpenAPI generator derives from the route's facts).
struct ResponseDoc {
  int status = 200;
  std::string description;
  std::vector<BodyDoc> content;    // empty: no body
  std::vector<ParamDoc> headers;   // response headers (In::header)

  // with_header documents a response header (Location, ETag, ...).
  ResponseDoc& with_header(ParamDoc header) { headers.push_back(std::move(header)); return *this; }
};

// PathSegment is one '/'-separated piece of a template: a literal or a typed parameter.
struct PathSegment {
  enum class Kind { literal, string_param, int_param };
  Kind kind = Kind::literal;
  std::string text;  // the literal, or the parameter name
};

struct Route {
  Method method = Method::get;
  std::string path_template;  // e.g. "/api/v1/items/{id}" or "/users/{n:int}"
  std::vector<PathSegment> segments;
  Handler handler;

  std::string operation_id;
  std::string summary;
  std::string description;
  std::vector<std::string> tags;
  std::vector<Tag> tag_docs;          // tags declared with their description
  std::vector<std::string> consumes;  // body media types; empty = the route takes no body
  std::vector<std::string> produces{"application/json"};
  std::vector<std::string> scopes;    // required OAuth2 scopes (enforced by the authentication stage)
  bool authenticated = false;         // a valid credential is required (implied by any scope)
  std::size_t body_limit = 0;         // 0 = the server's MAX_BODY_BYTES
  Execution execution = Execution::pool;
  int success_status = 200;
  bool deprecated = false;
  std::string sunset;                 // HTTP-date for the Sunset header of deprecated routes
  std::int64_t deprecated_since = 0;  // Unix seconds for the Deprecation header; 0 = unknown
  bool rate_limited = true;           // false: exempt from rate limits (liveness/readiness probes)
  bool spools_body = false;           // the body goes to a temp file (Request::body_file), not memory

  // Documentation only (read by keel/openapi/document.hpp).
  std::vector<BodyDoc> request_bodies;     // one per accepted media type
  std::vector<ParamDoc> parameters;        // query/header parameters; path ones refine the template's
  std::vector<ResponseDoc> responses;      // the success response(s) and route-specific others
  std::vector<std::string> security_schemes;  // non-OAuth2 schemes the route requires (e.g. "MetricsToken")
  bool documented = true;                  // false: left out of the OpenAPI document (docs UI pages)

  // Fluent setters; each returns the route so a table entry reads as one statement.
  Route& named(std::string id) { operation_id = std::move(id); return *this; }
  Route& summarized(std::string text) { summary = std::move(text); return *this; }
  Route& described(std::string text) { description = std::move(text); return *this; }
  Route& tagged(std::string tag) { tags.push_back(std::move(tag)); return *this; }
  Route& tagged(Tag tag) { tags.emplace_back(tag.name); tag_docs.push_back(tag); return *this; }
  Route& accepts(std::string media_type) { consumes.push_back(std::move(media_type)); return *this; }
  Route& produces_only(std::vector<std::string> types) { produces = std::move(types); return *this; }
  Route& requires_scope(std::string scope) {
    scopes.push_back(std::move(scope));
    authenticated = true;
    return *this;
  }
  // requires_auth demands a valid bearer token or API key, whatever its scopes.
  Route& requires_auth() { authenticated = true; return *this; }
  Route& limit_body(std::size_t bytes) { body_limit = bytes; return *this; }
  Route& runs_inline() { execution = Execution::inline_io; return *this; }
  Route& status(int code) { success_status = code; return *this; }
  // deprecate marks the route deprecated since `since_unix` (RFC 9745 `Deprecation: @<seconds>`;
  // 0 = no date, sent as `true`) until `sunset_date` (RFC 8594 HTTP-date).
  Route& deprecate(std::string sunset_date, std::int64_t since_unix = 0) {
    deprecated = true;
    sunset = std::move(sunset_date);
    deprecated_since = since_unix;
    return *this;
  }
  Route& exempt_from_rate_limit() { rate_limited = false; return *this; }
  // streams_body_to_file spools the body to disk as it arrives (uploads); pair it with limit_body.
  Route& streams_body_to_file() { spools_body = true; return *this; }
  // body documents a request body and accepts its media type.
  Route& body(BodyDoc doc) {
    if (std::find(consumes.begin(), consumes.end(), doc.media_type) == consumes.end()) {
      consumes.push_back(doc.media_type);
    }
    request_bodies.push_back(std::move(doc));
    return *this;
  }
  Route& param(ParamDoc doc) { parameters.push_back(std::move(doc)); return *this; }
  Route& params(std::vector<ParamDoc> docs) {
    for (auto& doc : docs) parameters.push_back(std::move(doc));
    return *this;
  }
  Route& responds(ResponseDoc doc) { responses.push_back(std::move(doc)); return *this; }
  Route& secured_by(std::string scheme) { security_schemes.push_back(std::move(scheme)); return *this; }
  Route& undocumented() { documented = false; return *this; }
};

}  // namespace keel::http
