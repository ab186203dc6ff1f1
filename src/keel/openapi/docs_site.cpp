#include "keel/openapi/docs_site.hpp"

#include <array>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>

#include <boost/json.hpp>

#include "keel/errors/api_error.hpp"
#include "keel/openapi/describe.hpp"

namespace keel::openapi {
namespace {

namespace fs = std::filesystem;
using errors::ApiError;
using errors::ErrorCode;
using http::Method;
using http::Request;
using http::Response;

constexpr std::string_view kJavaScript = "text/javascript; charset=utf-8";
constexpr std::string_view kCss = "text/css; charset=utf-8";
constexpr std::string_view kHtml = "text/html; charset=utf-8";
constexpr std::string_view kPng = "image/png";
// Browsers revalidate (a cheap 304) on every load, so an upgrade is seen at once.
constexpr std::string_view kRevalidate = "no-cache";

// AssetFile is one file the docs pages load from the npm packages.
struct AssetFile {
  std::string_view name;           // the URL's last segment
  std::string_view relative_path;  // under the assets directory (node_modules layout)
  std::string_view content_type;
};

constexpr std::array kAssetFiles{
    AssetFile{"swagger-ui-bundle.js", "swagger-ui-dist/swagger-ui-bundle.js", kJavaScript},
    AssetFile{"swagger-ui.css", "swagger-ui-dist/swagger-ui.css", kCss},
    AssetFile{"favicon-32x32.png", "swagger-ui-dist/favicon-32x32.png", kPng},
    AssetFile{"redoc.standalone.js", "redoc/bundles/redoc.standalone.js", kJavaScript},
};

// The pages' start-up code, served as files so the CSP needs no inline script.
constexpr std::string_view kSwaggerInit = R"(// Keel: starts Swagger UI on /docs.
window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  validatorUrl: null,
  displayRequestDuration: true,
  showCommonExtensions: true,
  persistAuthorization: false
});
)";

constexpr std::string_view kRedocInit = R"(// Keel: starts ReDoc on /redoc.
Redoc.init("openapi.json", {
  expandResponses: "200,201",
  requiredPropsFirst: true,
  jsonSampleExpandLevel: 3
}, document.getElementById("redoc"));
)";

// Asset is a served file: its bytes, type and content ETag.
struct Asset {
  std::string body;
  std::string content_type;
  std::string etag;
};

// etag_of is a strong validator of `body` (FNV-1a 64: a change detector, not a MAC).
std::string etag_of(std::string_view body) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const unsigned char c : body) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string etag = "\"";
  for (int shift = 60; shift >= 0; shift -= 4) etag += kHex[(hash >> shift) & 0xF];
  etag += '"';
  return etag;
}

Asset make_asset(std::string body, std::string_view content_type) {
  auto etag = etag_of(body);
  return {std::move(body), std::string(content_type), std::move(etag)};
}

// not_modified says whether If-None-Match names `etag` (weak comparison, RFC 9110 §13.1.2).
bool not_modified(const Request& request, std::string_view etag) {
  const auto header = request.header("If-None-Match");
  if (!header) return false;
  std::string_view rest = *header;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    auto tag = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
  }
  return false;
}

Response serve(const Request& request, const Asset& asset) {
  if (not_modified(request, asset.etag)) {
    Response response;
    response.status = 304;
    response.headers.set("ETag", asset.etag);
    response.headers.set("Cache-Control", std::string(kRevalidate));
    return response;
  }
  auto response = Response::text(200, asset.body, asset.content_type);
  response.headers.set("ETag", asset.etag);
  response.headers.set("Cache-Control", std::string(kRevalidate));
  return response;
}

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  if (!in && !in.eof()) return std::nullopt;
  return std::move(out).str();
}

std::string html_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// page renders a docs page: the UI's stylesheet and scripts, all relative
// (so the docs also work when keel is mounted under a path prefix).
std::string page(std::string_view title, std::string_view stylesheet, std::string_view mount_id,
                 std::string_view bundle, std::string_view init) {
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<title>" + html_escape(title) + "</title>\n";
  html += "<link rel=\"icon\" type=\"image/png\" href=\"docs/assets/favicon-32x32.png\">\n";
  if (!stylesheet.empty())
    html += "<link rel=\"stylesheet\" href=\"docs/assets/" + std::string(stylesheet) + "\">\n";
  html += "</head>\n<body>\n<div id=\"" + std::string(mount_id) + "\"></div>\n";
  html += "<script src=\"docs/assets/" + std::string(bundle) + "\"></script>\n";
  html += "<script src=\"docs/assets/" + std::string(init) + "\"></script>\n";
  html += "</body>\n</html>\n";
  return html;
}

// DocsSite is the state the docs routes share: the cached document and assets.
class DocsSite {
 public:
  DocsSite(const http::Router& router, DocsOptions options)
      : router_(router),
        options_(std::move(options)),
        swagger_page_(make_asset(page(options_.info.title + " — Swagger UI", "swagger-ui.css", "swagger-ui",
                                      "swagger-ui-bundle.js", "swagger-init.js"),
                                 kHtml)),
        redoc_page_(make_asset(
            page(options_.info.title + " — ReDoc", "", "redoc", "redoc.standalone.js", "redoc-init.js"), kHtml)) {
    loaded_.emplace("swagger-init.js",
                    std::make_shared<const Asset>(make_asset(std::string(kSwaggerInit), kJavaScript)));
    loaded_.emplace("redoc-init.js",
                    std::make_shared<const Asset>(make_asset(std::string(kRedocInit), kJavaScript)));
  }

  Response openapi_json(const Request& request) {
    // Built once, on first use: by then every route of the app is registered.
    std::call_once(document_once_, [this] {
      document_ =
          make_asset(boost::json::serialize(build_document(router_, options_.info)), "application/json");
    });
    return serve(request, document_);
  }

  Response docs_page(const Request& request, bool swagger) const {
    if (!options_.assets_dir) {
      throw ApiError(
          ErrorCode::service_unavailable,
          "The docs UI assets are not installed (run `npm ci`, or set KEEL_DOCS_ASSETS; see docs/api.md).");
    }
    auto response = serve(request, swagger ? swagger_page_ : redoc_page_);
    response.headers.set("Content-Security-Policy", std::string(swagger ? kSwaggerUiPolicy : kRedocPolicy));
    return response;
  }

  Response asset(const Request& request) {
    const auto name = request.path_param("file");
    auto found = load(name);
    if (!found) throw ApiError(ErrorCode::not_found, "No such docs asset.");
    return serve(request, *found);
  }

 private:
  // load returns the named asset, reading it from disk on first use.
  std::shared_ptr<const Asset> load(std::string_view name) {
    const std::lock_guard lock(mutex_);
    if (auto it = loaded_.find(name); it != loaded_.end()) return it->second;
    if (!options_.assets_dir) return nullptr;
    for (const auto& file : kAssetFiles) {
      if (file.name != name) continue;
      auto body = read_file(*options_.assets_dir / file.relative_path);
      if (!body) return nullptr;
      auto asset = std::make_shared<const Asset>(make_asset(std::move(*body), file.content_type));
      loaded_.emplace(std::string(name), asset);
      return asset;
    }
    return nullptr;
  }

  const http::Router& router_;
  DocsOptions options_;
  std::once_flag document_once_;
  Asset document_;
  Asset swagger_page_;
  Asset redoc_page_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const Asset>, std::less<>> loaded_;
};

// document_body documents /openapi.json's body: an OpenAPI document (its own schema is out of scope).
http::BodyDoc document_body() {
  http::BodyDoc doc;
  doc.schema = R"({"type":"object","required":["openapi","info","paths"],
    "properties":{"openapi":{"type":"string","pattern":"^3\\.1\\."},"info":{"type":"object"},"paths":{"type":"object"}}})";
  return doc;
}

}  // namespace

void add_docs_routes(http::Router& router, DocsOptions options) {
  auto site = std::make_shared<DocsSite>(router, std::move(options));
  router.add(Method::get, "/openapi.json", [site](Request& request) { return site->openapi_json(request); })
      .named("openapi")
      .tagged("operations")
      .summarized("This API's OpenAPI 3.1 document.")
      .described(
          "Generated from the route table and the model declarations when first requested, then "
          "cached; revalidate with If-None-Match.")
      .responds(response(200, "The OpenAPI document.", document_body()).with_header(etag()))
      .responds(response(304, "Not modified: the If-None-Match ETag is current.").with_header(etag()));
  router.add(Method::get, "/docs", [site](Request& request) { return site->docs_page(request, true); })
      .named("docs_swagger_ui")
      .produces_only({"text/html"})
      .undocumented();
  router.add(Method::get, "/redoc", [site](Request& request) { return site->docs_page(request, false); })
      .named("docs_redoc")
      .produces_only({"text/html"})
      .undocumented();
  router.add(Method::get, "/docs/assets/{file}", [site](Request& request) { return site->asset(request); })
      .named("docs_asset")
      .produces_only({"text/javascript", "text/css", "image/png"})
      .undocumented();
}

bool holds_docs_assets(const fs::path& dir) {
  std::error_code ec;
  for (const auto& file : kAssetFiles) {
    if (!fs::is_regular_file(dir / file.relative_path, ec)) return false;
  }
  return true;
}

std::optional<fs::path> find_assets_dir(const char* override_dir, const fs::path& executable) {
  if (override_dir != nullptr && *override_dir != '\0') {
    // An explicit choice is never second-guessed: a wrong path is reported, not skipped.
    fs::path dir(override_dir);
    return holds_docs_assets(dir) ? std::optional(dir) : std::nullopt;
  }
  if (executable.empty()) return std::nullopt;
  const auto exe_dir = executable.parent_path();
  for (const auto& candidate :
       {exe_dir / ".." / "share" / "keel" / "docs", exe_dir / ".." / ".." / "node_modules"}) {
    if (auto dir = candidate.lexically_normal(); holds_docs_assets(dir)) return dir;
  }
  return std::nullopt;
}

fs::path executable_path() {
  std::error_code ec;
  auto path = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path{} : path;
}

}  // namespace keel::openapi
