#include "keel/edge/ip_network.hpp"

#include <gtest/gtest.h>

#include "keel/edge/forwarded.hpp"

namespace keel::edge {
namespace {

TEST(IpNetwork, ParsesBothFamiliesAndTreatsMappedIpv4AsIpv4) {
  ASSERT_TRUE(parse_ip("10.1.2.3"));
  EXPECT_TRUE(parse_ip("10.1.2.3")->is_v4);
  EXPECT_FALSE(parse_ip("2001:db8::1")->is_v4);
  EXPECT_EQ(parse_ip("::ffff:10.1.2.3"), parse_ip("10.1.2.3"));
  EXPECT_EQ(to_string(*parse_ip("::ffff:10.1.2.3")), "10.1.2.3");
  EXPECT_EQ(to_string(*parse_ip("2001:DB8:0:0::1")), "2001:db8::1");
  for (const char* bad :
       {"", "10.1.2", "10.1.2.3:80", "[::1]", "example.com", "unknown", "1.2.3.4 ", "::1%eth0"}) {
    EXPECT_FALSE(parse_ip(bad)) << bad;
  }
}

TEST(IpNetwork, MatchesAddressesAndCidrBlocks) {
  const auto networks = IpNetworks::parse({"10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1"});
  ASSERT_TRUE(networks);
  EXPECT_TRUE(networks->contains("10.255.0.1"));
  EXPECT_TRUE(networks->contains("::ffff:10.0.0.1"));
  EXPECT_FALSE(networks->contains("11.0.0.1"));
  EXPECT_TRUE(networks->contains("192.168.1.7"));
  EXPECT_FALSE(networks->contains("192.168.1.8"));
  EXPECT_TRUE(networks->contains("fd12:3456::1"));
  EXPECT_FALSE(networks->contains("fe80::1"));
  EXPECT_TRUE(networks->contains("::1"));
  EXPECT_FALSE(networks->contains("not an ip"));
  // An IPv4 block never matches an IPv6 address that merely shares bits.
  EXPECT_FALSE(IpNetworks::parse({"0.0.0.0/0"})->contains("2001:db8::1"));
  EXPECT_TRUE(IpNetworks::parse({"0.0.0.0/0"})->contains("203.0.113.5"));
}

TEST(IpNetwork, RejectsMalformedEntries) {
  for (const char* bad :
       {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "fd00::/129", "host.example", "10.0.0.0/8/1"}) {
    EXPECT_FALSE(IpNetworks::parse({bad})) << bad;
  }
  EXPECT_TRUE(IpNetworks::parse({})->empty());
}

TEST(IpNetwork, ClientKeyGroupsIpv6By64) {
  EXPECT_EQ(client_address_key("203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(client_address_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(client_address_key("2001:db8:1:2:bbbb::7"), client_address_key("2001:db8:1:2:aaaa::1"));
  EXPECT_NE(client_address_key("2001:db8:1:3::1"), client_address_key("2001:db8:1:2::1"));
  EXPECT_EQ(client_address_key("::ffff:203.0.113.9"), "203.0.113.9");
}

TEST(Forwarded, TakesTheRightmostAddressThatIsNotATrustedProxy) {
  const auto proxies = *IpNetworks::parse({"10.0.0.0/8"});
  const std::vector<std::string_view> one{"203.0.113.9, 10.0.0.2, 10.0.0.3"};
  EXPECT_EQ(forwarded_client(one, proxies), "203.0.113.9");
  // Whatever the client wrote itself (left of what our proxy appended) is ignored.
  const std::vector<std::string_view> spoofed{"6.6.6.6, 198.51.100.4"};
  EXPECT_EQ(forwarded_client(spoofed, proxies), "198.51.100.4");
  // Several header fields are one list, in order.
  const std::vector<std::string_view> split{"6.6.6.6", "198.51.100.4, 10.1.1.1"};
  EXPECT_EQ(forwarded_client(split, proxies), "198.51.100.4");
}

TEST(Forwarded, HandlesPortsAllTrustedAndGarbage) {
  const auto proxies = *IpNetworks::parse({"10.0.0.0/8"});
  const std::vector<std::string_view> ports{"[2001:db8::5]:4711, 198.51.100.4:80"};
  EXPECT_EQ(forwarded_client(ports, proxies), "198.51.100.4");
  const std::vector<std::string_view> v6{"2001:db8::5"};
  EXPECT_EQ(forwarded_client(v6, proxies), "2001:db8::5");
  const std::vector<std::string_view> all_trusted{"10.0.0.9, 10.0.0.8"};
  EXPECT_EQ(forwarded_client(all_trusted, proxies), "10.0.0.9");
  const std::vector<std::string_view> garbage_last{"198.51.100.4, unknown"};
  EXPECT_EQ(forwarded_client(garbage_last, proxies), std::nullopt);
  const std::vector<std::string_view> garbage_behind_proxy{"<script>, 10.0.0.8"};
  EXPECT_EQ(forwarded_client(garbage_behind_proxy, proxies), "10.0.0.8");
  const std::vector<std::string_view> none;
  EXPECT_EQ(forwarded_client(none, proxies), std::nullopt);
  const std::vector<std::string_view> blank{" , "};
  EXPECT_EQ(forwarded_client(blank, proxies), std::nullopt);
}

TEST(Forwarded, ProtoReadsTheNearestProxysValue) {
  const std::vector<std::string_view> https{"HTTPS"};
  EXPECT_EQ(forwarded_secure(https), true);
  const std::vector<std::string_view> http{"http"};
  EXPECT_EQ(forwarded_secure(http), false);
  const std::vector<std::string_view> chain{"http, https"};
  EXPECT_EQ(forwarded_secure(chain), true);
  const std::vector<std::string_view> none;
  EXPECT_EQ(forwarded_secure(none), std::nullopt);
}

}  // namespace
}  // namespace keel::edge
