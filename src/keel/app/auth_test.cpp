#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "keel/app/app.hpp"
#include "keel/edge/shared_store.hpp"
#include "keel/observability/logger.hpp"
#include "keel/security/access_token.hpp"

namespace keel::app {
namespace {

using http::Method;

config::Settings auth_settings() {
  config::Settings settings;
  settings.app_env = config::AppEnv::test;
  settings.secret_key = "an-unguessable-test-secret-of-32-bytes-or-more";
  settings.rate_limit_enabled = false;
  return settings;
}

std::string code_of(const http::Response& response) {
  return std::string(boost::json::parse(response.body).as_object().at("code").as_string());
}

class AuthStagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    observability::logger().configure(observability::LogLevel::error, observability::LogFormat::json,
                                      [](std::string_view) {});
    auto& router = app_.router();
    router.add(Method::get, "/mine", [](http::Request& r) { return http::Response::json(200, '"' + principal(r).subject + '"'); })
        .requires_scope("items:read");
    router.add(Method::get, "/session", [](http::Request& r) { return http::Response::json(200, '"' + principal(r).subject + '"'); })
        .requires_auth();
    router.add(Method::get, "/public", [](http::Request& r) {
      return http::Response::json(200, r.context.principal ? "\"known\"" : "\"anonymous\"");
    });
    app_.set_auth_hooks({
        .resolve_api_key = [](std::string_view key) -> std::optional<http::Principal> {
          if (key != "keel_good_key") return std::nullopt;
          return http::Principal{.subject = "key-owner", .scopes = {"items:read"},
                                 .credential = http::Principal::Credential::api_key, .token_id = "k1",
                                 .session_id = "", .expires_at = 0};
        },
        .is_current = [this](const http::Principal& p) { return p.subject != revoked_subject_; },
    });
  }

  http::Response get(std::string path, std::optional<std::string> authorization = std::nullopt,
                     std::optional<std::string> api_key = std::nullopt) {
    http::Request request;
    request.method = Method::get;
    request.method_name = "GET";
    request.target = path;
    request.path = path;
    if (authorization) request.headers.add("Authorization", *authorization);
    if (api_key) request.headers.add("X-API-Key", *api_key);
    app_.plan(request);
    return app_.handle(request);
  }

  std::string token_for(std::string subject, std::vector<std::string> scopes) {
    return app_.access_tokens().issue(subject, scopes, "", security::unix_now()).token;
  }

  App app_{auth_settings()};
  std::string revoked_subject_ = "gone";
};

TEST_F(AuthStagesTest, NoCredentialsIsPlainBearerChallenge) {
  const auto response = get("/mine");
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.headers.get("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(code_of(response), "unauthorized");
}

TEST_F(AuthStagesTest, ValidTokenWithScopeReachesTheHandlerAsItsSubject) {
  const auto response = get("/mine", "Bearer " + token_for("ann", {"items:read"}));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "\"ann\"");
  EXPECT_EQ(response.headers.get("Cache-Control"), "no-store");
}

TEST_F(AuthStagesTest, SchemeIsCaseInsensitive) {
  EXPECT_EQ(get("/mine", "bearer " + token_for("ann", {"items:read"})).status, 200);
}

TEST_F(AuthStagesTest, BadTokenIsInvalidToken) {
  auto token = token_for("ann", {"items:read"});
  token.back() = token.back() == 'A' ? 'B' : 'A';
  const auto response = get("/mine", "Bearer " + token);
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.headers.get("WWW-Authenticate"), R"(Bearer error="invalid_token")");
  EXPECT_EQ(code_of(response), "invalid_token");
}

TEST_F(AuthStagesTest, MissingScopeIs403NamingTheScope) {
  const auto response = get("/mine", "Bearer " + token_for("ann", {"profile"}));
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(response.headers.get("WWW-Authenticate"), R"(Bearer error="insufficient_scope", scope="items:read")");
  EXPECT_EQ(code_of(response), "insufficient_scope");
}

TEST_F(AuthStagesTest, RequiresAuthAcceptsAnyScope) {
  EXPECT_EQ(get("/session", "Bearer " + token_for("ann", {})).status, 200);
  EXPECT_EQ(get("/session").status, 401);
}

TEST_F(AuthStagesTest, RevokedTokenIsRefused) {
  const auto issued = app_.access_tokens().issue("ann", {"items:read"}, "", security::unix_now());
  ASSERT_EQ(get("/mine", "Bearer " + issued.token).status, 200);
  ASSERT_TRUE(app_.revoke_access_token(issued.claims.token_id, issued.claims.expires_at));
  const auto response = get("/mine", "Bearer " + issued.token);
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(code_of(response), "invalid_token");
}

TEST_F(AuthStagesTest, ServiceHookCanEndASession) {
  EXPECT_EQ(get("/mine", "Bearer " + token_for("gone", {"items:read"})).status, 401);
}

TEST_F(AuthStagesTest, ApiKeyAuthenticatesThroughTheHook) {
  const auto ok = get("/mine", std::nullopt, "keel_good_key");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "\"key-owner\"");
  const auto bad = get("/mine", std::nullopt, "keel_bad_key");
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.headers.get("WWW-Authenticate"), R"(Bearer error="invalid_token")");
}

TEST_F(AuthStagesTest, PublicRoutesIgnoreBadTokensButSeeGoodOnes) {
  EXPECT_EQ(get("/public", "Bearer not.a.token").body, "\"anonymous\"");
  EXPECT_EQ(get("/public", "Bearer " + token_for("ann", {})).body, "\"known\"");
}

}  // namespace
}  // namespace keel::app
