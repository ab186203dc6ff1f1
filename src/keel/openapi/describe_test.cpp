#include "keel/openapi/describe.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace keel::openapi {
namespace {

namespace js = boost::json;
namespace m = keel::model;

js::object schema_of(const http::ParamDoc& doc) { return js::parse(doc.schema).as_object(); }

// Bounds has the shape of keel::app::IntParam, which a handler reads its parameter with.
struct Bounds {
  std::int64_t min = 0;
  std::int64_t max = 0;
  std::int64_t fallback = 0;
};

TEST(Describe, IntegerQueryFromTheHandlersBounds) {
  constexpr Bounds kLimit{.min = 1, .max = 100, .fallback = 20};
  const auto doc = query_integer("limit", kLimit, "Page size.");
  EXPECT_EQ(doc.in, http::ParamDoc::In::query);
  EXPECT_EQ(doc.name, "limit");
  EXPECT_FALSE(doc.required);
  EXPECT_EQ(
      schema_of(doc),
      (js::object{
          {"type", "integer"}, {"format", "int64"}, {"minimum", 1}, {"maximum", 100}, {"default", 20}}));
}

TEST(Describe, StringAndEnumQueries) {
  EXPECT_EQ(schema_of(query_string("q", 1, 200, "Search.")),
            (js::object{{"type", "string"}, {"minLength", 1}, {"maxLength", 200}}));
  const auto sort = schema_of(query_enum("sort", {"-created_at", "created_at", "title"}, "Order."));
  EXPECT_EQ(sort.at("default"), "-created_at");
  EXPECT_EQ(sort.at("enum").as_array().size(), 3u);
  EXPECT_THROW(query_enum("sort", {}, "Order."), std::logic_error);
}

struct Nested {
  std::string x;
  static constexpr std::string_view kModelName = "Nested";
  template <class V>
  static void fields(V& v) {
    v.field("x", &Nested::x);
  }
};

struct WithModel {
  Nested inner;
  static constexpr std::string_view kModelName = "WithModel";
  template <class V>
  static void fields(V& v) {
    v.field("inner", &WithModel::inner);
  }
};

struct Filters {
  std::vector<std::string> tag;
  std::string since;
  static constexpr std::string_view kModelName = "Filters";
  template <class V>
  static void fields(V& v) {
    v.field("tag", &Filters::tag, m::items(0, 5));
    v.field("since", &Filters::since, m::describe("ISO 8601 instant."));
  }
};

TEST(Describe, QueryModelsBecomeOneParameterEach) {
  const auto params = query<Filters>();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].name, "tag");
  EXPECT_FALSE(params[0].required);
  EXPECT_EQ(schema_of(params[0]).at("maxItems"), 5);
  EXPECT_EQ(params[1].name, "since");
  EXPECT_TRUE(params[1].required);
  EXPECT_EQ(params[1].description, "ISO 8601 instant.");
  EXPECT_FALSE(schema_of(params[1]).contains("description"));  // moved to the parameter
  EXPECT_THROW(query<WithModel>(), std::logic_error);
}

TEST(Describe, BodiesKnowTheirMediaTypeAndComponents) {
  const auto body = json<Filters>();
  EXPECT_EQ(body.media_type, "application/json");
  EXPECT_EQ(js::parse(body.schema), (js::object{{"$ref", "#/components/schemas/Filters"}}));
  EXPECT_TRUE(js::parse(body.components).as_object().contains("Filters"));
  EXPECT_EQ(form<Filters>().media_type, "application/x-www-form-urlencoded");
  const auto nested = json<WithModel>();
  EXPECT_TRUE(js::parse(nested.components).as_object().contains("Nested"));  // nested models come along
  EXPECT_EQ(js::parse(text("text/plain", "Metrics.").schema).at("type"), "string");
}

TEST(Describe, ResponsesAndProblems) {
  auto created = response(201, "Created.", json<Filters>()).with_header(location());
  EXPECT_EQ(created.status, 201);
  ASSERT_EQ(created.content.size(), 1u);
  ASSERT_EQ(created.headers.size(), 1u);
  EXPECT_EQ(created.headers[0].name, "Location");
  const auto conflict = problem(409, "Taken.");
  EXPECT_TRUE(conflict.content.empty());
  EXPECT_THROW(problem(200, "Not an error."), std::logic_error);
}

}  // namespace
}  // namespace keel::openapi
