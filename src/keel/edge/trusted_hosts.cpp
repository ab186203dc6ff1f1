#include "keel/edge/trusted_hosts.hpp"

#include "keel/http/headers.hpp"

namespace keel::edge {

std::string_view host_without_port(std::string_view host_header) {
  std::string_view host = host_header;
  if (host.starts_with('[')) {
    const auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  host = host.substr(0, host.find(':'));
  if (host.ends_with('.')) host.remove_suffix(1);  // "example.com." names the same host
  return host;
}

TrustedHosts::TrustedHosts(const std::vector<std::string>& entries) {
  for (const std::string& entry : entries) {
    if (entry == "*") {
      any_ = true;
    } else if (entry.starts_with("*.")) {
      suffixes_.push_back(entry.substr(1));
    } else if (entry.find(':') != std::string::npos && !entry.starts_with('[')) {
      exact_.push_back("[" + entry + "]");  // a bare IPv6 literal, as it appears in Host
    } else {
      exact_.push_back(entry);
    }
  }
}

bool TrustedHosts::allows(std::string_view host_header) const {
  if (any_) return true;
  const std::string_view host = host_without_port(host_header);
  if (host.empty()) return false;
  for (const std::string& name : exact_) {
    if (http::iequals(host, name)) return true;
  }
  for (const std::string& suffix : suffixes_) {
    if (host.size() > suffix.size() && http::iequals(host.substr(host.size() - suffix.size()), suffix)) {
      return true;
    }
  }
  return false;
}

}  // namespace keel::edge
