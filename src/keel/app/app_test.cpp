#include "keel/app/app.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "keel/app/content_negotiation.hpp"
#include "keel/app/problem.hpp"
#include "keel/observability/logger.hpp"

namespace keel::app {
namespace {

using errors::ApiError;
using errors::ErrorCode;
using http::Method;

config::Settings test_settings() {
  config::Settings settings;
  settings.app_env = config::AppEnv::test;
  return settings;
}

http::Request make_request(Method method, std::string target, std::string body = {}) {
  http::Request request;
  request.method = method;
  request.method_name = std::string(http::to_string(method));
  request.target = target;
  EXPECT_TRUE(http::split_target(target, request.path, request.query));
  request.body = std::move(body);
  return request;
}

boost::json::object body_of(const http::Response& response) {
  return boost::json::parse(response.body).as_object();
}

class AppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Keep test output clean: the app logs every request.
    observability::logger().configure(observability::LogLevel::error, observability::LogFormat::json,
                                      [](std::string_view) {});
  }

  http::Response run(http::Request request) {
    app_.plan(request);
    return app_.handle(request);
  }

  App app_{test_settings()};
};

TEST(Problem, RendersEveryMemberFromTheTable) {
  auto request = make_request(Method::get, "/api/v1/things/7");
  request.context.request_id = "req-1";
  const auto response = problem_response(ApiError(ErrorCode::not_found, "No such thing."), request);
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.headers.get("Content-Type"), "application/problem+json");
  const auto body = body_of(response);
  EXPECT_EQ(body.at("type"), "urn:keel:problem:not_found");
  EXPECT_EQ(body.at("title"), "Not Found");
  EXPECT_EQ(body.at("status"), 404);
  EXPECT_EQ(body.at("detail"), "No such thing.");
  EXPECT_EQ(body.at("instance"), "/api/v1/things/7");
  EXPECT_EQ(body.at("code"), "not_found");
  EXPECT_EQ(body.at("request_id"), "req-1");
  EXPECT_FALSE(body.contains("errors"));
}

TEST(Problem, ValidationErrorsListFieldsAndExtraMembersAndHeaders) {
  const auto request = make_request(Method::post, "/x");
  const auto error = ApiError(ErrorCode::validation_error, "bad",
                              {{{std::string("body"), std::string("tags"), std::size_t{3}}, "too long", "string_too_long"}})
                         .with_header("Retry-After", "5")
                         .with_member("error", R"("invalid_grant")");
  const auto response = problem_response(error, request);
  EXPECT_EQ(response.status, 422);
  EXPECT_EQ(response.headers.get("Retry-After"), "5");
  const auto body = body_of(response);
  EXPECT_EQ(body.at("error"), "invalid_grant");
  const auto& first = body.at("errors").as_array().at(0).as_object();
  EXPECT_EQ(first.at("loc"), (boost::json::array{"body", "tags", 3}));
  EXPECT_EQ(first.at("type"), "string_too_long");
}

TEST(ContentNegotiation, MatchesRangesAndQualities) {
  const std::vector<std::string> json{"application/json"};
  EXPECT_TRUE(accepts_any(std::nullopt, json));
  EXPECT_TRUE(accepts_any("*/*", json));
  EXPECT_TRUE(accepts_any("application/*", json));
  EXPECT_TRUE(accepts_any("text/html, application/json;q=0.5", json));
  EXPECT_TRUE(accepts_any("Application/JSON", json));
  EXPECT_FALSE(accepts_any("application/xml", json));
  EXPECT_FALSE(accepts_any("application/json;q=0", json));
  EXPECT_FALSE(accepts_any("text/*", json));
}

TEST_F(AppTest, HealthIsOk) {
  const auto response = run(make_request(Method::get, "/health"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"status":"ok"})");
  EXPECT_TRUE(response.headers.get("X-Request-ID").has_value());
}

TEST_F(AppTest, UnknownRouteIs404Problem) {
  const auto response = run(make_request(Method::get, "/nope"));
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(body_of(response).at("code"), "not_found");
}

TEST_F(AppTest, WrongMethodIs405WithAllow) {
  const auto response = run(make_request(Method::post, "/health"));
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers.get("Allow"), "GET, HEAD");
}

TEST_F(AppTest, OptionsListsAllowedMethods) {
  const auto response = run(make_request(Method::options, "/health"));
  EXPECT_EQ(response.status, 204);
  EXPECT_EQ(response.headers.get("Allow"), "GET, HEAD, OPTIONS");
}

TEST_F(AppTest, UnsupportedMediaTypeAndNotAcceptable) {
  app_.router().add(Method::post, "/echo", [](http::Request& r) { return http::Response::json(200, r.body); })
      .accepts("application/json");
  auto wrong_type = make_request(Method::post, "/echo", "hello");
  wrong_type.headers.set("Content-Type", "text/plain");
  EXPECT_EQ(run(std::move(wrong_type)).status, 415);

  auto json = make_request(Method::post, "/echo", "{}");
  json.headers.set("Content-Type", "application/json; charset=utf-8");
  EXPECT_EQ(run(std::move(json)).status, 200);

  auto xml_only = make_request(Method::get, "/health");
  xml_only.headers.set("Accept", "application/xml");
  EXPECT_EQ(run(std::move(xml_only)).status, 406);
}

TEST_F(AppTest, UnexpectedExceptionIsOpaque500) {
  app_.router().add(Method::get, "/boom", [](http::Request&) -> http::Response {
    throw std::runtime_error("SELECT secret FROM /var/lib/db");
  });
  const auto response = run(make_request(Method::get, "/boom"));
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body.find("SELECT"), std::string::npos);
  EXPECT_EQ(response.body.find("/var/lib"), std::string::npos);
  EXPECT_EQ(body_of(response).at("code"), "internal_error");
  EXPECT_EQ(response.headers.get("X-Frame-Options"), "DENY");
}

TEST_F(AppTest, EarlyErrorsAreAnsweredThroughThePipeline) {
  auto request = make_request(Method::post, "/health");
  request.context.early_error = ErrorCode::payload_too_large;
  const auto response = app_.handle(request);
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(body_of(response).at("code"), "payload_too_large");
  EXPECT_TRUE(response.headers.get("X-Request-ID").has_value());
}

TEST_F(AppTest, PlanChoosesRouteLimitAndExecution) {
  app_.router().add(Method::post, "/upload", [](http::Request&) { return http::Response::no_content(); })
      .limit_body(10 * 1024 * 1024);
  auto upload = make_request(Method::post, "/upload");
  const auto upload_plan = app_.plan(upload);
  EXPECT_EQ(upload_plan.body_limit, 10u * 1024 * 1024);
  EXPECT_EQ(upload_plan.execution, http::Execution::pool);
  EXPECT_EQ(upload.context.route->path_template, "/upload");

  auto health = make_request(Method::get, "/health");
  const auto health_plan = app_.plan(health);
  EXPECT_EQ(health_plan.body_limit, 1048576u);
  EXPECT_EQ(health_plan.execution, http::Execution::inline_io);
}

TEST_F(AppTest, ReadinessReportsChecksAndDraining) {
  bool database_up = true;
  app_.add_readiness_check("database", [&] { return ReadinessResult{database_up, database_up ? "ok" : "unreachable"}; });
  auto ready = run(make_request(Method::get, "/readiness"));
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(body_of(ready).at("checks").at("database"), "ok");

  database_up = false;
  auto down = run(make_request(Method::get, "/readiness"));
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(body_of(down).at("status"), "unavailable");
  EXPECT_EQ(body_of(down).at("checks").at("database"), "unreachable");

  database_up = true;
  app_.set_draining();
  auto draining = run(make_request(Method::get, "/readiness"));
  EXPECT_EQ(draining.status, 503);
  EXPECT_EQ(body_of(draining).at("checks").at("server"), "draining");
  // Liveness is unaffected by draining.
  EXPECT_EQ(run(make_request(Method::get, "/health")).status, 200);
}

TEST(AppMetrics, TokenIsRequiredWhenConfigured) {
  observability::logger().configure(observability::LogLevel::error, observability::LogFormat::json,
                                    [](std::string_view) {});
  auto settings = test_settings();
  settings.metrics_token = "metrics-token-123";
  App app(settings);
  const auto call = [&](std::optional<std::string> authorization) {
    auto request = make_request(Method::get, "/metrics");
    if (authorization) request.headers.set("Authorization", *authorization);
    app.plan(request);
    return app.handle(request);
  };
  const auto missing = call(std::nullopt);
  EXPECT_EQ(missing.status, 401);
  EXPECT_TRUE(missing.headers.get("WWW-Authenticate").value_or("").starts_with("Bearer"));
  EXPECT_EQ(call("Bearer wrong").status, 401);
  EXPECT_EQ(call("Basic metrics-token-123").status, 401);
  const auto ok = call("Bearer metrics-token-123");
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("http_requests_total"), std::string::npos);
  EXPECT_NE(ok.body.find("keel_build_info"), std::string::npos);
}

TEST_F(AppTest, RequestIdIsAdoptedWhenSaneAndReplacedOtherwise) {
  auto sane = make_request(Method::get, "/health");
  sane.headers.set("X-Request-ID", "abc-123_X.y");
  EXPECT_EQ(run(std::move(sane)).headers.get("X-Request-ID"), "abc-123_X.y");

  auto insane = make_request(Method::get, "/health");
  insane.headers.set("X-Request-ID", "bad id <script>");
  const auto replaced = run(std::move(insane));
  EXPECT_NE(replaced.headers.get("X-Request-ID"), "bad id <script>");
  EXPECT_FALSE(replaced.headers.get("X-Request-ID").value_or("").empty());
}

}  // namespace
}  // namespace keel::app
