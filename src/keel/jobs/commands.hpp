// keel/jobs/commands.hpp — the `keel jobs …` operator commands.
//
// src/main.cpp parses the arguments and calls these; each writes to the given
// streams and returns the process exit code. Output is JSON lines on `out`
// (one per job for list, one summary line otherwise), the same on a terminal
// and in scripts, so `keel jobs list --state dead | jq` works. Payloads are
// never printed (they may name people); last_error is stored redacted.
//   {"id":"0192…","kind":"email.send","state":"dead","attempts":5,"max_attempts":5,
//    "run_at":"2026-11-27T10:00:00.000Z",…,"last_error":"smtp: 550 mailbox unavailable"}
//   {"command":"jobs retry","ok":true,"id":"0192…"}
//   {"command":"jobs purge-dead","ok":true,"deleted":12,"older_than_days":7}
//
// Exit codes (as keel::db::commands): 0 success; 1 failed (no such job, not
// retryable, database error); 64 bad argument; 69 database unreachable or timed out.
//
//   keel::db::commands::Output io{std::cout, std::cerr, keel::db::commands::stdout_is_terminal()};
//   return keel::jobs::commands::list(db, state_option, 100, io);          // keel jobs list [--state S]
//   return keel::jobs::commands::retry(db, id, io);                        // keel jobs retry ID
//   return keel::jobs::commands::purge_dead(db, days, io);                 // keel jobs purge-dead
//   [--older-than-days N]
#pragma once

#include <optional>
#include <string_view>

#include "keel/db/commands.hpp"
#include "keel/db/database.hpp"
#include "keel/jobs/job.hpp"

namespace keel::jobs::commands {

// kDefaultListLimit is how many jobs `keel jobs list` prints without --limit.
inline constexpr int kDefaultListLimit = 100;

// list prints up to `limit` (1…10000) jobs, of `state` when given (queued,
// running, succeeded, dead; 64 otherwise), latest first.
int list(db::Database& db, std::optional<std::string_view> state, int limit,
         const db::commands::Output& output);

// retry makes a dead (or waiting queued) job due now with its attempts reset.
int retry(db::Database& db, std::string_view id, const db::commands::Output& output,
          const Clock& clock = system_clock_ms);

// purge_dead deletes dead jobs that died at least `older_than_days` (≥ 0) days ago.
int purge_dead(db::Database& db, int older_than_days, const db::commands::Output& output,
               const Clock& clock = system_clock_ms);

}  // namespace keel::jobs::commands
