#include "keel/openapi/document.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>

#include "keel/openapi/problems.hpp"

namespace keel::openapi {
namespace {

namespace json = boost::json;
using http::ParamDoc;
using http::Route;

[[noreturn]] void fail(const Route& route, const std::string& what) {
  throw std::logic_error("keel::openapi: " + std::string(http::to_string(route.method)) + " " +
                         route.path_template + ": " + what);
}

json::object parse_object(const Route& route, std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  if (ec || !value.is_object()) fail(route, std::string(what) + " is not a JSON object");
  return std::move(value.as_object());
}

json::value parse_value(const Route& route, std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  if (ec) fail(route, std::string(what) + " is not JSON");
  return value;
}

std::string_view method_key(http::Method method) {
  switch (method) {
    case http::Method::get: return "get";
    case http::Method::head: return "head";
    case http::Method::post: return "post";
    case http::Method::put: return "put";
    case http::Method::patch: return "patch";
    case http::Method::delete_: return "delete";
    case http::Method::options: return "options";
    case http::Method::unknown: break;
  }
  return "";
}

std::string_view in_name(ParamDoc::In in) {
  switch (in) {
    case ParamDoc::In::path: return "path";
    case ParamDoc::In::query: return "query";
    case ParamDoc::In::header: break;
  }
  return "header";
}

std::string default_description() {
  return R"(Keel's HTTP API: the resources under `/api/v1`, and the operations endpoints (`/health`, `/readiness`, `/metrics`, this document) at the root. Interactive docs: [Swagger UI](/docs) and [ReDoc](/redoc).

## Authentication

Protected operations list the scopes they need. Send either an OAuth2 access token as `Authorization: Bearer <token>` or an API key as `X-API-Key: <key>`. Tokens come from `POST /api/v1/auth/token` (`application/x-www-form-urlencoded`, `grant_type=password` with `username` = email and `password`, or `grant_type=refresh_token`). The password grant is kept for compatibility with Swagger UI's "Authorize" button and OAuth2 password-flow clients, although RFC 9700 (OAuth 2.0 Security Best Current Practice) discourages it; prefer API keys for machines. No credentials: 401 with a plain `Bearer` challenge; a bad or expired token: 401 `invalid_token`; a valid token without a needed scope: 403 `insufficient_scope`.

## Errors

Every error is RFC 9457 `application/problem+json` with the members `type`, `title`, `status`, `detail`, `instance`, `code` and `request_id`. `code` is stable: program against it, never against `title` or `detail`. Validation errors (422) add `errors`, every failing field at once, in FastAPI's shape: `{"loc": ["body", "email"], "msg": "…", "type": "…"}`. Unknown body members are rejected (422 `extra_forbidden`).

Besides the responses each operation lists, any request can get: 405 `method_not_allowed` (with `Allow`), 408 `request_timeout`, 414 `uri_too_long`, 431 `header_too_large`, 400 `untrusted_host`, 403 `https_required`, 429 `rate_limited` (with `Retry-After`) and 503 while the server drains.

## Conventions

Every response carries `X-Request-ID` (yours when it is at most 64 characters of `[A-Za-z0-9._-]`, else a generated one). Rate-limited responses carry the IETF `RateLimit` and `RateLimit-Policy` headers. Deprecated operations are marked `deprecated` here and answer with `Deprecation` and `Sunset` headers until they are removed.

## Error codes
)";
}

// TagTable collects the document's tags in order of first use, with their descriptions.
class TagTable {
 public:
  void add(const Route& route) {
    for (const auto& name : route.tags) {
      if (std::find(order_.begin(), order_.end(), name) == order_.end()) order_.push_back(name);
    }
    for (const auto& tag : route.tag_docs) {
      auto [it, inserted] = descriptions_.emplace(std::string(tag.name), std::string(tag.description));
      if (!inserted && it->second != tag.description)
        fail(route, "tag '" + it->first + "' has two descriptions");
    }
  }

  json::array render() const {
    json::array tags;
    for (const auto& name : order_) {
      json::object tag{{"name", name}};
      if (auto it = descriptions_.find(name); it != descriptions_.end() && !it->second.empty()) {
        tag["description"] = it->second;
      }
      tags.push_back(std::move(tag));
    }
    return tags;
  }

 private:
  std::vector<std::string> order_;
  std::map<std::string, std::string, std::less<>> descriptions_;
};

// Generator builds the document one route at a time.
class Generator {
 public:
  explicit Generator(const DocumentInfo& info) : info_(info) {
    for (const auto& scope : info.scopes) scopes_.insert(scope.name);
    for (const auto& scheme : info.bearer_schemes) bearer_schemes_.insert(scheme.name);
  }

  void add(const Route& route) {
    if (!route.documented) return;
    if (route.operation_id.empty()) fail(route, "no operationId (Route::named)");
    if (!operation_ids_.insert(route.operation_id).second) fail(route, "duplicate operationId");
    const auto key = method_key(route.method);
    if (key.empty()) fail(route, "a route needs a concrete method");
    tags_.add(route);
    auto& item = paths_[openapi_path(route)];
    if (!item.is_object()) item.emplace_object();
    item.as_object()[key] = operation(route);
  }

  json::object finish() {
    json::object components{{"schemas", std::move(schemas_)}};
    problems_.add_to(components);
    components["securitySchemes"] = security_schemes();

    json::object document;
    document["openapi"] = "3.1.0";
    document["info"] = info_object();
    document["servers"] = json::array{{{"url", info_.server_url}, {"description", info_.server_description}}};
    document["tags"] = tags_.render();
    document["paths"] = std::move(paths_);
    document["components"] = std::move(components);
    return document;
  }

 private:
  json::object info_object() const {
    const auto intro =
        info_.description.empty() ? default_description() : info_.description + "\n\n## Error codes\n";
    return {{"title", info_.title},
            {"version", info_.version},
            {"summary", info_.summary},
            {"description", intro + "\n" + error_table_markdown()},
            {"license", {{"name", info_.license_name}, {"identifier", info_.license_identifier}}}};
  }

  json::object security_schemes() const {
    json::object scopes;
    for (const auto& scope : info_.scopes) scopes[scope.name] = scope.description;
    json::object schemes;
    schemes[kOAuth2Scheme] = {
        {"type", "oauth2"},
        {"description",
         "OAuth2 password grant (RFC 6749 §4.3) at the token endpoint; send the access token as "
         "`Authorization: Bearer …`. Kept for Swagger UI and OAuth2 clients although RFC 9700 discourages "
         "it."},
        {"flows",
         {{"password",
           {{"tokenUrl", info_.token_url},
            {"refreshUrl", info_.token_url},
            {"scopes", std::move(scopes)}}}}}};
    schemes[kApiKeyScheme] = {
        {"type", "apiKey"},
        {"in", "header"},
        {"name", info_.api_key_header},
        {"description", "An API key (`keel_<prefix>_<secret>`); it carries its own scopes."}};
    // OAuth2 and API keys are always declared (Swagger UI's Authorize offers them); other bearer schemes when
    // used.
    for (const auto& scheme : info_.bearer_schemes) {
      if (!used_bearer_schemes_.contains(scheme.name)) continue;
      schemes[scheme.name] = {{"type", "http"}, {"scheme", "bearer"}, {"description", scheme.description}};
    }
    return schemes;
  }

  void merge_components(const Route& route, const http::BodyDoc& body) {
    if (body.components.empty()) return;
    for (auto& [name, schema] : parse_object(route, body.components, "BodyDoc::components")) {
      auto [it, inserted] = schemas_.emplace(name, schema);
      if (!inserted && it->value() != schema)
        fail(route, "two different schemas are named '" + std::string(name) + "'");
    }
  }

  json::object media(const Route& route, const http::BodyDoc& body) {
    merge_components(route, body);
    json::object media_type;
    if (!body.schema.empty()) media_type["schema"] = parse_object(route, body.schema, "BodyDoc::schema");
    if (!body.example.empty()) media_type["example"] = parse_value(route, body.example, "BodyDoc::example");
    if (!body.encoding.empty())
      media_type["encoding"] = parse_object(route, body.encoding, "BodyDoc::encoding");
    return media_type;
  }

  json::object parameter(const Route& route, const ParamDoc& doc) {
    json::object param{{"name", doc.name}, {"in", in_name(doc.in)}};
    if (!doc.description.empty()) param["description"] = doc.description;
    if (doc.required || doc.in == ParamDoc::In::path) param["required"] = true;
    param["schema"] = parse_object(route, doc.schema, "ParamDoc::schema for " + doc.name);
    if (!doc.example.empty()) param["example"] = parse_value(route, doc.example, "ParamDoc::example");
    return param;
  }

  // parameters lists the template's path parameters (refined by path ParamDocs), then the rest.
  json::array parameters(const Route& route) {
    json::array params;
    std::set<std::pair<std::string, ParamDoc::In>> seen;
    for (const auto& segment : route.segments) {
      if (segment.kind == http::PathSegment::Kind::literal) continue;
      ParamDoc doc;
      doc.in = ParamDoc::In::path;
      doc.name = segment.text;
      doc.schema = segment.kind == http::PathSegment::Kind::int_param
                       ? R"({"type":"integer","format":"int64"})"
                       : R"({"type":"string","minLength":1})";
      for (const auto& declared : route.parameters) {
        if (declared.in != ParamDoc::In::path || declared.name != doc.name) continue;
        doc.description = declared.description;
        if (!declared.schema.empty()) doc.schema = declared.schema;
        doc.example = declared.example;
      }
      seen.emplace(doc.name, ParamDoc::In::path);
      params.push_back(parameter(route, doc));
    }
    for (const auto& declared : route.parameters) {
      if (declared.in == ParamDoc::In::path) {
        if (!seen.contains({declared.name, ParamDoc::In::path}))
          fail(route, "no path parameter " + declared.name);
        continue;
      }
      if (!seen.emplace(declared.name, declared.in).second)
        fail(route, "parameter " + declared.name + " twice");
      params.push_back(parameter(route, declared));
    }
    return params;
  }

  json::object request_body(const Route& route) {
    json::object content;
    for (const auto& body : route.request_bodies) content[body.media_type] = media(route, body);
    for (const auto& media_type : route.consumes) {
      if (!content.contains(media_type)) content[media_type] = json::object{};
    }
    return {{"required", true}, {"content", std::move(content)}};
  }

  json::object success_headers(const Route& route, const http::ResponseDoc& doc) const {
    json::object headers{{"X-Request-ID",
                          {{"description", "The request's id; quote it in support requests."},
                           {"required", true},
                           {"schema", {{"type", "string"}, {"pattern", "^[A-Za-z0-9._-]{1,64}$"}}}}}};
    if (route.rate_limited) {
      headers["RateLimit"] = {{"description", "IETF RateLimit header: the remaining budget."},
                              {"schema", {{"type", "string"}}}};
      headers["RateLimit-Policy"] = {
          {"description", "IETF RateLimit-Policy header: the budget and its window."},
          {"schema", {{"type", "string"}}}};
    }
    if (route.deprecated) {
      headers["Deprecation"] = {{"description", "Present while the operation is deprecated."},
                                {"required", true},
                                {"schema", {{"type", "string"}}}};
      if (!route.sunset.empty()) {
        headers["Sunset"] = {{"description", "When the operation will be removed (HTTP-date)."},
                             {"required", true},
                             {"schema", {{"type", "string"}, {"examples", json::array{route.sunset}}}}};
      }
    }
    for (const auto& header : doc.headers) {
      json::object h{{"schema", parse_object(route, header.schema, "response header schema")}};
      if (!header.description.empty()) h["description"] = header.description;
      // Documented response headers are promises: a 201 always has its Location.
      h["required"] = true;
      headers[header.name] = std::move(h);
    }
    return headers;
  }

  json::object declared_response(const Route& route, const http::ResponseDoc& doc) {
    if (doc.status >= 400 && doc.content.empty()) {
      // A route-specific error (409 email_taken, 412, ...): the shared problem response.
      auto ref = problems_.response_ref(doc.status);
      if (!doc.description.empty()) ref["description"] = doc.description;
      return ref;
    }
    json::object response{{"description", doc.description.empty() ? "Success." : doc.description}};
    response["headers"] = success_headers(route, doc);
    if (!doc.content.empty()) {
      json::object content;
      for (const auto& body : doc.content) content[body.media_type] = media(route, body);
      response["content"] = std::move(content);
    }
    return response;
  }

  json::object responses(const Route& route) {
    std::map<int, json::object> by_status;
    for (const auto& doc : route.responses) {
      if (by_status.contains(doc.status))
        fail(route, "status " + std::to_string(doc.status) + " documented twice");
      by_status[doc.status] = declared_response(route, doc);
    }
    // A route that documents its responses documents its success too (or has
    // none, like a handler that always fails); one that documents nothing gets a stub.
    if (route.responses.empty()) {
      http::ResponseDoc doc;
      doc.status = route.success_status;
      by_status[doc.status] = declared_response(route, doc);
    }
    const auto derive = [&](int status) {
      if (!by_status.contains(status)) by_status[status] = problems_.response_ref(status);
    };
    const bool has_body = !route.consumes.empty();
    const bool has_params =
        std::any_of(route.segments.begin(), route.segments.end(),
                    [](const auto& s) { return s.kind == http::PathSegment::Kind::int_param; }) ||
        std::any_of(route.parameters.begin(), route.parameters.end(),
                    [](const auto& p) { return p.in != ParamDoc::In::path; });
    const bool has_path_params = std::any_of(route.segments.begin(), route.segments.end(), [](const auto& s) {
      return s.kind != http::PathSegment::Kind::literal;
    });
    if (has_body) {
      derive(400);  // invalid_json, and malformed forms
      derive(413);
      derive(415);
    }
    if (has_body || has_params) derive(422);
    if (route.authenticated || !route.scopes.empty() || !route.security_schemes.empty()) derive(401);
    if (!route.scopes.empty()) derive(403);
    if (has_path_params) derive(404);
    derive(406);
    if (route.rate_limited) derive(429);
    derive(500);
    derive(503);

    json::object out;
    for (auto& [status, response] : by_status) out[std::to_string(status)] = std::move(response);
    out["default"] = problems_.default_ref();
    return out;
  }

  json::array security(const Route& route) {
    json::array requirements;
    if (route.authenticated || !route.scopes.empty()) {
      json::array scopes;
      for (const auto& scope : route.scopes) {
        if (!scopes_.contains(scope))
          fail(route, "scope '" + scope + "' is not declared in DocumentInfo::scopes");
        scopes.emplace_back(scope);
      }
      // Either credential works; an API key carries scopes too (OpenAPI 3.1 allows them for any scheme).
      requirements.push_back(json::object{{kOAuth2Scheme, scopes}});
      requirements.push_back(json::object{{kApiKeyScheme, scopes}});
    }
    for (const auto& scheme : route.security_schemes) {
      if (!bearer_schemes_.contains(scheme)) fail(route, "security scheme '" + scheme + "' is not declared");
      used_bearer_schemes_.insert(scheme);
      requirements.push_back(json::object{{scheme, json::array{}}});
    }
    return requirements;  // empty: public, said explicitly
  }

  json::object operation(const Route& route) {
    json::object op;
    if (!route.tags.empty()) {
      json::array tags;
      for (const auto& tag : route.tags) tags.emplace_back(tag);
      op["tags"] = std::move(tags);
    }
    if (!route.summary.empty()) op["summary"] = route.summary;
    std::string description = route.description;
    if (route.deprecated) {
      description += std::string(description.empty() ? "" : "\n\n") + "**Deprecated**" +
                     (route.sunset.empty() ? "." : ": removed after " + route.sunset + ".");
    }
    if (!description.empty()) op["description"] = description;
    op["operationId"] = route.operation_id;
    if (auto params = parameters(route); !params.empty()) op["parameters"] = std::move(params);
    if (!route.consumes.empty()) op["requestBody"] = request_body(route);
    op["responses"] = responses(route);
    op["security"] = security(route);
    if (route.deprecated) op["deprecated"] = true;
    return op;
  }

  const DocumentInfo& info_;
  std::set<std::string, std::less<>> scopes_;
  std::set<std::string, std::less<>> bearer_schemes_;
  std::set<std::string, std::less<>> used_bearer_schemes_;
  std::set<std::string> operation_ids_;
  TagTable tags_;
  json::object paths_;
  json::object schemas_;
  ProblemComponents problems_;
};

void pretty(const json::value& value, std::string& out, int depth) {
  const auto indent = [&](int d) { out.append(static_cast<std::size_t>(d) * 2, ' '); };
  if (value.is_object() && !value.as_object().empty()) {
    out += "{\n";
    bool first = true;
    for (const auto& [key, member] : value.as_object()) {
      if (!first) out += ",\n";
      first = false;
      indent(depth + 1);
      out += json::serialize(json::string(key)) + ": ";
      pretty(member, out, depth + 1);
    }
    out += "\n";
    indent(depth);
    out += "}";
  } else if (value.is_array() && !value.as_array().empty()) {
    out += "[\n";
    bool first = true;
    for (const auto& element : value.as_array()) {
      if (!first) out += ",\n";
      first = false;
      indent(depth + 1);
      pretty(element, out, depth + 1);
    }
    out += "\n";
    indent(depth);
    out += "]";
  } else {
    out += json::serialize(value);
  }
}

}  // namespace

std::string build_version() { return KEEL_VERSION; }

std::string openapi_path(const http::Route& route) {
  if (route.segments.empty()) return "/";
  std::string path;
  for (const auto& segment : route.segments) {
    path += '/';
    path += segment.kind == http::PathSegment::Kind::literal ? segment.text : "{" + segment.text + "}";
  }
  return path;
}

json::object build_document(const http::Router& router, const DocumentInfo& info) {
  Generator generator(info);
  for (const auto& route : router.routes()) generator.add(route);
  return generator.finish();
}

std::string to_pretty_json(const json::value& value) {
  std::string out;
  pretty(value, out, 0);
  out += '\n';
  return out;
}

}  // namespace keel::openapi
