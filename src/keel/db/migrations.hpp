// keel/db/migrations.hpp — versioned schema migrations, embedded in the binary.
//
// migrations/<dialect>/ (sqlite, postgres) holds NNNN_name.up.sql and
// NNNN_name.down.sql per version. The build embeds them (cmake/
// db_migrations.cmake), so the binary migrates from any directory and in a
// container. schema_migrations(version, name, checksum, applied_at) records
// what ran, with the SHA-256 of each up file: an applied migration whose
// file changed since is reported, and nothing runs until it is fixed.
//
// Concurrency: PostgreSQL migrates under an advisory lock (two replicas
// starting with --migrate apply each version once; the second waits, then
// finds nothing to do); SQLite takes the write lock (BEGIN IMMEDIATE) per
// migration and re-checks that it is still pending. Each migration runs in
// its own transaction with its schema_migrations row, so a failure leaves
// the previous version intact. The statement timeout is lifted meanwhile (an
// index build may take long).
//
//   MigrationStatus s = keel::db::migrations::status(db);
//   if (!s.at_head()) keel::db::migrations::up(db);        // returns the versions applied
//   keel::db::migrations::down(db, 1);                      // undo the latest
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keel/db/database.hpp"

namespace keel::db {

// MigrationFile is one embedded file: its name ("0001_framework_baseline.up.sql") and text.
struct MigrationFile {
  std::string_view name;
  std::string_view content;
};

// Migration is one version: up and down SQL, and the up file's SHA-256.
struct Migration {
  std::int64_t version = 0;
  std::string name;  // "framework_baseline"
  std::string up_sql;
  std::string down_sql;
  std::string checksum;  // lowercase hex SHA-256 of up_sql
};

// MigrationSet is a parsed folder: migrations ascending by version, or problems.
struct MigrationSet {
  std::vector<Migration> migrations;
  std::vector<std::string> problems;  // one line each, naming the file
};

// parse_migrations pairs up/down files by version and checks their names.
MigrationSet parse_migrations(std::span<const MigrationFile> files);

// embedded_migrations is the binary's own set for `dialect` (parsed once).
const std::vector<Migration>& embedded_migrations(Dialect dialect);

// sha256_hex returns the lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// migration_label formats "0001_framework_baseline".
std::string migration_label(std::int64_t version, std::string_view name);

// MigrationRecord is one migration as the database or the binary knows it.
struct MigrationRecord {
  std::int64_t version = 0;
  std::string name;
  std::string checksum;
  std::string applied_at;  // ISO 8601 UTC; empty when not applied
};

// MigrationStatus compares the database with a set of migrations.
struct MigrationStatus {
  std::vector<MigrationRecord> applied;     // every applied version the binary knows, ascending
  std::vector<MigrationRecord> pending;     // known, not applied: the schema is behind
  std::vector<MigrationRecord> unknown;     // applied, not known: the schema is ahead of this binary
  std::vector<MigrationRecord> mismatched;  // applied, but the up file changed since
  std::int64_t head = 0;                    // the highest version the binary knows

  // at_head is true when nothing is pending, unknown or mismatched.
  bool at_head() const { return pending.empty() && unknown.empty() && mismatched.empty(); }
  // current is the highest applied version (0 when none).
  std::int64_t current() const;
};

// MigrationEvent reports progress to a command's output.
struct MigrationEvent {
  enum class Phase : std::uint8_t { started, finished };
  Phase phase = Phase::started;
  bool up = true;
  std::int64_t version = 0;
  std::string_view name;
  std::chrono::milliseconds elapsed{0};  // set when finished
};

// MigrateOptions tunes up/down.
struct MigrateOptions {
  std::chrono::milliseconds lock_timeout{60000};  // wait for another migrator at most this long
  std::function<void(const MigrationEvent&)> on_progress{};
};

namespace migrations {

// status reads schema_migrations (without creating it) and compares it with `known`.
MigrationStatus status(Database& db, std::span<const Migration> known);
// status does the same on a connection the caller already holds.
MigrationStatus status(Connection& connection, std::span<const Migration> known);
// status compares with the binary's embedded migrations.
MigrationStatus status(Database& db);

// up applies every pending migration, ascending; returns the versions it applied.
// Throws DatabaseError(other) without applying anything when the schema is
// ahead or a checksum does not match; a failing migration throws with its label.
std::vector<std::int64_t> up(Database& db, std::span<const Migration> known,
                             const MigrateOptions& options = {});
std::vector<std::int64_t> up(Database& db, const MigrateOptions& options = {});

// down rolls back the `count` latest applied migrations, newest first; returns their versions.
// Refuses (DatabaseError(other)) when one of them is unknown to `known` or any checksum mismatches.
std::vector<std::int64_t> down(Database& db, std::span<const Migration> known, int count,
                               const MigrateOptions& options = {});
std::vector<std::int64_t> down(Database& db, int count, const MigrateOptions& options = {});

// at_head is true when the database matches the binary's embedded migrations.
bool at_head(Database& db);

}  // namespace migrations

namespace detail {
// embedded_migration_files is generated at build time from migrations/<dialect>/.
std::span<const MigrationFile> embedded_migration_files(Dialect dialect);
}  // namespace detail

}  // namespace keel::db
