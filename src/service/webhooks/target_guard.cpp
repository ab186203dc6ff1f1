#include "service/webhooks/target_guard.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <memory>

namespace service::webhooks {
namespace {

bool forbidden_v4(const std::array<std::uint8_t, 4>& a) {
  return a[0] == 0                                   // "this network", unspecified
         || a[0] == 10                               // RFC 1918
         || a[0] == 127                              // loopback
         || (a[0] == 100 && (a[1] & 0xC0) == 64)     // 100.64/10, carrier-grade NAT
         || (a[0] == 169 && a[1] == 254)             // link-local (cloud metadata services)
         || (a[0] == 172 && (a[1] & 0xF0) == 16)     // RFC 1918
         || (a[0] == 192 && a[1] == 168)             // RFC 1918
         || (a[0] == 192 && a[1] == 0 && a[2] == 0)  // IETF protocol assignments
         || a[0] >= 224;                             // multicast, reserved, broadcast
}

bool forbidden_v6(const std::array<std::uint8_t, 16>& a) {
  bool zero_prefix = true;  // the first 10 bytes
  for (int i = 0; i < 10; ++i) zero_prefix = zero_prefix && a[i] == 0;
  if (zero_prefix && a[10] == 0xFF && a[11] == 0xFF) {  // IPv4-mapped: judge the IPv4 address
    return forbidden_v4({a[12], a[13], a[14], a[15]});
  }
  if (zero_prefix && a[10] == 0 && a[11] == 0) return true;  // ::, ::1 and the deprecated IPv4-compatible
  return (a[0] & 0xFE) == 0xFC                                // fc00::/7 unique local
         || (a[0] == 0xFE && (a[1] & 0xC0) == 0x80)           // fe80::/10 link-local
         || (a[0] == 0xFE && (a[1] & 0xC0) == 0xC0)           // fec0::/10 site-local (deprecated)
         || a[0] == 0xFF                                      // multicast
         || (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0D && a[3] == 0xB8);  // documentation
}

struct ParsedUrl {
  std::string host;
  int port = 0;
};

// parse_url reads scheme://host[:port][/path…]; nullopt with `problem` set otherwise.
std::optional<ParsedUrl> parse_url(std::string_view url, const TargetPolicy& policy, std::string& problem) {
  ParsedUrl parsed;
  constexpr std::string_view kHttps = "https://";
  constexpr std::string_view kHttp = "http://";
  if (url.starts_with(kHttps)) {
    url.remove_prefix(kHttps.size());
    parsed.port = 443;
  } else if (url.starts_with(kHttp) && policy.allow_http) {
    url.remove_prefix(kHttp.size());
    parsed.port = 80;
  } else {
    problem = policy.allow_http ? "URL must start with https:// or http://" : "URL must start with https://";
    return std::nullopt;
  }
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F) {
      problem = "URL must not contain spaces, control or non-ASCII characters";
      return std::nullopt;
    }
  }
  const std::string_view authority = url.substr(0, url.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    problem = "URL must not contain a user name or password";
    return std::nullopt;
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      problem = "URL has an invalid IPv6 host";
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    const auto rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) {
      problem = "URL has an invalid IPv6 host";
      return std::nullopt;
    }
    port = rest.empty() ? rest : rest.substr(1);
  } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) {
    problem = "URL must name a host";
    return std::nullopt;
  }
  if (!port.empty()) {
    int value = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (error != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
      problem = "URL has an invalid port";
      return std::nullopt;
    }
    parsed.port = value;
  }
  parsed.host = std::string(host);
  return parsed;
}

}  // namespace

bool is_forbidden_address(std::string_view address) {
  const std::string text(address);
  std::array<std::uint8_t, 4> v4{};
  if (inet_pton(AF_INET, text.c_str(), v4.data()) == 1) return forbidden_v4(v4);
  std::array<std::uint8_t, 16> v6{};
  if (inet_pton(AF_INET6, text.c_str(), v6.data()) == 1) return forbidden_v6(v6);
  return true;
}

TargetCheck check_target(std::string_view url, const TargetPolicy& policy) {
  TargetCheck check;
  const auto parsed = parse_url(url, policy, check.problem);
  if (!parsed) return check;

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(parsed->host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
    check.problem = "the URL's host does not resolve";
    return check;
  }
  const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, &freeaddrinfo);
  std::optional<std::string> first;
  for (const addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
    std::array<char, INET6_ADDRSTRLEN> text{};
    const void* raw = entry->ai_family == AF_INET
                          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(entry->ai_addr)->sin_addr)
                          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(entry->ai_addr)->sin6_addr);
    if (entry->ai_family != AF_INET && entry->ai_family != AF_INET6) continue;
    if (inet_ntop(entry->ai_family, raw, text.data(), text.size()) == nullptr) continue;
    const std::string address(text.data());
    // Every address must pass: a name with one public and one private address could be made to use either.
    if (!policy.allow_private && is_forbidden_address(address)) {
      check.problem = "the URL's host is a loopback, private, link-local or reserved address";
      return check;
    }
    if (!first) first = address;
  }
  if (!first) {
    check.problem = "the URL's host does not resolve";
    return check;
  }
  check.target = Target{.host = parsed->host, .port = parsed->port, .address = std::move(*first)};
  return check;
}

}  // namespace service::webhooks
