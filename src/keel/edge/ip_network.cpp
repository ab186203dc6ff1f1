#include "keel/edge/ip_network.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace keel::edge {
namespace {

// kMappedPrefix is ::ffff:0:0/96, the prefix of IPv4-mapped IPv6 addresses.
constexpr std::array<std::uint8_t, 12> kMappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
constexpr int kMappedPrefixBits = 96;
constexpr int kIpv6ClientPrefixBits = 64;

void mask(IpAddress& address, int prefix_bits) {
  for (int i = 0; i < 16; ++i) {
    const int keep = std::clamp(prefix_bits - i * 8, 0, 8);
    const auto byte_mask = static_cast<std::uint8_t>(keep == 0 ? 0 : 0xff << (8 - keep));
    address.bytes[static_cast<std::size_t>(i)] &= byte_mask;
  }
}

}  // namespace

std::optional<IpAddress> parse_ip(std::string_view text) {
  // inet_pton wants a NUL-terminated string; the longest textual IPv6 address
  // is 45 characters, so a stack buffer avoids any allocation.
  std::array<char, 64> buffer{};
  if (text.empty() || text.size() >= buffer.size()) return std::nullopt;
  std::memcpy(buffer.data(), text.data(), text.size());
  IpAddress address;
  if (text.find(':') == std::string_view::npos) {
    in_addr v4{};
    if (inet_pton(AF_INET, buffer.data(), &v4) != 1) return std::nullopt;
    std::copy(kMappedPrefix.begin(), kMappedPrefix.end(), address.bytes.begin());
    std::memcpy(address.bytes.data() + 12, &v4, 4);
    address.is_v4 = true;
    return address;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, buffer.data(), &v6) != 1) return std::nullopt;
  std::memcpy(address.bytes.data(), &v6, 16);
  address.is_v4 = std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), address.bytes.begin());
  return address;
}

std::string to_string(const IpAddress& address) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (address.is_v4) {
    inet_ntop(AF_INET, address.bytes.data() + 12, text.data(), static_cast<socklen_t>(text.size()));
  } else {
    inet_ntop(AF_INET6, address.bytes.data(), text.data(), static_cast<socklen_t>(text.size()));
  }
  return text.data();
}

std::optional<IpNetworks> IpNetworks::parse(const std::vector<std::string>& entries) {
  IpNetworks networks;
  for (const std::string& entry : entries) {
    const std::string_view text(entry);
    const auto slash = text.find('/');
    auto base = parse_ip(text.substr(0, slash));
    if (!base) return std::nullopt;
    const int family_bits = base->is_v4 ? 32 : 128;
    int bits = family_bits;
    if (slash != std::string_view::npos) {
      const std::string_view prefix = text.substr(slash + 1);
      const auto [end, ec] = std::from_chars(prefix.data(), prefix.data() + prefix.size(), bits);
      if (ec != std::errc() || end != prefix.data() + prefix.size() || bits < 0 || bits > family_bits) {
        return std::nullopt;
      }
    }
    const int prefix_bits = base->is_v4 ? kMappedPrefixBits + bits : bits;
    mask(*base, prefix_bits);
    networks.networks_.push_back({*base, prefix_bits});
  }
  return networks;
}

bool IpNetworks::contains(const IpAddress& address) const {
  for (const Network& network : networks_) {
    IpAddress masked = address;
    mask(masked, network.prefix_bits);
    if (masked.bytes == network.base.bytes) return true;
  }
  return false;
}

bool IpNetworks::contains(std::string_view address) const {
  if (networks_.empty()) return false;
  const auto parsed = parse_ip(address);
  return parsed && contains(*parsed);
}

std::string client_address_key(std::string_view address) {
  // The common case, dotted IPv4, needs no parsing.
  if (address.find(':') == std::string_view::npos) return std::string(address);
  auto parsed = parse_ip(address);
  if (!parsed) return std::string(address);
  if (parsed->is_v4) return to_string(*parsed);
  mask(*parsed, kIpv6ClientPrefixBits);
  return to_string(*parsed) + "/64";
}

}  // namespace keel::edge
