#include "keel/db/health.hpp"

#include <algorithm>

#include "keel/db/migrations.hpp"

namespace keel::db {
namespace {

// A readiness probe must answer well within a load balancer's probe timeout.
constexpr std::chrono::milliseconds kProbeAcquire{1000};

std::string describe(const std::vector<MigrationRecord>& records) {
  std::string out;
  for (const MigrationRecord& r : records)
    out += (out.empty() ? "" : ", ") + migration_label(r.version, r.name);
  return out;
}

SchemaCheck judge(const MigrationStatus& s) {
  if (!s.mismatched.empty()) {
    return {SchemaState::checksum_mismatch,
            "database schema: migration " + describe(s.mismatched) +
                " was edited after it was applied (checksum differs); restore the original file"};
  }
  if (!s.unknown.empty()) {
    return {SchemaState::ahead, "database schema is ahead of this binary: " + describe(s.unknown) +
                                    " applied but unknown; deploy the newer binary (or roll back with it)"};
  }
  if (!s.pending.empty()) {
    return {SchemaState::behind,
            "database schema is behind this binary: " + std::to_string(s.pending.size()) +
                " pending migration(s) (" + describe(s.pending) +
                "); run `keel migrate up` or start with --migrate"};
  }
  return {SchemaState::at_head, "database schema at version " + std::to_string(s.current())};
}

}  // namespace

SchemaCheck check_schema(Database& db) {
  try {
    return judge(migrations::status(db));
  } catch (const DatabaseError& e) {
    return {SchemaState::unreachable, std::string("database unavailable: ") + e.what()};
  }
}

Probe readiness(Database& db) {
  Pool& pool = db.primary_pool();
  try {
    Connection connection = pool.acquire(std::min(kProbeAcquire, db.timeout()));
    connection.ping();
    const MigrationStatus status = migrations::status(connection, embedded_migrations(db.dialect()));
    const SchemaCheck check = judge(status);
    if (!check.ok()) {
      switch (check.state) {
        case SchemaState::behind:
          return {false, "schema behind: " + std::to_string(status.pending.size()) + " pending migration(s)"};
        case SchemaState::ahead: return {false, "schema ahead of this binary"};
        default: return {false, "schema checksum mismatch"};
      }
    }
    return {};
  } catch (const DatabaseError& e) {
    const PoolStats stats = pool.stats();
    if (e.kind() == ErrorKind::unavailable && stats.in_use >= stats.size) {
      // The pool is saturated, not the database down: recent successes say it answers.
      const auto last = pool.last_success();
      if (last && Clock::now() - *last < db.timeout()) return {true, "ok (pool busy)"};
    }
    return {false, e.kind() == ErrorKind::timeout ? "timeout" : "unavailable"};
  }
}

}  // namespace keel::db
