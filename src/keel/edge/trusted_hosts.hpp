// keel/edge/trusted_hosts.hpp — which Host headers Keel answers (TRUSTED_HOSTS).
//
// Entries are exact names ("api.example.com"), subdomain wildcards
// ("*.example.com" matches "a.example.com" and "a.b.example.com", not
// "example.com"), IP literals ("10.0.0.5", "::1" or "[::1]") or "*" (any).
// The port of the Host header is ignored; names compare case-insensitively.
//
//   TrustedHosts hosts({"api.example.com", "*.example.org"});
//   hosts.allows("API.example.com:8443");   // true
//   hosts.allows("evil.test");              // false
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace keel::edge {

// host_without_port returns the host part of a Host header value: the port
// and a trailing dot are dropped, an IPv6 literal keeps its brackets.
std::string_view host_without_port(std::string_view host_header);

// TrustedHosts matches Host header values against TRUSTED_HOSTS entries.
class TrustedHosts {
 public:
  // TrustedHosts takes the lower-cased entries from the configuration.
  explicit TrustedHosts(const std::vector<std::string>& entries);

  // allows says whether `host_header` (as sent, maybe with a port) is trusted.
  bool allows(std::string_view host_header) const;
  // allows_any is true when "*" is listed: the check is then skipped.
  bool allows_any() const { return any_; }

 private:
  std::vector<std::string> exact_;     // names and IP literals (IPv6 in brackets)
  std::vector<std::string> suffixes_;  // ".example.com" for "*.example.com"
  bool any_ = false;
};

}  // namespace keel::edge
