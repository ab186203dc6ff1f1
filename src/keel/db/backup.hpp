// keel/db/backup.hpp — consistent online backups and restores.
//
// SQLite: the online backup API copies the live database page by page while
// the server keeps running (a reader, never blocking writers for long).
// PostgreSQL: pg_dump -Fc and pg_restore --clean --if-exists
// --single-transaction from Debian's postgresql-client, with the password in
// the child's PGPASSWORD (never on argv, where `ps` would show it).
// A backup is written to PATH.partial and renamed when complete, so PATH is
// never a half-written file.
//
//   keel::db::backup_database(db, "/var/backups/keel.db", [](std::string_view line) { std::cerr << line <<
//   '\n'; }); keel::db::restore_database(db, "/var/backups/keel.db");
#pragma once

#include <filesystem>
#include <functional>
#include <string_view>

#include "keel/db/database.hpp"

namespace keel::db {

// ProgressFn receives one line of progress ("copied 40% (120/300 pages)", pg_dump's verbose lines).
using ProgressFn = std::function<void(std::string_view line)>;

// backup_database writes a consistent copy of the primary database to `path`.
// Throws DatabaseError (unavailable when the database cannot be reached).
void backup_database(Database& db, const std::filesystem::path& path, const ProgressFn& progress = {});

// restore_database replaces the primary database's contents with the backup
// at `path`. Stop the servers first: they would see the data change under them.
void restore_database(Database& db, const std::filesystem::path& path, const ProgressFn& progress = {});

}  // namespace keel::db
