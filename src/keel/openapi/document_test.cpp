#include "keel/openapi/document.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <stdexcept>
#include <string>

#include "keel/errors/error_code.hpp"
#include "keel/model/model.hpp"
#include "keel/openapi/describe.hpp"

namespace keel::openapi {
namespace {

namespace js = boost::json;
namespace m = keel::model;
using http::Method;
using ::testing::HasSubstr;

http::Response ok(http::Request&) { return http::Response::no_content(); }

constexpr http::Tag kThingsTag{"things", "Things of the test API."};

struct ThingCreate {
  std::string name;
  std::optional<std::string> email;
  std::vector<std::string> labels;
  std::optional<std::string> color;

  static constexpr std::string_view kModelName = "ThingCreate";
  template <class V>
  static void fields(V& v) {
    v.field("name", &ThingCreate::name, m::length(1, 50), m::example("Sprocket"));
    v.field("email", &ThingCreate::email, m::email());
    v.field("labels", &ThingCreate::labels, m::items(0, 5), m::each(m::length(1, 10)));
    v.field("color", &ThingCreate::color, m::one_of({"red", "green"}));
  }
};

struct Thing {
  std::string id;
  std::string name;
  static constexpr std::string_view kModelName = "Thing";
  template <class V>
  static void fields(V& v) {
    v.field("id", &Thing::id, m::read_only());
    v.field("name", &Thing::name);
  }
};

struct ThingQuery {
  std::int64_t limit = 20;
  std::optional<std::string> q;
  static constexpr std::string_view kModelName = "ThingQuery";
  template <class V>
  static void fields(V& v) {
    v.field("limit", &ThingQuery::limit, m::range(1, 100), m::default_value(20), m::describe("Page size."));
    v.field("q", &ThingQuery::q, m::length(1, 200));
  }
};

// A route table with every kind of fact the generator reads.
http::Router sample_router() {
  http::Router router;
  router.add(Method::get, "/health", ok)
      .named("health")
      .tagged("ops")
      .summarized("Liveness.")
      .exempt_from_rate_limit()
      .responds(response(200, "Up.", text("text/plain", "ok")));
  router.add(Method::post, "/api/v1/things", ok)
      .named("create_thing")
      .tagged(kThingsTag)
      .summarized("Create a thing.")
      .status(201)
      .body(json(ThingCreate{.name = "Sprocket", .email = {}, .labels = {"new"}, .color = "red"}))
      .responds(response(201, "The thing.", json<Thing>()).with_header(location()))
      .responds(problem(409, "A thing with this name exists."))
      .requires_scope("items:write");
  router.add(Method::get, "/api/v1/things", ok)
      .named("list_things")
      .tagged(kThingsTag)
      .summarized("List things.")
      .params(query<ThingQuery>())
      .responds(response(200, "Things.", json<Thing>()))
      .requires_scope("items:read");
  router.add(Method::get, "/api/v1/things/{id}", ok)
      .named("get_thing")
      .tagged(kThingsTag)
      .summarized("Read a thing.")
      .param(path("id", "The thing's id."))
      .param(header("If-None-Match", "A known ETag."))
      .responds(response(200, "The thing.", json<Thing>()).with_header(etag()));
  router.add(Method::delete_, "/api/v1/things/{id}", ok)
      .named("delete_thing")
      .tagged(kThingsTag)
      .summarized("Delete a thing.")
      .status(204)
      .deprecate("Sat, 01 Jan 2028 00:00:00 GMT")
      .responds(response(204, "Deleted."));
  router.add(Method::get, "/api/v1/pages/{n:int}", ok)
      .named("get_page")
      .tagged(kThingsTag)
      .summarized("A page.")
      .responds(response(200, "The page.", json<Thing>()));
  router.add(Method::post, "/api/v1/token", ok)
      .named("token")
      .tagged(kThingsTag)
      .summarized("Token.")
      .body(form<ThingQuery>())
      .responds(response(200, "Token.", json<Thing>()));
  router.add(Method::post, "/api/v1/things/{id}/files", ok)
      .named("upload")
      .tagged(kThingsTag)
      .summarized("Upload.")
      .status(201)
      .body(multipart_file("file", "The file.", {"image/png", "text/plain"}))
      .responds(response(201, "Stored.", json<Thing>()));
  router.add(Method::get, "/metrics", ok)
      .named("metrics")
      .tagged("ops")
      .summarized("Metrics.")
      .secured_by("MetricsToken")
      .produces_only({"text/plain"})
      .responds(response(200, "Metrics.", text("text/plain", "Prometheus text.")));
  router.add(Method::get, "/docs", ok).named("docs").undocumented();
  return router;
}

class DocumentTest : public ::testing::Test {
 protected:
  DocumentTest() : router_(sample_router()), doc_(build_document(router_, info())) {}

  static DocumentInfo info() {
    DocumentInfo info;
    info.version = "9.8.7";
    return info;
  }

  const js::object& op(std::string_view path, std::string_view method) const {
    return doc_.at("paths").at(path).at(method).as_object();
  }
  std::set<std::string> statuses(std::string_view path, std::string_view method) const {
    std::set<std::string> out;
    for (const auto& [status, _] : op(path, method).at("responses").as_object()) out.emplace(status);
    return out;
  }
  const js::object& schema(std::string_view name) const {
    return doc_.at("components").at("schemas").at(name).as_object();
  }

  http::Router router_;
  js::object doc_;
};

TEST_F(DocumentTest, EveryDocumentedRouteIsAnOperationAndNothingElse) {
  std::set<std::string> from_routes;
  for (const auto& route : router_.routes()) {
    if (!route.documented) continue;
    std::string method(http::to_string(route.method));
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    from_routes.insert(method + " " + openapi_path(route));
  }
  std::set<std::string> from_spec;
  for (const auto& [path, item] : doc_.at("paths").as_object()) {
    for (const auto& [method, _] : item.as_object())
      from_spec.insert(std::string(method) + " " + std::string(path));
  }
  EXPECT_EQ(from_spec, from_routes);
  EXPECT_FALSE(doc_.at("paths").as_object().contains("/docs"));
  EXPECT_TRUE(doc_.at("paths").as_object().contains("/api/v1/pages/{n}"));
}

TEST_F(DocumentTest, InfoServersAndVersion) {
  EXPECT_EQ(doc_.at("openapi"), "3.1.0");
  const auto& info = doc_.at("info").as_object();
  EXPECT_EQ(info.at("title"), "Keel API");
  EXPECT_EQ(info.at("version"), "9.8.7");
  EXPECT_EQ(info.at("license").at("identifier"), "MIT");
  EXPECT_EQ(doc_.at("servers").at(0).at("url"), "/");
}

TEST_F(DocumentTest, ErrorTableIsInTheDescriptionAndTheCodeEnum) {
  const std::string description(doc_.at("info").at("description").as_string());
  const auto& code = schema("ErrorCode");
  std::set<std::string> listed;
  for (const auto& v : code.at("enum").as_array()) listed.emplace(v.as_string());
  for (const auto& row : errors::all_errors()) {
    EXPECT_THAT(description, HasSubstr("| `" + std::string(row.name) + "` | " + std::to_string(row.status)));
    EXPECT_TRUE(listed.contains(std::string(row.name))) << row.name;
  }
  EXPECT_EQ(code.at("x-keel-errors").as_array().size(), errors::all_errors().size());
}

TEST_F(DocumentTest, TagsCarryTheirDescriptionsInOrderOfUse) {
  const auto& tags = doc_.at("tags").as_array();
  ASSERT_EQ(tags.size(), 2u);
  EXPECT_EQ(tags[0].at("name"), "ops");
  EXPECT_EQ(tags[1].at("name"), "things");
  EXPECT_EQ(tags[1].at("description"), "Things of the test API.");
}

TEST_F(DocumentTest, JsonBodyCarriesEveryConstraintAndAnExample) {
  const auto& create = op("/api/v1/things", "post");
  const auto& media = create.at("requestBody").at("content").at("application/json").as_object();
  EXPECT_EQ(media.at("schema").at("$ref"), "#/components/schemas/ThingCreate");
  EXPECT_EQ(media.at("example").at("name"), "Sprocket");
  EXPECT_EQ(create.at("requestBody").at("required"), true);
  const auto& props = schema("ThingCreate").at("properties");
  EXPECT_EQ(props.at("name").at("minLength"), 1);
  EXPECT_EQ(props.at("name").at("maxLength"), 50);
  EXPECT_EQ(props.at("email").at("format"), "email");
  EXPECT_EQ(props.at("labels").at("maxItems"), 5);
  EXPECT_EQ(props.at("labels").at("items").at("maxLength"), 10);
  EXPECT_EQ(props.at("color").at("enum").as_array().size(), 3u);  // red, green, null
  EXPECT_EQ(schema("ThingCreate").at("additionalProperties"), false);
}

TEST_F(DocumentTest, BodyRoutesGetTheirErrorResponses) {
  EXPECT_EQ(statuses("/api/v1/things", "post"),
            (std::set<std::string>{"201", "400", "401", "403", "406", "409", "413", "415", "422", "429",
                                   "500", "503", "default"}));
  const auto& responses = op("/api/v1/things", "post").at("responses").as_object();
  EXPECT_EQ(responses.at("422").at("$ref"), "#/components/responses/ValidationFailed");
  EXPECT_EQ(responses.at("409").at("description"), "A thing with this name exists.");
  EXPECT_EQ(responses.at("201").at("headers").at("Location").at("required"), true);
}

TEST_F(DocumentTest, RoutesWithoutBodyOrParamsGetNoBodyErrors) {
  EXPECT_EQ(statuses("/health", "get"), (std::set<std::string>{"200", "406", "500", "503", "default"}));
  EXPECT_EQ(statuses("/api/v1/pages/{n}", "get"),
            (std::set<std::string>{"200", "404", "406", "422", "429", "500", "503", "default"}));
}

TEST_F(DocumentTest, ProblemResponsesNarrowTheCodesOfTheirStatus) {
  const auto& not_found = doc_.at("components").at("responses").at("NotFound").as_object();
  const auto& media = not_found.at("content").at("application/problem+json").as_object();
  const auto& narrowed = media.at("schema").at("allOf").at(1).at("properties").as_object();
  EXPECT_EQ(narrowed.at("status").at("const"), 404);
  EXPECT_EQ(narrowed.at("code").at("enum"), js::array{"not_found"});
  EXPECT_TRUE(media.at("examples").as_object().contains("not_found"));
  EXPECT_TRUE(not_found.at("headers").as_object().contains("X-Request-ID"));
  const auto& validation = doc_.at("components")
                               .at("responses")
                               .at("ValidationFailed")
                               .at("content")
                               .at("application/problem+json")
                               .at("schema")
                               .at("allOf")
                               .at(0);
  EXPECT_EQ(validation.at("$ref"), "#/components/schemas/ValidationProblem");
  const auto& loc = schema("FieldError").at("properties").at("loc").as_object();
  EXPECT_EQ(loc.at("items").at("type"), (js::array{"string", "integer"}));
}

TEST_F(DocumentTest, SecurityFollowsScopesAndSchemes) {
  const auto& create = op("/api/v1/things", "post").at("security").as_array();
  ASSERT_EQ(create.size(), 2u);
  EXPECT_EQ(create[0].at(kOAuth2Scheme), js::array{"items:write"});
  EXPECT_EQ(create[1].at(kApiKeyScheme), js::array{"items:write"});
  EXPECT_TRUE(op("/health", "get").at("security").as_array().empty());
  EXPECT_EQ(op("/metrics", "get").at("security").at(0).at("MetricsToken"), js::array{});
  EXPECT_EQ(statuses("/metrics", "get").count("401"), 1u);
  EXPECT_EQ(statuses("/metrics", "get").count("403"), 0u);

  const auto& schemes = doc_.at("components").at("securitySchemes").as_object();
  const auto& password = schemes.at(kOAuth2Scheme).at("flows").at("password").as_object();
  EXPECT_EQ(password.at("tokenUrl"), "/api/v1/auth/token");
  for (const auto* scope : {"profile", "items:read", "items:write", "admin"}) {
    EXPECT_TRUE(password.at("scopes").as_object().contains(scope)) << scope;
  }
  EXPECT_EQ(schemes.at(kApiKeyScheme).at("name"), "X-API-Key");
  EXPECT_EQ(schemes.at(kApiKeyScheme).at("in"), "header");
}

TEST_F(DocumentTest, ParametersComeFromTemplatesModelsAndDocs) {
  const auto& page = op("/api/v1/pages/{n}", "get").at("parameters").at(0).as_object();
  EXPECT_EQ(page.at("in"), "path");
  EXPECT_EQ(page.at("required"), true);
  EXPECT_EQ(page.at("schema").at("type"), "integer");

  const auto& get = op("/api/v1/things/{id}", "get").at("parameters").as_array();
  ASSERT_EQ(get.size(), 2u);
  EXPECT_EQ(get[0].at("description"), "The thing's id.");
  EXPECT_EQ(get[0].at("schema").at("type"), "string");
  EXPECT_EQ(get[1].at("in"), "header");

  const auto& list = op("/api/v1/things", "get").at("parameters").as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].at("name"), "limit");
  EXPECT_EQ(list[0].at("description"), "Page size.");
  EXPECT_FALSE(list[0].as_object().contains("required"));
  EXPECT_EQ(list[0].at("schema").at("minimum"), 1);
  EXPECT_EQ(list[0].at("schema").at("maximum"), 100);
  EXPECT_EQ(list[0].at("schema").at("default"), 20);
  EXPECT_EQ(list[1].at("schema").at("maxLength"), 200);
}

TEST_F(DocumentTest, FormAndMultipartBodies) {
  const auto& token = op("/api/v1/token", "post").at("requestBody").at("content").as_object();
  EXPECT_TRUE(token.contains("application/x-www-form-urlencoded"));
  const auto& upload = op("/api/v1/things/{id}/files", "post")
                           .at("requestBody")
                           .at("content")
                           .at("multipart/form-data")
                           .as_object();
  EXPECT_EQ(upload.at("schema").at("required"), js::array{"file"});
  EXPECT_EQ(upload.at("encoding").at("file").at("contentType"), "image/png, text/plain");
  EXPECT_EQ(router_.routes()[7].consumes, std::vector<std::string>{"multipart/form-data"});
}

TEST_F(DocumentTest, DeprecatedRoutesSayWhenTheyGo) {
  const auto& removed = op("/api/v1/things/{id}", "delete");
  EXPECT_EQ(removed.at("deprecated"), true);
  EXPECT_THAT(std::string(removed.at("description").as_string()), HasSubstr("Sat, 01 Jan 2028"));
  const auto& headers = removed.at("responses").at("204").at("headers").as_object();
  EXPECT_TRUE(headers.contains("Deprecation"));
  EXPECT_TRUE(headers.contains("Sunset"));
  EXPECT_FALSE(op("/api/v1/things/{id}", "get").contains("deprecated"));
}

TEST_F(DocumentTest, PrettyJsonIsTheSameDocument) {
  const auto text = to_pretty_json(doc_);
  EXPECT_EQ(js::parse(text), js::value(doc_));
  EXPECT_THAT(text, HasSubstr("\n  \"info\": {\n    \"title\": \"Keel API\""));
}

// error_of builds a document from the routes `declare` adds; returns the logic_error's message.
std::string error_of(const std::function<void(http::Router&)>& declare) {
  http::Router router;
  declare(router);
  try {
    build_document(router, DocumentInfo{});
  } catch (const std::logic_error& error) {
    return error.what();
  }
  return "no error";
}

TEST(DocumentErrors, ProgrammingErrorsInTheTableAreCaught) {
  const auto fails_with = [](const std::function<void(http::Router&)>& declare, std::string_view what) {
    EXPECT_THAT(error_of(declare), HasSubstr(std::string(what)));
  };
  fails_with(
      [](http::Router& r) {
        r.add(Method::get, "/a", ok).named("x");
        r.add(Method::get, "/b", ok).named("x");
      },
      "duplicate operationId");
  fails_with([](http::Router& r) { r.add(Method::get, "/a", ok); }, "no operationId");
  fails_with([](http::Router& r) { r.add(Method::get, "/a", ok).named("a").requires_scope("root"); },
             "scope 'root' is not declared");
  fails_with([](http::Router& r) { r.add(Method::get, "/a", ok).named("a").secured_by("Nope"); },
             "security scheme 'Nope'");
  fails_with([](http::Router& r) { r.add(Method::get, "/a", ok).named("a").param(path("id", "x")); },
             "no path parameter id");
  fails_with(
      [](http::Router& r) {
        r.add(Method::get, "/a", ok).named("a").tagged(http::Tag{"t", "one"});
        r.add(Method::get, "/b", ok).named("b").tagged(http::Tag{"t", "two"});
      },
      "two descriptions");
  fails_with(
      [](http::Router& r) {
        auto clash = json<Thing>();
        clash.components = R"({"Thing":{"type":"string"}})";
        r.add(Method::post, "/a", ok).named("a").body(json<Thing>());
        r.add(Method::post, "/b", ok).named("b").body(clash);
      },
      "two different schemas are named 'Thing'");
}

}  // namespace
}  // namespace keel::openapi
