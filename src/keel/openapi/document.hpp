// keel/openapi/document.hpp — the OpenAPI 3.1 document, generated from a route table.
//
// Nothing about the API is written twice: paths, parameters and their
// constraints come from the route templates and their ParamDocs; bodies from
// model declarations (keel/openapi/describe.hpp); the error responses every
// operation can get from the route's facts (a body → 400/413/415/422, scopes
// → 401/403, path parameters → 404, rate limiting → 429, always 406/500/503)
// and from the one error table (keel/errors/error_code.hpp), which is also
// rendered into info.description and the `ErrorCode` schema.
//
//   boost::json::object spec = keel::openapi::build_document(app.router(), keel::openapi::DocumentInfo{});
//   std::cout << keel::openapi::to_pretty_json(spec);
//
// build_document throws std::logic_error on a programming error in the
// route table (duplicate operationId, an undeclared scope or security
// scheme, two different schemas under one model name), so a broken table
// fails `keel openapi` and the tests rather than reaching a client.
#pragma once

#include <string>
#include <vector>

#include <boost/json.hpp>

#include "keel/http/router.hpp"

namespace keel::openapi {

// Scope is one OAuth2 scope a route may require.
struct Scope {
  std::string name;
  std::string description;
};

// BearerScheme is an HTTP bearer scheme other than the OAuth2 one (the
// metrics token); a route names it with Route::secured_by.
struct BearerScheme {
  std::string name;
  std::string description;
};

// build_version returns the version this keel was built as (CMake's project version).
std::string build_version();

// DocumentInfo is what the route table does not know: info, servers, auth.
// The defaults describe this Keel build, so the server (/openapi.json) and the
// CLI (`keel openapi`) need no copy of them.
struct DocumentInfo {
  std::string title = "Keel API";
  std::string version = build_version();
  std::string summary = "A production-ready REST API server.";
  std::string description;  // Markdown introduction; empty → Keel's (see document.cpp)
  std::string license_name = "MIT";
  std::string license_identifier = "MIT";  // SPDX
  std::string server_url = "/";
  std::string server_description = "This server (the document's own origin).";
  // OAuth2 password flow (RFC 6749 §4.3, kept for Swagger UI; see docs/api.md).
  std::string token_url = "/api/v1/auth/token";
  std::vector<Scope> scopes = {
      {"profile", "Read and change your own account (/users/me*)."},
      {"items:read", "Read your items and their attachments."},
      {"items:write", "Create, change and delete your items and attachments."},
      {"admin", "Administer users and read the audit log (superusers only)."},
  };
  std::string api_key_header = "X-API-Key";
  std::vector<BearerScheme> bearer_schemes = {
      {"MetricsToken", "The METRICS_TOKEN bearer token /metrics requires when it is set."},
  };
};

// Security scheme names used in the document.
inline constexpr std::string_view kOAuth2Scheme = "OAuth2PasswordBearer";
inline constexpr std::string_view kApiKeyScheme = "APIKeyHeader";

// build_document returns the OpenAPI 3.1 document of every documented route.
boost::json::object build_document(const http::Router& router, const DocumentInfo& info);

// openapi_path turns a route's segments into an OpenAPI path ("/pages/{n}" for "/pages/{n:int}").
std::string openapi_path(const http::Route& route);

// to_pretty_json renders JSON with two-space indentation (for `keel openapi`).
std::string to_pretty_json(const boost::json::value& value);

}  // namespace keel::openapi
