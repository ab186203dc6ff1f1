#include "keel/db/driver.hpp"

#include "keel/config/database_url.hpp"
#include "keel/db/error.hpp"
#include "keel/db/postgres_driver.hpp"
#include "keel/db/sqlite_driver.hpp"

namespace keel::db {

std::unique_ptr<Driver> connect_driver(const ConnectTarget& target, Clock::time_point deadline) {
  const auto url = config::parse_database_url(target.url);
  if (!url) {
    throw DatabaseError(ErrorKind::unavailable,
                        "database URL not understood: " + config::redact_url(target.url));
  }
  if (url->kind == config::DatabaseKind::sqlite) return SqliteDriver::open(url->sqlite_path, target.timeout);
  return PostgresDriver::connect(target.url, target.timeout, deadline);
}

}  // namespace keel::db
