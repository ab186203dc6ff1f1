#include "keel/db/database.hpp"

#include <utility>

#include "keel/config/database_url.hpp"
#include "keel/db/driver.hpp"

namespace keel::db {
namespace {

Dialect dialect_of(const std::string& url, std::string_view variable) {
  const auto parsed = config::parse_database_url(url);
  if (!parsed) {
    throw DatabaseError(
        ErrorKind::other,
        std::string(variable) + ": not a sqlite:/// or postgresql:// URL: " + config::redact_url(url));
  }
  return parsed->kind == config::DatabaseKind::sqlite ? Dialect::sqlite : Dialect::postgresql;
}

std::unique_ptr<Pool> make_pool(std::string name, const std::string& url, const DatabaseOptions& options,
                                std::shared_ptr<const StatementCatalog> catalog) {
  int size = options.pool_size;
  // Every connection to ":memory:" would be a separate, empty database.
  if (const auto parsed = config::parse_database_url(url); parsed && parsed->sqlite_path == ":memory:")
    size = 1;
  ConnectTarget target{url, options.timeout};
  return std::make_unique<Pool>(
      PoolOptions{std::move(name), size, options.timeout},
      [target](Clock::time_point deadline) { return connect_driver(target, deadline); }, options.on_query,
      std::move(catalog));
}

}  // namespace

DatabaseOptions DatabaseOptions::from_settings(const config::Settings& settings) {
  DatabaseOptions options;
  options.url = settings.database_url;
  options.read_url = settings.database_read_url;
  options.pool_size = settings.database_pool_size;
  options.timeout = std::chrono::milliseconds(settings.database_timeout_ms);
  return options;
}

Database::Database(DatabaseOptions options)
    : options_(std::move(options)),
      dialect_(dialect_of(options_.url, "DATABASE_URL")),
      catalog_(std::make_shared<StatementCatalog>(options_.enforce_catalog)) {
  primary_ = make_pool("primary", options_.url, options_, catalog_);
  if (dialect_ == Dialect::sqlite) write_batch_ = std::make_unique<WriteBatch>(*primary_);
  if (options_.read_url) {
    if (dialect_of(*options_.read_url, "DATABASE_READ_URL") != dialect_) {
      throw DatabaseError(ErrorKind::other, "DATABASE_READ_URL: must use the same engine as DATABASE_URL");
    }
    replica_ = make_pool("replica", *options_.read_url, options_, catalog_);
  }
}

Database::~Database() = default;

std::string Database::redacted_url() const { return config::redact_url(options_.url); }

}  // namespace keel::db
