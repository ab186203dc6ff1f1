// keel/http/route.hpp — one entry of a route table.
//
// A route is a method, a path template and a handler, plus what the
// framework needs to know before running it: the media types it accepts and
// produces (415/406), its body limit (chosen before the body is read), where
// it runs, and the documentation facts the OpenAPI generator reads.
//
//   router.add(Method::post, "/api/v1/items", create_item)
//       .named("create_item").tagged("items")
//       .accepts("application/json").status(201);
#pragma once

#include <cstddef>
#include <functional>
#include <string>
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
  std::vector<std::string> consumes;  // body media types; empty = the route takes no body
  std::vector<std::string> produces{"application/json"};
  std::vector<std::string> scopes;    // required OAuth2 scopes (enforced by auth middleware)
  std::size_t body_limit = 0;         // 0 = the server's MAX_BODY_BYTES
  Execution execution = Execution::pool;
  int success_status = 200;
  bool deprecated = false;
  std::string sunset;                 // HTTP-date for the Sunset header of deprecated routes

  // Fluent setters; each returns the route so a table entry reads as one statement.
  Route& named(std::string id) { operation_id = std::move(id); return *this; }
  Route& summarized(std::string text) { summary = std::move(text); return *this; }
  Route& described(std::string text) { description = std::move(text); return *this; }
  Route& tagged(std::string tag) { tags.push_back(std::move(tag)); return *this; }
  Route& accepts(std::string media_type) { consumes.push_back(std::move(media_type)); return *this; }
  Route& produces_only(std::vector<std::string> types) { produces = std::move(types); return *this; }
  Route& requires_scope(std::string scope) { scopes.push_back(std::move(scope)); return *this; }
  Route& limit_body(std::size_t bytes) { body_limit = bytes; return *this; }
  Route& runs_inline() { execution = Execution::inline_io; return *this; }
  Route& status(int code) { success_status = code; return *this; }
  Route& deprecate(std::string sunset_date) { deprecated = true; sunset = std::move(sunset_date); return *this; }
};

}  // namespace keel::http
