#include "service/webhooks/target_guard.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "service/webhooks/delivery.hpp"

namespace service::webhooks {
namespace {

using ::testing::HasSubstr;

TEST(ForbiddenAddress, RefusesInternalRanges) {
  for (const char* address : {"127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.0.1", "172.31.255.255",
                              "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1",
                              "255.255.255.255", "::", "::1", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1",
                              "::ffff:127.0.0.1", "::ffff:10.1.2.3", "2001:db8::1", "not an address"}) {
    EXPECT_TRUE(is_forbidden_address(address)) << address;
  }
}

TEST(ForbiddenAddress, AllowsPublicAddresses) {
  for (const char* address : {"93.184.216.34", "8.8.8.8", "172.15.0.1", "172.32.0.1", "100.128.0.1",
                              "2606:4700::1111", "::ffff:8.8.8.8"}) {
    EXPECT_FALSE(is_forbidden_address(address)) << address;
  }
}

TEST(CheckTarget, RefusesPrivateLiteralsUnlessAllowed) {
  const TargetPolicy strict;
  for (const char* url : {"https://127.0.0.1/hook", "https://10.0.0.1", "https://[::1]:8443/x",
                          "https://169.254.169.254/latest/meta-data"}) {
    const auto check = check_target(url, strict);
    EXPECT_FALSE(check.target) << url;
    EXPECT_THAT(check.problem, HasSubstr("private")) << url;
  }
  const auto relaxed = check_target("https://[::1]:8443/x", {.allow_http = false, .allow_private = true});
  ASSERT_TRUE(relaxed.target) << relaxed.problem;
  EXPECT_EQ(relaxed.target->host, "::1");
  EXPECT_EQ(relaxed.target->port, 8443);
  EXPECT_EQ(relaxed.target->address, "::1");
}

TEST(CheckTarget, AcceptsPublicHttpsAndHttpOnlyWhenAllowed) {
  const auto https = check_target("https://93.184.216.34/hook?x=1", {});
  ASSERT_TRUE(https.target) << https.problem;
  EXPECT_EQ(https.target->port, 443);
  EXPECT_EQ(https.target->address, "93.184.216.34");
  EXPECT_THAT(check_target("http://93.184.216.34/hook", {}).problem, HasSubstr("https://"));
  const auto http = check_target("http://93.184.216.34:8080/hook", {.allow_http = true, .allow_private = false});
  ASSERT_TRUE(http.target) << http.problem;
  EXPECT_EQ(http.target->port, 8080);
}

TEST(CheckTarget, RefusesMalformedUrls) {
  const TargetPolicy relaxed{.allow_http = true, .allow_private = true};
  EXPECT_THAT(check_target("ftp://93.184.216.34/", relaxed).problem, HasSubstr("must start with"));
  EXPECT_THAT(check_target("https://user:pw@93.184.216.34/", relaxed).problem, HasSubstr("user name"));
  EXPECT_THAT(check_target("https:///path", relaxed).problem, HasSubstr("host"));
  EXPECT_THAT(check_target("https://93.184.216.34:0/", relaxed).problem, HasSubstr("port"));
  EXPECT_THAT(check_target("https://93.184.216.34:70000/", relaxed).problem, HasSubstr("port"));
  EXPECT_THAT(check_target("https://93.184.216.34/a b", relaxed).problem, HasSubstr("spaces"));
  EXPECT_THAT(check_target("https://[::1/", relaxed).problem, HasSubstr("IPv6"));
}

TEST(WebhookSignature, IsHexHmacOfTimestampDotBody) {
  // Reference: Python hmac.new(b"whsec_test", b'1700000000.{"a":1}', hashlib.sha256).hexdigest().
  EXPECT_EQ(webhook_signature("whsec_test", 1700000000, R"({"a":1})"),
            "v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789");
  EXPECT_NE(webhook_signature("whsec_test", 1700000001, R"({"a":1})"),
            webhook_signature("whsec_test", 1700000000, R"({"a":1})"));
}

}  // namespace
}  // namespace service::webhooks
