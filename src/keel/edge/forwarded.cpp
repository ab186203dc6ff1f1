#include "keel/edge/forwarded.hpp"

#include <algorithm>

#include "keel/http/headers.hpp"

namespace keel::edge {
namespace {

// strip_port turns "1.2.3.4:80", "[2001:db8::1]:80" and "[2001:db8::1]" into
// the bare address; some proxies (Azure, IIS) append the client's port.
std::string_view strip_port(std::string_view entry) {
  if (entry.starts_with('[')) {
    const auto close = entry.find(']');
    return close == std::string_view::npos ? std::string_view{} : entry.substr(1, close - 1);
  }
  if (std::count(entry.begin(), entry.end(), ':') == 1) return entry.substr(0, entry.find(':'));
  return entry;
}

}  // namespace

std::optional<std::string> forwarded_client(std::span<const std::string_view> forwarded_for,
                                            const IpNetworks& proxies) {
  std::optional<IpAddress> last_trusted;
  for (auto value = forwarded_for.rbegin(); value != forwarded_for.rend(); ++value) {
    std::string_view rest = *value;
    while (true) {
      const auto comma = rest.rfind(',');
      const std::string_view entry = http::trim_whitespace(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
      if (!entry.empty()) {
        const auto address = parse_ip(strip_port(entry));
        if (!address) return last_trusted ? std::optional(to_string(*last_trusted)) : std::nullopt;
        if (!proxies.contains(*address)) return to_string(*address);
        last_trusted = address;
      }
      if (comma == std::string_view::npos) break;
      rest = rest.substr(0, comma);
    }
  }
  return last_trusted ? std::optional(to_string(*last_trusted)) : std::nullopt;
}

std::optional<bool> forwarded_secure(std::span<const std::string_view> forwarded_proto) {
  if (forwarded_proto.empty()) return std::nullopt;
  const std::string_view value = forwarded_proto.back();
  const auto comma = value.rfind(',');
  const std::string_view last = http::trim_whitespace(comma == std::string_view::npos ? value : value.substr(comma + 1));
  return http::iequals(last, "https");
}

}  // namespace keel::edge
