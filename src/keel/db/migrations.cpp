#include "keel/db/migrations.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <thread>

#include "keel/db/driver.hpp"

namespace keel::db {
namespace {

// Runner statements go straight to the driver: an enforcing catalog is for
// the service's statements, not the framework's own bookkeeping.
constexpr Statement kCreateTable{
    "migrations.create_table",
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
    "checksum TEXT NOT NULL, applied_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
    "checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"};
constexpr Statement kTableExists{
    "migrations.table_exists",
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
    "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations'"};
constexpr Statement kSelectApplied{
    "migrations.applied",
    "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version",
    "SELECT version, name, checksum, "
    "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS applied_at "
    "FROM schema_migrations ORDER BY version"};
constexpr Sql kIsApplied = "SELECT count(*) FROM schema_migrations WHERE version = $1";
constexpr Statement kRecord{
    "migrations.record",
    "INSERT INTO schema_migrations (version, name, checksum, applied_at) "
    "VALUES ($1, $2, $3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
    "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, now())"};
constexpr Sql kForget = "DELETE FROM schema_migrations WHERE version = $1";
constexpr Statement kBegin{"migrations.begin", "BEGIN IMMEDIATE", "BEGIN"};
constexpr Sql kCommit = "COMMIT";
constexpr Sql kRollback = "ROLLBACK";
constexpr Sql kTryLock = "SELECT pg_try_advisory_lock($1)";
constexpr Sql kUnlock = "SELECT pg_advisory_unlock($1)";
// The advisory lock key: "keelmigr" as a big-endian 64-bit integer.
constexpr std::int64_t kLockKey = 0x6b65656c6d696772;
constexpr std::chrono::milliseconds kLockPoll{100};

Result run(Driver& d, const Statement& s, std::span<const Param> params = {}) {
  return d.execute(s.sql(d.dialect()).text(), params, true);
}
Result run(Driver& d, Sql sql, std::span<const Param> params = {}) {
  return d.execute(sql.text(), params, true);
}

// MigrationSession holds what a migrator needs for its whole run: no
// statement timeout and, on PostgreSQL, the advisory lock. The destructor
// gives both back; if it cannot, the connection is closed instead.
class MigrationSession {
 public:
  MigrationSession(Driver& driver, std::chrono::milliseconds restore_timeout,
                   std::chrono::milliseconds lock_timeout)
      : driver_(driver), restore_timeout_(restore_timeout) {
    driver_.set_statement_timeout(std::chrono::milliseconds(0));
    if (driver_.dialect() != Dialect::postgresql) return;
    try {
      const auto give_up = Clock::now() + lock_timeout;
      const Param key[] = {kLockKey};
      while (!run(driver_, kTryLock, key)[0].get<bool>(0)) {
        if (Clock::now() >= give_up) {
          throw DatabaseError(ErrorKind::timeout, "another process held the migration lock for more than " +
                                                      std::to_string(lock_timeout.count()) + " ms");
        }
        std::this_thread::sleep_for(kLockPoll);
      }
    } catch (...) {
      driver_.mark_broken();  // the connection still has no statement timeout: close it
      throw;
    }
    locked_ = true;
  }
  ~MigrationSession() {
    try {
      if (locked_) {
        const Param key[] = {kLockKey};
        run(driver_, kUnlock, key);
      }
      driver_.set_statement_timeout(restore_timeout_);
    } catch (...) {
      driver_.mark_broken();  // closing the session releases the lock
    }
  }
  MigrationSession(const MigrationSession&) = delete;
  MigrationSession& operator=(const MigrationSession&) = delete;

 private:
  Driver& driver_;
  std::chrono::milliseconds restore_timeout_;
  bool locked_ = false;
};

MigrationStatus read_status(Driver& d, std::span<const Migration> known) {
  MigrationStatus status;
  for (const Migration& m : known) status.head = std::max(status.head, m.version);
  std::map<std::int64_t, MigrationRecord> applied;
  if (run(d, kTableExists)[0].get<std::int64_t>(0) > 0) {
    for (const Row& row : run(d, kSelectApplied)) {
      MigrationRecord r{row.get<std::int64_t>(0), row.get<std::string>(1), row.get<std::string>(2),
                        row.get<std::string>(3)};
      applied.emplace(r.version, std::move(r));
    }
  }
  for (const Migration& m : known) {
    const auto it = applied.find(m.version);
    if (it == applied.end()) {
      status.pending.push_back({m.version, m.name, m.checksum, ""});
      continue;
    }
    if (it->second.checksum != m.checksum) status.mismatched.push_back(it->second);
    status.applied.push_back(it->second);
    applied.erase(it);
  }
  for (auto& [version, record] : applied) status.unknown.push_back(std::move(record));
  return status;
}

std::string labels(const std::vector<MigrationRecord>& records) {
  std::string out;
  for (const MigrationRecord& r : records)
    out += (out.empty() ? "" : ", ") + migration_label(r.version, r.name);
  return out;
}

// refuse_inconsistent stops a run that would build on an unknown or edited history.
void refuse_inconsistent(const MigrationStatus& status) {
  if (!status.mismatched.empty()) {
    throw DatabaseError(ErrorKind::other, "migration " + labels(status.mismatched) +
                                              " was edited after it was applied (checksum differs); "
                                              "restore the original file and add a new migration instead");
  }
  if (!status.unknown.empty()) {
    throw DatabaseError(ErrorKind::other,
                        "the database has migration " + labels(status.unknown) +
                            " applied, which this binary does not know: the schema is ahead; "
                            "deploy the newer binary or roll back with it");
  }
}

const Migration& find(std::span<const Migration> known, std::int64_t version) {
  const auto it =
      std::find_if(known.begin(), known.end(), [&](const Migration& m) { return m.version == version; });
  return *it;  // callers only ask for versions taken from `known`
}

// in_own_transaction runs one migration step and its bookkeeping atomically.
template <class Step>
bool in_own_transaction(Driver& d, const Migration& m, bool up, Step&& step) {
  run(d, kBegin);
  try {
    const Param version[] = {m.version};
    const bool applied = run(d, kIsApplied, version)[0].get<std::int64_t>(0) > 0;
    if (applied != up) {
      step();
    } else {
      run(d, kRollback);  // another migrator did it meanwhile
      return false;
    }
    run(d, kCommit);
    return true;
  } catch (const DatabaseError& e) {
    if (d.alive() && d.in_transaction()) {
      try {
        run(d, kRollback);
      } catch (const DatabaseError&) {
        d.mark_broken();
      }
    }
    throw DatabaseError(e.kind(), std::string(up ? "migration " : "rollback of ") +
                                      migration_label(m.version, m.name) + " failed: " + e.what());
  }
}

void report(const MigrateOptions& options, MigrationEvent::Phase phase, bool up, const Migration& m,
            std::chrono::milliseconds elapsed = std::chrono::milliseconds(0)) {
  if (options.on_progress) options.on_progress(MigrationEvent{phase, up, m.version, m.name, elapsed});
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw DatabaseError(ErrorKind::other, "SHA-256 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(static_cast<std::size_t>(length) * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::string migration_label(std::int64_t version, std::string_view name) {
  char number[24];
  std::snprintf(number, sizeof number, "%04lld", static_cast<long long>(version));
  return std::string(number) + "_" + std::string(name);
}

std::int64_t MigrationStatus::current() const {
  std::int64_t highest = 0;
  for (const MigrationRecord& r : applied) highest = std::max(highest, r.version);
  for (const MigrationRecord& r : unknown) highest = std::max(highest, r.version);
  return highest;
}

MigrationSet parse_migrations(std::span<const MigrationFile> files) {
  struct Halves {
    std::string name;
    const MigrationFile* up = nullptr;
    const MigrationFile* down = nullptr;
  };
  MigrationSet set;
  std::map<std::int64_t, Halves> by_version;
  for (const MigrationFile& file : files) {
    // NNNN_name.up.sql / NNNN_name.down.sql, name in lowercase snake_case.
    const std::string_view n = file.name;
    const bool is_up = n.ends_with(".up.sql");
    const bool is_down = n.ends_with(".down.sql");
    const auto underscore = n.find('_');
    std::int64_t version = 0;
    const auto [end, ec] = std::from_chars(n.data(), n.data() + std::min(underscore, n.size()), version);
    const std::string_view name = underscore == std::string_view::npos
                                      ? std::string_view()
                                      : n.substr(underscore + 1, n.size() - underscore - 1 - (is_up ? 7 : 9));
    const bool name_ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
    if ((!is_up && !is_down) || ec != std::errc() || end != n.data() + underscore || version <= 0 ||
        !name_ok) {
      set.problems.push_back(std::string(n) + ": expected NNNN_name.up.sql or NNNN_name.down.sql");
      continue;
    }
    Halves& h = by_version[version];
    if (!h.name.empty() && h.name != name) {
      set.problems.push_back(std::string(n) + ": version " + std::to_string(version) + " is also named " +
                             h.name);
      continue;
    }
    h.name = std::string(name);
    (is_up ? h.up : h.down) = &file;
  }
  for (const auto& [version, h] : by_version) {
    if (h.up == nullptr || h.down == nullptr) {
      set.problems.push_back(migration_label(version, h.name) +
                             ": needs both an .up.sql and a .down.sql file");
      continue;
    }
    set.migrations.push_back(Migration{version, h.name, std::string(h.up->content),
                                       std::string(h.down->content), sha256_hex(h.up->content)});
  }
  return set;
}

const std::vector<Migration>& embedded_migrations(Dialect dialect) {
  static const auto parse = [](Dialect d) {
    MigrationSet set = parse_migrations(detail::embedded_migration_files(d));
    // The build already checked the names; a problem here is a build bug.
    if (!set.problems.empty())
      throw DatabaseError(ErrorKind::other, "embedded migrations: " + set.problems.front());
    return set.migrations;
  };
  static const std::vector<Migration> sqlite = parse(Dialect::sqlite);
  static const std::vector<Migration> postgresql = parse(Dialect::postgresql);
  return dialect == Dialect::sqlite ? sqlite : postgresql;
}

namespace migrations {

MigrationStatus status(Database& db, std::span<const Migration> known) {
  Connection connection = db.acquire();
  return read_status(driver_of(connection), known);
}

MigrationStatus status(Connection& connection, std::span<const Migration> known) {
  return read_status(driver_of(connection), known);
}

MigrationStatus status(Database& db) { return status(db, embedded_migrations(db.dialect())); }

// apply_pending applies what is pending now, appending each version it applied to `applied`.
void apply_pending(Database& db, std::span<const Migration> known, const MigrateOptions& options,
                   std::vector<std::int64_t>& applied) {
  Connection connection = db.acquire();
  Driver& d = driver_of(connection);
  const MigrationSession session(d, db.timeout(), options.lock_timeout);
  run(d, kCreateTable);
  const MigrationStatus status = read_status(d, known);
  refuse_inconsistent(status);
  for (const MigrationRecord& pending : status.pending) {
    const Migration& m = find(known, pending.version);
    report(options, MigrationEvent::Phase::started, true, m);
    const auto started = Clock::now();
    const bool ran = in_own_transaction(d, m, true, [&] {
      d.execute_script(m.up_sql);
      const Param record[] = {m.version, m.name, m.checksum};
      run(d, kRecord, record);
    });
    report(options, MigrationEvent::Phase::finished, true, m,
           std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started));
    if (ran) applied.push_back(m.version);
  }
}

std::vector<std::int64_t> up(Database& db, std::span<const Migration> known, const MigrateOptions& options) {
  // SQLite has no advisory lock, and a writer whose read snapshot went stale
  // gets SQLITE_BUSY at once instead of waiting. Every step re-checks whether
  // its version is applied, so a second migrator that loses such a race
  // simply starts over.
  constexpr int kSqliteAttempts = 5;
  std::vector<std::int64_t> applied;
  for (int attempt = 1;; ++attempt) {
    try {
      apply_pending(db, known, options, applied);
      return applied;
    } catch (const DatabaseError& error) {
      if (db.dialect() != Dialect::sqlite || !is_transient(error.kind()) || attempt == kSqliteAttempts) throw;
      std::this_thread::sleep_for(kLockPoll);
    }
  }
}

std::vector<std::int64_t> up(Database& db, const MigrateOptions& options) {
  return up(db, embedded_migrations(db.dialect()), options);
}

std::vector<std::int64_t> down(Database& db, std::span<const Migration> known, int count,
                               const MigrateOptions& options) {
  Connection connection = db.acquire();
  Driver& d = driver_of(connection);
  const MigrationSession session(d, db.timeout(), options.lock_timeout);
  const MigrationStatus status = read_status(d, known);
  refuse_inconsistent(status);
  std::vector<std::int64_t> rolled_back;
  for (auto it = status.applied.rbegin(); it != status.applied.rend() && count > 0; ++it, --count) {
    const Migration& m = find(known, it->version);
    report(options, MigrationEvent::Phase::started, false, m);
    const auto started = Clock::now();
    const bool ran = in_own_transaction(d, m, false, [&] {
      d.execute_script(m.down_sql);
      const Param version[] = {m.version};
      run(d, kForget, version);
    });
    report(options, MigrationEvent::Phase::finished, false, m,
           std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started));
    if (ran) rolled_back.push_back(m.version);
  }
  return rolled_back;
}

std::vector<std::int64_t> down(Database& db, int count, const MigrateOptions& options) {
  return down(db, embedded_migrations(db.dialect()), count, options);
}

bool at_head(Database& db) { return status(db).at_head(); }

}  // namespace migrations
}  // namespace keel::db
