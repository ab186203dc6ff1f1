// keel/db/commands.hpp — the database commands of the `keel` CLI.
//
// src/main.cpp parses arguments (CLI11) and calls these. Each prints to the
// given streams and returns the process exit code. On a terminal they show
// progress and a human summary; otherwise (scripts, CI, containers) they
// print exactly one JSON line on `out`:
//   {"command":"migrate up","ok":true,"applied":[1],"version":1}
//   {"command":"backup","ok":false,"kind":"unavailable","error":"..."}
// Messages never contain the database password.
//
// Exit codes: 0 success; 1 the operation failed; 64 refused (restore without
// --yes, bad N); 65 the schema is ahead of the binary or an applied migration
// was edited; 69 the database is unreachable or timed out.
//
//   keel::db::commands::Output io{std::cout, std::cerr, keel::db::commands::stdout_is_terminal()};
//   return keel::db::commands::migrate_up(db, io);
#pragma once

#include <filesystem>
#include <ostream>

#include "keel/db/database.hpp"

namespace keel::db::commands {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 64;        // EX_USAGE
inline constexpr int kExitSchema = 65;       // EX_DATAERR
inline constexpr int kExitUnavailable = 69;  // EX_UNAVAILABLE

// Output is where a command writes; `terminal` selects progress + text over one JSON line.
struct Output {
  std::ostream& out;
  std::ostream& err;
  bool terminal = false;
};

// stdout_is_terminal is true when standard output is a TTY.
bool stdout_is_terminal();

// migrate_up applies every pending migration (`keel migrate up`, `keel serve --migrate`).
int migrate_up(Database& db, const Output& output);
// migrate_down rolls back the `count` latest migrations (`keel migrate down [N]`, N ≥ 1).
int migrate_down(Database& db, int count, const Output& output);
// migrate_status lists applied, pending, unknown and edited migrations;
// exits 0 at head or behind, 65 when ahead or edited.
int migrate_status(Database& db, const Output& output);
// backup writes a consistent copy to `path` (`keel backup PATH`).
int backup(Database& db, const std::filesystem::path& path, const Output& output);
// restore replaces the database with the backup at `path`; refuses (64) unless `yes`.
int restore(Database& db, const std::filesystem::path& path, bool yes, const Output& output);

}  // namespace keel::db::commands
