// service/webhooks/target_guard.hpp — which URLs a webhook may be sent to (the SSRF guard).
//
// A webhook makes the server send requests where a user says, so a URL could
// aim it at the server's own network: 127.0.0.1, the cloud metadata service
// on 169.254.169.254, a database on 10.x. check_target parses the URL, resolves
// its host and refuses loopback, private (RFC 1918, 100.64/10, fc00::/7),
// link-local, unspecified, multicast and reserved addresses unless the policy
// allows private targets; it runs at registration and again before every
// delivery, which then connects to the address checked (CURLOPT_RESOLVE), so
// a DNS answer that changes meanwhile (rebinding) cannot redirect it.
//
//   TargetPolicy policy{.allow_http = settings.webhook_allow_http,
//                       .allow_private = settings.webhook_allow_private_targets};
//   TargetCheck check = check_target("https://hooks.example.com/keel", policy);
//   if (!check.target) reject(check.problem);
//   curl_pin = check.target->host + ":" + std::to_string(check.target->port) + ":" + check.target->address;
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace service::webhooks {

// TargetPolicy relaxes the guard (WEBHOOK_ALLOW_HTTP, WEBHOOK_ALLOW_PRIVATE_TARGETS).
struct TargetPolicy {
  bool allow_http = false;
  bool allow_private = false;
};

// Target is a checked URL: its host as written (brackets removed), port and the address to connect to.
struct Target {
  std::string host;
  int port = 443;
  std::string address;  // numeric IPv4 or IPv6, as getaddrinfo returned it
};

// TargetCheck is check_target's answer: a target, or why the URL is refused.
struct TargetCheck {
  std::optional<Target> target;
  std::string problem;  // set when target is empty; names no internal detail beyond the URL's own host
};

// check_target validates `url` (http(s), a host, no user:password@, an optional
// port) and resolves its host; every address the name has must be allowed.
TargetCheck check_target(std::string_view url, const TargetPolicy& policy);

// is_forbidden_address says whether a numeric IPv4/IPv6 address is one the
// guard refuses: loopback, private, link-local, unspecified, multicast or reserved.
// Text that is not an address counts as forbidden.
bool is_forbidden_address(std::string_view address);

}  // namespace service::webhooks
