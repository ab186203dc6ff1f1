// Tests for the edge stages, each run in a small pipeline whose terminal
// stage records what reached it; refusals surface as the ApiError the
// catch-all stage (app area) would render.
#include "keel/edge/stages.hpp"

#include <gtest/gtest.h>

#include <string>

#include "keel/edge/compression.hpp"
#include "keel/errors/api_error.hpp"
#include "keel/http/route.hpp"
#include "keel/observability/metrics.hpp"

namespace keel::edge {
namespace {

using namespace std::chrono_literals;
using errors::ApiError;
using errors::ErrorCode;
using http::Method;

http::Request make_request(Method method, std::string target, std::string host = "api.example.com") {
  http::Request request;
  request.method = method;
  request.method_name = std::string(http::to_string(method));
  request.target = target;
  EXPECT_TRUE(http::split_target(target, request.path, request.query));
  if (!host.empty()) request.headers.add("Host", std::move(host));
  request.peer_address = "198.51.100.7";
  request.context.client_ip = "198.51.100.7";
  return request;
}

// Harness wraps one stage; the terminal answers `reply` and counts calls.
struct Harness {
  explicit Harness(std::unique_ptr<http::Middleware> stage) {
    pipeline.add(std::move(stage));
    pipeline.terminal([this](http::Request& request) {
      ++reached;
      seen_body = request.body;
      seen_client_ip = request.context.client_ip;
      seen_secure = request.context.secure;
      return reply;
    });
  }

  http::Response run(http::Request request) { return pipeline.run(request); }

  // refusal runs `request` and returns the code of the ApiError it raised.
  std::optional<ErrorCode> refusal(http::Request request, ApiError* caught = nullptr) {
    try {
      pipeline.run(request);
    } catch (const ApiError& error) {
      if (caught != nullptr) *caught = error;
      return error.code();
    }
    return std::nullopt;
  }

  http::Pipeline pipeline;
  http::Response reply = http::Response::json(200, R"({"ok":true})");
  int reached = 0;
  std::string seen_body;
  std::string seen_client_ip;
  bool seen_secure = false;
};

std::string header_of(const ApiError& error, std::string_view name) {
  for (const auto& [key, value] : error.headers()) {
    if (key == name) return value;
  }
  return {};
}

TEST(ForwardedStage, BelievesOnlyTrustedPeers) {
  Harness harness(make_forwarded_stage({"10.0.0.0/8"}));
  auto spoofed = make_request(Method::get, "/x");
  spoofed.headers.add("X-Forwarded-For", "1.2.3.4");
  spoofed.headers.add("X-Forwarded-Proto", "https");
  harness.run(spoofed);
  EXPECT_EQ(harness.seen_client_ip, "198.51.100.7");
  EXPECT_FALSE(harness.seen_secure);

  auto proxied = spoofed;
  proxied.peer_address = "10.0.0.2";
  proxied.context.client_ip = "10.0.0.2";
  harness.run(proxied);
  EXPECT_EQ(harness.seen_client_ip, "1.2.3.4");
  EXPECT_TRUE(harness.seen_secure);
  EXPECT_THROW(make_forwarded_stage({"not-an-ip"}), std::invalid_argument);
}

TEST(TrustedHostStage, RefusesUntrustedAndMissingHostsButNotProbes) {
  Harness harness(make_trusted_host_stage(TrustedHosts({"api.example.com"})));
  EXPECT_EQ(harness.refusal(make_request(Method::get, "/x")), std::nullopt);
  EXPECT_EQ(harness.refusal(make_request(Method::get, "/x", "evil.test")), ErrorCode::untrusted_host);
  EXPECT_EQ(harness.refusal(make_request(Method::get, "/x", "")), ErrorCode::untrusted_host);
  EXPECT_EQ(harness.refusal(make_request(Method::get, "/health", "10.1.2.3:8000")), std::nullopt);
  EXPECT_EQ(harness.refusal(make_request(Method::get, "/readiness", "10.1.2.3:8000")), std::nullopt);
  EXPECT_EQ(harness.refusal(make_request(Method::get, "/metrics", "10.1.2.3:8000")),
            ErrorCode::untrusted_host);
  // An early error (e.g. the connection cap's 503) keeps its own answer.
  auto early = make_request(Method::get, "/x", "");
  early.context.early_error = ErrorCode::service_unavailable;
  EXPECT_EQ(harness.refusal(early), std::nullopt);
}

TEST(HttpsStage, RedirectsSafeMethodsAndRefusesOthers) {
  Harness harness(make_https_stage());
  const auto redirect =
      harness.run(make_request(Method::get, "/api/v1/items?limit=5", "api.example.com:8080"));
  EXPECT_EQ(redirect.status, 308);
  EXPECT_EQ(redirect.headers.get("Location"), "https://api.example.com/api/v1/items?limit=5");
  EXPECT_TRUE(redirect.body.empty());
  EXPECT_EQ(harness.run(make_request(Method::head, "http://api.example.com/a?b")).headers.get("Location"),
            "https://api.example.com/a?b");
  EXPECT_EQ(harness.reached, 0);
  EXPECT_EQ(harness.refusal(make_request(Method::post, "/api/v1/items")), ErrorCode::https_required);

  auto secure = make_request(Method::post, "/api/v1/items");
  secure.context.secure = true;
  EXPECT_EQ(harness.run(secure).status, 200);
  EXPECT_EQ(harness.run(make_request(Method::get, "/health")).status, 200);
}

TEST(CorsStage, AnswersAllowedPreflightsAndDecoratesResponses) {
  Harness harness(make_cors_stage(CorsPolicy({"https://app.example.com"})));
  auto preflight = make_request(Method::options, "/api/v1/items");
  preflight.headers.add("Origin", "https://app.example.com");
  preflight.headers.add("Access-Control-Request-Method", "POST");
  preflight.headers.add("Access-Control-Request-Headers", "authorization, content-type");
  const auto answer = harness.run(preflight);
  EXPECT_EQ(answer.status, 204);
  EXPECT_EQ(harness.reached, 0);
  EXPECT_EQ(answer.headers.get("Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(answer.headers.get("Access-Control-Allow-Methods"), kCorsAllowMethods);
  EXPECT_EQ(answer.headers.get("Access-Control-Allow-Headers"), kCorsAllowHeaders);
  EXPECT_EQ(answer.headers.get("Access-Control-Max-Age"), "600");
  EXPECT_FALSE(answer.headers.contains("Access-Control-Allow-Credentials"));

  auto evil_preflight = preflight;
  evil_preflight.headers.set("Origin", "https://evil.test");
  const auto passed_on = harness.run(evil_preflight);
  EXPECT_EQ(harness.reached, 1);  // not answered by CORS: routing answers it
  EXPECT_FALSE(passed_on.headers.contains("Access-Control-Allow-Origin"));
  EXPECT_FALSE(passed_on.headers.contains("Access-Control-Allow-Methods"));

  auto simple = make_request(Method::get, "/api/v1/items");
  simple.headers.add("Origin", "https://app.example.com");
  const auto allowed = harness.run(simple);
  EXPECT_EQ(allowed.headers.get("Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_EQ(allowed.headers.get("Access-Control-Expose-Headers"), kCorsExposeHeaders);
  EXPECT_EQ(allowed.headers.get("Vary"), "Origin");

  const auto no_origin = harness.run(make_request(Method::get, "/api/v1/items"));
  EXPECT_FALSE(no_origin.headers.contains("Access-Control-Allow-Origin"));
  EXPECT_EQ(no_origin.headers.get("Vary"), "Origin");
}

TEST(CompressionStage, GzipsLargeTextWhenAcceptedOnly) {
  Harness harness(make_compression_stage());
  std::string big = "[";
  while (big.size() < 4000) big += R"({"name":"widget","quantity":1},)";
  big.back() = ']';
  harness.reply = http::Response::json(200, big);

  auto accepting = make_request(Method::get, "/items");
  accepting.headers.add("Accept-Encoding", "gzip, br");
  const auto packed = harness.run(accepting);
  EXPECT_EQ(packed.headers.get("Content-Encoding"), "gzip");
  EXPECT_EQ(packed.headers.get("Vary"), "Accept-Encoding");
  EXPECT_EQ(gunzip(packed.body, 1 << 20).data, big);

  const auto plain = harness.run(make_request(Method::get, "/items"));
  EXPECT_FALSE(plain.headers.contains("Content-Encoding"));
  EXPECT_EQ(plain.headers.get("Vary"), "Accept-Encoding");
  EXPECT_EQ(plain.body, big);

  auto refusing = accepting;
  refusing.headers.set("Accept-Encoding", "gzip;q=0");
  EXPECT_FALSE(harness.run(refusing).headers.contains("Content-Encoding"));

  harness.reply = http::Response::text(200, std::string(4000, 'x'), "image/png");
  EXPECT_FALSE(harness.run(accepting).headers.contains("Content-Encoding"));
  harness.reply = http::Response::json(200, R"({"small":true})");
  const auto small = harness.run(accepting);
  EXPECT_FALSE(small.headers.contains("Content-Encoding"));
  EXPECT_FALSE(small.headers.contains("Vary"));
}

TEST(RetryAfterStage, Adds1SecondTo503sWithoutOne) {
  Harness harness(make_retry_after_stage());
  harness.reply = http::Response::json(503, "{}");
  EXPECT_EQ(harness.run(make_request(Method::get, "/x")).headers.get("Retry-After"), "1");
  harness.reply.headers.set("Retry-After", "5");
  EXPECT_EQ(harness.run(make_request(Method::get, "/x")).headers.get("Retry-After"), "5");
  harness.reply = http::Response::json(200, "{}");
  EXPECT_FALSE(harness.run(make_request(Method::get, "/x")).headers.contains("Retry-After"));
}

TEST(RateLimitStage, LimitsPerClientWithHeadersAndExemptsProbeRoutes) {
  observability::MetricsRegistry metrics;
  auto limiter = std::make_shared<MemoryRateLimiter>();
  Harness harness(make_rate_limit_stage(limiter, {{"default", 3, 60s}, {"auth", 1, 60s}}, metrics));

  const auto first = harness.run(make_request(Method::get, "/api/v1/items"));
  EXPECT_EQ(first.headers.get("RateLimit-Policy"), R"("default";q=3;w=60)");
  EXPECT_EQ(first.headers.get("RateLimit"), R"("default";r=2;t=20)");
  harness.run(make_request(Method::get, "/api/v1/items"));
  harness.run(make_request(Method::get, "/api/v1/items"));
  ApiError refused(ErrorCode::internal_error, "");
  EXPECT_EQ(harness.refusal(make_request(Method::get, "/api/v1/items"), &refused), ErrorCode::rate_limited);
  EXPECT_EQ(header_of(refused, "Retry-After"), "20");
  EXPECT_EQ(header_of(refused, "RateLimit"), R"("default";r=0;t=60)");
  EXPECT_EQ(harness.reached, 3);

  // Other clients, the auth budget and the operations endpoints are separate.
  auto other = make_request(Method::get, "/api/v1/items");
  other.context.client_ip = "203.0.113.1";
  EXPECT_EQ(harness.run(other).status, 200);
  EXPECT_EQ(harness.run(make_request(Method::post, "/api/v1/auth/token")).headers.get("RateLimit-Policy"),
            R"("auth";q=1;w=60)");
  EXPECT_EQ(harness.refusal(make_request(Method::post, "/api/v1/auth/token")), ErrorCode::rate_limited);
  http::Route probe;
  probe.exempt_from_rate_limit();
  auto health = make_request(Method::get, "/health");
  health.context.route = &probe;
  const auto probe_answer = harness.run(health);
  EXPECT_EQ(probe_answer.status, 200);
  EXPECT_FALSE(probe_answer.headers.contains("RateLimit"));

  // An authenticated caller has its own bucket, whatever its address.
  auto user = make_request(Method::get, "/api/v1/items");
  user.context.user_id = "user-42";
  EXPECT_EQ(harness.run(user).status, 200);

  const std::string rendered = metrics.render();
  EXPECT_NE(rendered.find(R"(rate_limit_rejections_total{policy="default"} 1)"), std::string::npos)
      << rendered;
  EXPECT_NE(rendered.find(R"(rate_limit_rejections_total{policy="auth"} 1)"), std::string::npos) << rendered;
}

TEST(RateLimitStage, ErrorAnswersCarryTheHeadersToo) {
  observability::MetricsRegistry metrics;
  http::Pipeline pipeline;
  pipeline.add(make_rate_limit_stage(std::make_shared<MemoryRateLimiter>(),
                                     {{"default", 5, 60s}, {"auth", 1, 60s}}, metrics));
  pipeline.terminal([](http::Request&) -> http::Response { throw ApiError(ErrorCode::not_found, "nope"); });
  auto request = make_request(Method::get, "/api/v1/missing");
  try {
    pipeline.run(request);
    FAIL() << "expected not_found";
  } catch (const ApiError& error) {
    EXPECT_EQ(error.code(), ErrorCode::not_found);
    EXPECT_EQ(header_of(error, "RateLimit"), R"("default";r=4;t=12)");
  }
}

TEST(DecompressionStage, InflatesWithinTheCapAndRefusesOtherCodings) {
  Harness harness(make_decompression_stage(1024));
  const std::string json = R"({"name":"widget","quantity":3})";
  auto gzipped = make_request(Method::post, "/api/v1/widgets");
  gzipped.headers.add("Content-Encoding", "gzip");
  gzipped.body = *gzip(json + std::string(200, ' '), 9);
  harness.run(gzipped);
  EXPECT_EQ(harness.seen_body, json + std::string(200, ' '));

  auto bomb = gzipped;
  bomb.body = *gzip(std::string(1 << 20, '{'), 9);
  EXPECT_EQ(harness.refusal(bomb), ErrorCode::payload_too_large);

  // A route's own (larger) limit applies.
  http::Route upload;
  upload.body_limit = 2 << 20;
  bomb.context.route = &upload;
  EXPECT_EQ(harness.refusal(bomb), std::nullopt);

  auto corrupt = gzipped;
  corrupt.body = "not gzip at all";
  EXPECT_EQ(harness.refusal(corrupt), ErrorCode::bad_request);

  auto brotli = gzipped;
  brotli.headers.set("Content-Encoding", "br");
  ApiError refused(ErrorCode::internal_error, "");
  EXPECT_EQ(harness.refusal(brotli, &refused), ErrorCode::unsupported_media_type);
  EXPECT_EQ(header_of(refused, "Accept-Encoding"), "gzip");

  auto identity = make_request(Method::post, "/api/v1/widgets");
  identity.headers.add("Content-Encoding", "identity");
  identity.body = json;
  harness.run(identity);
  EXPECT_EQ(harness.seen_body, json);
}

}  // namespace
}  // namespace keel::edge
