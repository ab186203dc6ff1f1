// keel/edge/forwarded.hpp — who the client is, per a trusted proxy's X-Forwarded-* headers.
//
// Only a request whose TCP peer is in TRUSTED_PROXIES has its X-Forwarded-For
// and X-Forwarded-Proto believed; the forwarded stage (stages.hpp) applies
// these functions to RequestContext::client_ip and ::secure.
//
//   std::vector<std::string_view> xff = request.headers.get_all("X-Forwarded-For");
//   if (auto ip = forwarded_client(xff, proxies)) context.client_ip = *ip;
//   if (auto https = forwarded_secure(request.headers.get_all("X-Forwarded-Proto"))) context.secure = *https;
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "keel/edge/ip_network.hpp"

namespace keel::edge {

// forwarded_client walks X-Forwarded-For (every field value, in arrival
// order) from the right, skipping trusted proxies, and returns the first
// address that is not one: the client as seen by the outermost trusted
// proxy. Entries left of it were written by the client and are ignored. If
// every entry is a trusted proxy the leftmost is the client. An entry that is
// not an IP address (garbage, "unknown") ends the walk: the last trusted hop
// before it is the client. std::nullopt when no usable entry exists.
std::optional<std::string> forwarded_client(std::span<const std::string_view> forwarded_for,
                                            const IpNetworks& proxies);

// forwarded_secure reads the last X-Forwarded-Proto value (the one the
// nearest proxy wrote): true for "https", false for anything else;
// std::nullopt without the header.
std::optional<bool> forwarded_secure(std::span<const std::string_view> forwarded_proto);

}  // namespace keel::edge
