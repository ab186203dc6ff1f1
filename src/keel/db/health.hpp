// keel/db/health.hpp — start-up schema check and the /readiness probe.
//
// `keel serve` calls check_schema() before listening and refuses to start
// when the schema is behind (pending migrations), ahead (versions this binary
// does not know) or edited (checksum mismatch), unless --migrate was given.
// readiness() is the /readiness "database" check: the database answers and
// its schema is at head. Neither message contains the URL or a password.
//
//   SchemaCheck c = keel::db::check_schema(db);
//   if (!c.ok()) { std::cerr << c.message << '\n'; return 69; }
//   app.add_readiness_check("database", [&] {
//     auto p = keel::db::readiness(db);
//     return keel::app::ReadinessResult{p.ok, p.reason};
//   });
#pragma once

#include <cstdint>
#include <string>

#include "keel/db/database.hpp"

namespace keel::db {

// SchemaState is how the database's schema relates to the binary's migrations.
enum class SchemaState : std::uint8_t { at_head, behind, ahead, checksum_mismatch, unreachable };

// SchemaCheck is check_schema's verdict, with a message for the operator.
struct SchemaCheck {
  SchemaState state = SchemaState::at_head;
  std::string message;  // one line; says what to run

  bool ok() const { return state == SchemaState::at_head; }
};

// check_schema compares the database with the embedded migrations.
// (A checksum mismatch wins over ahead, which wins over behind.)
SchemaCheck check_schema(Database& db);

// Probe is one readiness answer: ok, or a short reason without secrets.
struct Probe {
  bool ok = true;
  std::string reason = "ok";
};

// readiness pings the primary (a short acquire: under full load a statement
// that succeeded within DATABASE_TIMEOUT_MS counts as an answer) and checks
// the schema is at head.
Probe readiness(Database& db);

}  // namespace keel::db
