// keel/edge/ip_network.hpp — IP addresses and CIDR blocks, as plain values.
//
// TRUSTED_PROXIES lists addresses and blocks whose X-Forwarded-* headers are
// believed; rate limits key clients by address (an IPv6 client by its /64,
// since one subscriber usually owns a whole /64).
//
//   auto proxies = IpNetworks::parse({"10.0.0.0/8", "::1"});
//   if (proxies && proxies->contains("10.1.2.3")) { ... }
//   std::string key = client_address_key("2001:db8::1");   // "2001:db8::/64"
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keel::edge {

// IpAddress is an IPv4 or IPv6 address; IPv4 is kept as its IPv4-mapped IPv6
// form so that one comparison covers both families.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool is_v4 = false;

  bool operator==(const IpAddress&) const = default;
};

// parse_ip reads a textual IPv4 or IPv6 address (an IPv4-mapped IPv6 address
// counts as IPv4); std::nullopt for anything else, including ports and zones.
std::optional<IpAddress> parse_ip(std::string_view text);

// to_string formats an address the way inet_ntop does ("10.0.0.1", "2001:db8::1").
std::string to_string(const IpAddress& address);

// IpNetworks is a list of addresses and CIDR blocks.
class IpNetworks {
 public:
  // parse reads entries such as "10.0.0.0/8", "192.168.1.7", "fd00::/8";
  // std::nullopt when any entry is malformed (config validation reports which).
  static std::optional<IpNetworks> parse(const std::vector<std::string>& entries);

  // contains says whether `address` lies in any of the networks.
  bool contains(const IpAddress& address) const;
  // contains parses `address` first; false when it is not an IP address.
  bool contains(std::string_view address) const;
  bool empty() const { return networks_.empty(); }

 private:
  struct Network {
    IpAddress base;     // already masked to prefix_bits
    int prefix_bits{};  // of the 128-bit (mapped) form
  };
  std::vector<Network> networks_;
};

// client_address_key is the rate-limit identity of a client address: an IPv4
// address as is, an IPv6 address as its /64 network ("2001:db8:1:2::/64");
// text that is not an address is returned unchanged.
std::string client_address_key(std::string_view address);

}  // namespace keel::edge
