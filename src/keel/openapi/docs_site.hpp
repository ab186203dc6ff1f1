// keel/openapi/docs_site.hpp — GET /openapi.json, /docs (Swagger UI) and /redoc (ReDoc), offline.
//
// The UI assets come from npm (swagger-ui-dist, redoc; pinned in
// package-lock.json) and are served by keel itself from an assets directory
// laid out like node_modules — no CDN, so the docs work without a network.
// Each page gets the narrowest Content-Security-Policy that lets it work; the
// start-up scripts are files, so no page needs inline script.
//
//   auto assets = keel::openapi::find_assets_dir(std::getenv("KEEL_DOCS_ASSETS"), executable_path());
//   keel::openapi::add_docs_routes(app.router(), {.info = info, .assets_dir = assets});
//
// The document is built from the router on the first GET /openapi.json —
// after every route is registered — then cached with a content ETag.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include "keel/http/router.hpp"
#include "keel/openapi/document.hpp"

namespace keel::openapi {

// DocsOptions configures the docs routes.
struct DocsOptions {
  DocumentInfo info;
  std::optional<std::filesystem::path> assets_dir;  // none: /docs and /redoc answer 503
};

// add_docs_routes registers GET /openapi.json, /docs, /redoc and /docs/assets/{file}.
// `router` must outlive the routes (they read it to build the document).
void add_docs_routes(http::Router& router, DocsOptions options);

// holds_docs_assets says whether `dir` contains swagger-ui-dist/ and redoc/bundles/.
bool holds_docs_assets(const std::filesystem::path& dir);

// find_assets_dir picks the docs assets directory: `override_dir` (KEEL_DOCS_ASSETS)
// when given (and only it), else <exe dir>/../share/keel/docs (an install), else
// <exe dir>/../../node_modules (a build tree, build/<preset>/keel). nullopt: none holds the assets.
std::optional<std::filesystem::path> find_assets_dir(const char* override_dir,
                                                     const std::filesystem::path& executable);

// executable_path returns this process's executable (from /proc/self/exe; empty when unknown).
std::filesystem::path executable_path();

// kSwaggerUiPolicy is /docs's Content-Security-Policy: own scripts, styles and
// XHR only (the spec, "Try it out" and the token request are same-origin).
inline constexpr std::string_view kSwaggerUiPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
// kRedocPolicy is /redoc's: ReDoc's styled-components inject <style> elements
// (hence 'unsafe-inline' for styles only) and its search index runs in a blob: worker.
inline constexpr std::string_view kRedocPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; worker-src blob:; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'";

}  // namespace keel::openapi
