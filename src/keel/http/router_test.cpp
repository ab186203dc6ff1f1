#include "keel/http/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace keel::http {
namespace {

Response ok(Request&) { return Response::no_content(); }

TEST(Router, MatchesLiteralAndBindsParameters) {
  Router router;
  router.add(Method::get, "/api/v1/items/{id}", ok);
  const auto match = router.match(Method::get, "/api/v1/items/abc-123");
  ASSERT_EQ(match.outcome, RouteMatch::Outcome::found);
  EXPECT_EQ(match.route->path_template, "/api/v1/items/{id}");
  ASSERT_EQ(match.params.size(), 1u);
  EXPECT_EQ(match.params[0].first, "id");
  EXPECT_EQ(match.params[0].second, "abc-123");
}

TEST(Router, UnknownPathIsNotFound) {
  Router router;
  router.add(Method::get, "/health", ok);
  EXPECT_EQ(router.match(Method::get, "/nope").outcome, RouteMatch::Outcome::not_found);
  EXPECT_EQ(router.match(Method::get, "/health/").outcome, RouteMatch::Outcome::not_found);
  EXPECT_EQ(router.match(Method::get, "/health/extra").outcome, RouteMatch::Outcome::not_found);
}

TEST(Router, WrongMethodListsAllowedMethods) {
  Router router;
  router.add(Method::get, "/items/{id}", ok);
  router.add(Method::delete_, "/items/{id}", ok);
  const auto match = router.match(Method::post, "/items/7");
  EXPECT_EQ(match.outcome, RouteMatch::Outcome::method_not_allowed);
  EXPECT_EQ(match.allow, "GET, HEAD, DELETE");
}

TEST(Router, HeadFallsBackToGet) {
  Router router;
  router.add(Method::get, "/health", ok);
  const auto match = router.match(Method::head, "/health");
  ASSERT_EQ(match.outcome, RouteMatch::Outcome::found);
  EXPECT_EQ(match.route->method, Method::get);
}

TEST(Router, LiteralSegmentBeatsParameterWhateverTheOrder) {
  Router router;
  router.add(Method::get, "/users/{id}", ok).named("by_id");
  router.add(Method::get, "/users/me", ok).named("me");
  EXPECT_EQ(router.match(Method::get, "/users/me").route->operation_id, "me");
  EXPECT_EQ(router.match(Method::get, "/users/42").route->operation_id, "by_id");
}

TEST(Router, IntParameterRejectsNonIntegersAsInvalidParam) {
  Router router;
  router.add(Method::get, "/pages/{n:int}", ok);
  EXPECT_EQ(router.match(Method::get, "/pages/12").outcome, RouteMatch::Outcome::found);
  const auto bad = router.match(Method::get, "/pages/twelve");
  ASSERT_EQ(bad.outcome, RouteMatch::Outcome::invalid_param);
  ASSERT_EQ(bad.param_errors.size(), 1u);
  EXPECT_EQ(bad.param_errors[0].type, "int_parsing");
  EXPECT_EQ(std::get<std::string>(bad.param_errors[0].loc[1]), "n");
}

TEST(Router, EmptyParameterSegmentDoesNotMatch) {
  Router router;
  router.add(Method::get, "/items/{id}", ok);
  EXPECT_EQ(router.match(Method::get, "/items/").outcome, RouteMatch::Outcome::not_found);
}

TEST(Router, RejectsMalformedTemplatesAndDuplicates) {
  Router router;
  EXPECT_THROW(router.add(Method::get, "no-slash", ok), std::invalid_argument);
  EXPECT_THROW(router.add(Method::get, "/a/{}", ok), std::invalid_argument);
  EXPECT_THROW(router.add(Method::get, "/a/{id:float}", ok), std::invalid_argument);
  EXPECT_THROW(router.add(Method::get, "/a/b}", ok), std::invalid_argument);
  router.add(Method::get, "/a", ok);
  EXPECT_THROW(router.add(Method::get, "/a", ok), std::invalid_argument);
}

TEST(Request, SplitsAndDecodesTarget) {
  std::string path;
  std::string query;
  ASSERT_TRUE(split_target("/a%20b/c?x=1&y=%2F", path, query));
  EXPECT_EQ(path, "/a b/c");
  EXPECT_EQ(query, "x=1&y=%2F");
  ASSERT_TRUE(split_target("http://example.com/items?x=2", path, query));
  EXPECT_EQ(path, "/items");
  EXPECT_EQ(query, "x=2");
  ASSERT_TRUE(split_target("HTTP://example.com", path, query));
  EXPECT_EQ(path, "/");
  EXPECT_FALSE(split_target("*", path, query));
  EXPECT_FALSE(split_target("example.com:443", path, query));
  EXPECT_FALSE(split_target("/bad%zz", path, query));
  EXPECT_FALSE(split_target("/nul%00", path, query));
  EXPECT_FALSE(split_target("/trunc%2", path, query));
}

TEST(Request, QueryParamsAreDecoded) {
  Request request;
  request.query = "q=hello+world&limit=5&tag=a%26b&flag";
  EXPECT_EQ(request.query_param("q"), "hello world");
  EXPECT_EQ(request.query_param("limit"), "5");
  EXPECT_EQ(request.query_param("tag"), "a&b");
  EXPECT_EQ(request.query_param("flag"), "");
  EXPECT_FALSE(request.query_param("missing").has_value());
  EXPECT_EQ(request.query_params().size(), 4u);
}

TEST(Headers, TrimWhitespaceDropsSpacesAndTabsOnly) {
  EXPECT_EQ(trim_whitespace(" \tgzip ;q=0 \t"), "gzip ;q=0");
  EXPECT_EQ(trim_whitespace("   "), "");
  EXPECT_EQ(trim_whitespace(""), "");
  EXPECT_EQ(trim_whitespace("\r\nx"), "\r\nx");
}

TEST(Request, ContentTypeDropsParametersAndCase) {
  Request request;
  request.headers.set("content-type", "Application/JSON ; charset=utf-8");
  EXPECT_EQ(request.content_type(), "application/json");
}

}  // namespace
}  // namespace keel::http
