#include "keel/edge/trusted_hosts.hpp"

#include <gtest/gtest.h>

#include "keel/edge/cors.hpp"

namespace keel::edge {
namespace {

TEST(TrustedHosts, StripsPortsAndTrailingDots) {
  EXPECT_EQ(host_without_port("api.example.com:8443"), "api.example.com");
  EXPECT_EQ(host_without_port("api.example.com."), "api.example.com");
  EXPECT_EQ(host_without_port("[::1]:8000"), "[::1]");
  EXPECT_EQ(host_without_port("[::1]"), "[::1]");
  EXPECT_EQ(host_without_port("127.0.0.1:80"), "127.0.0.1");
}

TEST(TrustedHosts, MatchesExactNamesIpsAndSubdomainWildcards) {
  const TrustedHosts hosts({"api.example.com", "*.example.org", "10.0.0.5", "::1"});
  EXPECT_TRUE(hosts.allows("api.example.com"));
  EXPECT_TRUE(hosts.allows("API.Example.COM:8443"));
  EXPECT_TRUE(hosts.allows("a.example.org"));
  EXPECT_TRUE(hosts.allows("a.b.example.org:80"));
  EXPECT_FALSE(hosts.allows("example.org"));  // the wildcard covers subdomains only
  EXPECT_FALSE(hosts.allows("evilexample.org"));
  EXPECT_FALSE(hosts.allows("api.example.com.evil.test"));
  EXPECT_TRUE(hosts.allows("10.0.0.5:8000"));
  EXPECT_TRUE(hosts.allows("[::1]:8000"));
  EXPECT_FALSE(hosts.allows(""));
  EXPECT_FALSE(hosts.allows(":80"));
  EXPECT_FALSE(hosts.allows_any());
  EXPECT_TRUE(TrustedHosts({"*"}).allows("anything.test"));
  EXPECT_TRUE(TrustedHosts({"*"}).allows_any());
}

TEST(Cors, MatchesExactOriginsAndNeverReflects) {
  const CorsPolicy cors({"https://app.example.com", "http://localhost:3000"});
  EXPECT_EQ(cors.allow_origin("https://app.example.com"), "https://app.example.com");
  EXPECT_EQ(cors.allow_origin("http://localhost:3000"), "http://localhost:3000");
  for (const char* other : {"https://app.example.com.evil.test", "https://evil.test",
                            "http://app.example.com", "https://app.example.com:443", "null", ""}) {
    EXPECT_EQ(cors.allow_origin(other), std::nullopt) << other;
  }
  // The value returned is the configured string, not the request's bytes.
  const std::string request_origin = "https://app.example.com";
  EXPECT_NE(cors.allow_origin(request_origin)->data(), request_origin.data());
}

TEST(Cors, StarAllowsAnyOriginAsStar) {
  const CorsPolicy cors({"*"});
  EXPECT_EQ(cors.allow_origin("https://whoever.test"), "*");
  EXPECT_EQ(cors.allow_origin("null"), std::nullopt);
  EXPECT_TRUE(cors.enabled());
  EXPECT_FALSE(CorsPolicy({}).enabled());
}

}  // namespace
}  // namespace keel::edge
