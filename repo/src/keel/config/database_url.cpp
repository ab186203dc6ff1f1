#include "keel/config/database_url.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace keel::config {
namespace {

constexpr std::string_view kSqlitePrefix = "sqlite:///";
constexpr std::array<std::string_view, 6> kSslModes = {"disable", "allow",     "prefer",
                                                       "require", "verify-ca", "verify-full"};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// percent_decode returns nullopt on a broken %XX escape.
std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex_value(s[i + 1]);
    const int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

bool valid_port(std::string_view port) {
  int value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return ec == std::errc() && end == port.data() + port.size() && value >= 1 && value <= 65535;
}

// host_of returns the host of "host", "host:port" or "[v6]:port"; nullopt on
// a bad port or bracket.
std::optional<std::string_view> host_of(std::string_view host_port) {
  if (host_port.starts_with('[')) {
    const auto close = host_port.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view rest = host_port.substr(close + 1);
    if (!rest.empty() && !(rest.front() == ':' && valid_port(rest.substr(1)))) return std::nullopt;
    return host_port.substr(1, close - 1);
  }
  const auto colon = host_port.find(':');
  if (colon == std::string_view::npos) return host_port;
  if (!valid_port(host_port.substr(colon + 1))) return std::nullopt;
  return host_port.substr(0, colon);
}

std::optional<DatabaseUrl> parse_postgresql(std::string_view rest) {
  DatabaseUrl url;
  url.kind = DatabaseKind::postgresql;
  const auto authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view tail = authority_end == std::string_view::npos ? "" : rest.substr(authority_end);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  // libpq allows several comma-separated hosts for failover.
  while (!authority.empty()) {
    const auto comma = authority.find(',');
    const auto host_port = authority.substr(0, comma);
    const auto host = host_of(host_port);
    if (!host) return std::nullopt;
    auto decoded = percent_decode(*host);
    if (!decoded) return std::nullopt;
    url.hosts.push_back(std::move(*decoded));
    authority.remove_prefix(comma == std::string_view::npos ? authority.size() : comma + 1);
  }
  if (const auto hash = tail.find('#'); hash != std::string_view::npos) tail = tail.substr(0, hash);
  if (const auto q = tail.find('?'); q != std::string_view::npos) {
    std::string_view query = tail.substr(q + 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
      const auto eq = pair.find('=');
      const std::string_view key = pair.substr(0, eq);
      auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
      if (!value) return std::nullopt;
      if (key == "sslmode") {
        if (std::find(kSslModes.begin(), kSslModes.end(), *value) == kSslModes.end()) return std::nullopt;
        url.sslmode = std::move(*value);
      } else if (key == "host") {
        // ?host= overrides the authority, e.g. a unix socket directory.
        url.hosts.clear();
        std::string_view hosts = *value;
        while (!hosts.empty()) {
          const auto comma = hosts.find(',');
          url.hosts.emplace_back(hosts.substr(0, comma));
          hosts.remove_prefix(comma == std::string_view::npos ? hosts.size() : comma + 1);
        }
      }
    }
  }
  return url;
}

}  // namespace

std::optional<DatabaseUrl> parse_database_url(std::string_view url) {
  if (url.starts_with(kSqlitePrefix)) {
    const std::string_view path = url.substr(kSqlitePrefix.size());
    if (path.empty()) return std::nullopt;
    DatabaseUrl result;
    result.kind = DatabaseKind::sqlite;
    result.sqlite_path = std::string(path);
    return result;
  }
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (url.starts_with(scheme)) return parse_postgresql(url.substr(scheme.size()));
  }
  return std::nullopt;
}

bool is_loopback_host(std::string_view host) {
  if (host.empty() || host.front() == '/') return true;
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  if (host == "localhost" || host == "localhost.") return true;
  const std::string text(host);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

bool sslmode_requires_tls(std::string_view sslmode) {
  return sslmode == "require" || sslmode == "verify-ca" || sslmode == "verify-full";
}

std::string redact_url(std::string_view url) {
  std::string out;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  std::string_view rest = url.substr(scheme_end + 3);
  out.append(url.substr(0, scheme_end + 3));
  // The last '@' anywhere ends the userinfo: a password may contain '/', '?'
  // or '@' unencoded, and hiding a query by mistake is better than leaking.
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    if (const auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      out.append(userinfo.substr(0, colon)).append(":***@");
      rest.remove_prefix(at + 1);
    }
  }
  // libpq also takes ?password=…; hide its value up to the next '&' or '#'.
  std::size_t pos = 0;
  while (pos < rest.size()) {
    const auto found = rest.find("password=", pos);
    if (found == std::string_view::npos) break;
    const bool param_start = found > 0 && (rest[found - 1] == '?' || rest[found - 1] == '&');
    const std::size_t value_start = found + 9;
    if (!param_start) {
      out.append(rest.substr(pos, value_start - pos));
      pos = value_start;
      continue;
    }
    out.append(rest.substr(pos, value_start - pos)).append("***");
    const auto value_end = rest.find_first_of("&#", value_start);
    pos = value_end == std::string_view::npos ? rest.size() : value_end;
  }
  out.append(rest.substr(std::min(pos, rest.size())));
  return out;
}

}  // namespace keel::config
