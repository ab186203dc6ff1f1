#include "keel/openapi/docs_site.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "keel/errors/api_error.hpp"

namespace keel::openapi {
namespace {

namespace fs = std::filesystem;
using http::Method;
using ::testing::HasSubstr;

// TempDir is a fresh directory removed after the test.
class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("keel-docs-" + std::to_string(std::random_device{}()))) {
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write(const fs::path& file, std::string_view text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

// fake_assets lays out `dir` like node_modules with tiny stand-ins for the UI files.
void fake_assets(const fs::path& dir) {
  write(dir / "swagger-ui-dist/swagger-ui-bundle.js", "window.SwaggerUIBundle = function () {};");
  write(dir / "swagger-ui-dist/swagger-ui.css", "body {}");
  write(dir / "swagger-ui-dist/favicon-32x32.png", "PNG");
  write(dir / "redoc/bundles/redoc.standalone.js", "window.Redoc = {};");
}

http::Response get(const http::Router& router, std::string path, const std::string& if_none_match = {}) {
  http::Request request;
  request.method = Method::get;
  request.path = std::move(path);
  if (!if_none_match.empty()) request.headers.set("If-None-Match", if_none_match);
  auto match = router.match(Method::get, request.path);
  EXPECT_EQ(match.outcome, http::RouteMatch::Outcome::found) << request.path;
  request.context.route = match.route;
  request.context.path_params = std::move(match.params);
  return match.route->handler(request);
}

class DocsSiteTest : public ::testing::Test {
 protected:
  DocsSiteTest() {
    fake_assets(assets_.path());
    router_.add(Method::get, "/health", [](http::Request&) { return http::Response::no_content(); })
        .named("health")
        .tagged("operations")
        .summarized("Liveness.");
    DocumentInfo info;
    info.version = "1.2.3";
    add_docs_routes(router_, {.info = info, .assets_dir = assets_.path()});
  }

  TempDir assets_;
  http::Router router_;
};

TEST_F(DocsSiteTest, ServesTheDocumentWithAnETagAndRevalidation) {
  const auto first = get(router_, "/openapi.json");
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.headers.get("Content-Type"), "application/json");
  EXPECT_EQ(first.headers.get("Cache-Control"), "no-cache");
  const auto doc = boost::json::parse(first.body).as_object();
  EXPECT_EQ(doc.at("info").at("version"), "1.2.3");
  EXPECT_TRUE(doc.at("paths").as_object().contains("/health"));
  EXPECT_TRUE(doc.at("paths").as_object().contains("/openapi.json"));
  EXPECT_FALSE(doc.at("paths").as_object().contains("/docs"));
  EXPECT_FALSE(doc.at("paths").as_object().contains("/docs/assets/{file}"));

  const auto etag = std::string(first.headers.get("ETag").value_or(""));
  ASSERT_EQ(etag.size(), 18u);
  EXPECT_EQ(get(router_, "/openapi.json", etag).status, 304);
  EXPECT_EQ(get(router_, "/openapi.json", "\"other\", W/" + etag).status, 304);
  EXPECT_EQ(get(router_, "/openapi.json", "\"other\"").status, 200);
  EXPECT_EQ(get(router_, "/openapi.json").body, first.body);  // cached, identical
}

TEST_F(DocsSiteTest, PagesLoadOnlyLocalAssetsUnderANarrowPolicy) {
  const auto swagger = get(router_, "/docs");
  ASSERT_EQ(swagger.status, 200);
  EXPECT_EQ(swagger.headers.get("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(swagger.headers.get("Content-Security-Policy"), kSwaggerUiPolicy);
  EXPECT_THAT(swagger.body, HasSubstr("<script src=\"docs/assets/swagger-ui-bundle.js\"></script>"));
  EXPECT_THAT(swagger.body, HasSubstr("<script src=\"docs/assets/swagger-init.js\"></script>"));
  EXPECT_THAT(swagger.body, HasSubstr("<title>Keel API — Swagger UI</title>"));
  EXPECT_THAT(swagger.body, Not(HasSubstr("http")));      // nothing from another origin
  EXPECT_THAT(swagger.body, Not(HasSubstr("<script>")));  // no inline script

  const auto redoc = get(router_, "/redoc");
  ASSERT_EQ(redoc.status, 200);
  EXPECT_EQ(redoc.headers.get("Content-Security-Policy"), kRedocPolicy);
  EXPECT_THAT(redoc.body, HasSubstr("docs/assets/redoc.standalone.js"));
  EXPECT_THAT(redoc.body, Not(HasSubstr("http")));
  EXPECT_THAT(std::string(kSwaggerUiPolicy), Not(HasSubstr("unsafe")));
}

TEST_F(DocsSiteTest, ServesWhitelistedAssetsFromTheDirectory) {
  const auto bundle = get(router_, "/docs/assets/swagger-ui-bundle.js");
  ASSERT_EQ(bundle.status, 200);
  EXPECT_EQ(bundle.body, "window.SwaggerUIBundle = function () {};");
  EXPECT_EQ(bundle.headers.get("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(get(router_, "/docs/assets/swagger-ui.css").headers.get("Content-Type"),
            "text/css; charset=utf-8");
  EXPECT_EQ(get(router_, "/docs/assets/redoc.standalone.js").body, "window.Redoc = {};");
  const auto init = get(router_, "/docs/assets/swagger-init.js");
  EXPECT_THAT(init.body, HasSubstr("url: \"openapi.json\""));
  EXPECT_THAT(init.body, HasSubstr("validatorUrl: null"));  // the public validator would leave the machine
  EXPECT_EQ(
      get(router_, "/docs/assets/swagger-ui-bundle.js", std::string(bundle.headers.get("ETag").value_or("")))
          .status,
      304);
  try {
    get(router_, "/docs/assets/package.json");
    ADD_FAILURE() << "a file outside the whitelist was served";
  } catch (const errors::ApiError& error) {
    EXPECT_EQ(error.code(), errors::ErrorCode::not_found);
  }
}

TEST(DocsSite, WithoutAssetsThePagesSayHowToInstallThem) {
  http::Router router;
  add_docs_routes(router, {.info = {}, .assets_dir = std::nullopt});
  try {
    get(router, "/docs");
    ADD_FAILURE() << "expected 503";
  } catch (const errors::ApiError& error) {
    EXPECT_EQ(error.code(), errors::ErrorCode::service_unavailable);
    EXPECT_THAT(error.detail(), HasSubstr("npm ci"));
  }
  EXPECT_EQ(get(router, "/openapi.json").status, 200);  // the document needs no assets
}

TEST(DocsSite, FindsTheAssetsNextToAnInstallOrABuildTree) {
  TempDir root;
  const auto exe = root.path() / "build" / "release" / "keel";
  EXPECT_EQ(find_assets_dir(nullptr, exe), std::nullopt);

  fake_assets(root.path() / "node_modules");
  EXPECT_EQ(find_assets_dir(nullptr, exe), (root.path() / "node_modules").lexically_normal());

  const auto installed = root.path() / "usr" / "bin" / "keel";
  fake_assets(root.path() / "usr" / "share" / "keel" / "docs");
  EXPECT_EQ(find_assets_dir(nullptr, installed), (root.path() / "usr/share/keel/docs").lexically_normal());

  // An explicit directory wins, and a wrong one is not silently replaced.
  EXPECT_EQ(find_assets_dir((root.path() / "node_modules").c_str(), installed), root.path() / "node_modules");
  EXPECT_EQ(find_assets_dir((root.path() / "nowhere").c_str(), exe), std::nullopt);
  EXPECT_FALSE(executable_path().empty());
}

}  // namespace
}  // namespace keel::openapi
