// keel/config/database_url.hpp — reading and redacting connection URLs.
//
// DATABASE_URL is `sqlite:///relative/path.db`, `sqlite:////absolute/path.db`
// or `postgresql://user:pass@host:port/db?sslmode=…` (`postgres://` too).
// The production audit needs its hosts and sslmode; logs need it without the
// password.
//
//   auto url = parse_database_url(settings.database_url);
//   if (url && url->kind == DatabaseKind::sqlite) open(url->sqlite_path);
//   log.info("database", {{"url", redact_url(settings.database_url)}});
//     // postgresql://keel:***@db.internal:5432/keel
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keel::config {

// DatabaseKind is the engine a database URL selects.
enum class DatabaseKind : std::uint8_t { sqlite, postgresql };

// DatabaseUrl is the parts of a database URL that Keel itself acts on; the
// PostgreSQL driver receives the original URL.
struct DatabaseUrl {
  DatabaseKind kind = DatabaseKind::sqlite;
  std::string sqlite_path;         // sqlite: the file path (or ":memory:")
  std::vector<std::string> hosts;  // postgresql: decoded hosts; a leading '/' is a unix socket dir
  std::string sslmode;             // postgresql: ?sslmode= value, "" when absent
};

// parse_database_url returns nullopt when `url` is neither form, has a bad
// port or an unknown sslmode.
std::optional<DatabaseUrl> parse_database_url(std::string_view url);

// is_loopback_host is true for localhost, 127.0.0.0/8, ::1, unix socket paths
// and the empty host (libpq's default unix socket).
bool is_loopback_host(std::string_view host);

// sslmode_requires_tls is true for require, verify-ca and verify-full.
bool sslmode_requires_tls(std::string_view sslmode);

// redact_url hides the password of any scheme://user:password@host URL and any
// `password=` query parameter. When the URL is ambiguous it hides more, never less.
std::string redact_url(std::string_view url);

}  // namespace keel::config
