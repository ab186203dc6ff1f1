#include "keel/db/commands.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "keel/db/backup.hpp"
#include "keel/db/migrations.hpp"

namespace keel::db::commands {
namespace {

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x",
                        static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += escaped;
        } else {
          out.push_back(c);
        }
    }
  }
  return out + "\"";
}

std::string json_versions(const std::vector<std::int64_t>& versions) {
  std::string out = "[";
  for (std::size_t i = 0; i < versions.size(); ++i) out += (i == 0 ? "" : ",") + std::to_string(versions[i]);
  return out + "]";
}

std::string json_records(const std::vector<MigrationRecord>& records) {
  std::string out = "[";
  for (std::size_t i = 0; i < records.size(); ++i) {
    const MigrationRecord& r = records[i];
    out += (i == 0 ? "{" : ",{") + std::string("\"version\":") + std::to_string(r.version) +
           ",\"name\":" + json_string(r.name);
    if (!r.applied_at.empty()) out += ",\"applied_at\":" + json_string(r.applied_at);
    out += "}";
  }
  return out + "]";
}

// fail reports an error in the command's output form and returns its exit code.
int fail(const Output& output, std::string_view command, int code, std::string_view kind,
         std::string_view message) {
  if (output.terminal) {
    output.err << "keel " << command << ": " << message << '\n';
  } else {
    output.out << "{\"command\":" << json_string(command) << ",\"ok\":false,\"kind\":" << json_string(kind)
               << ",\"error\":" << json_string(message) << "}\n";
  }
  return code;
}

// guarded runs a command body, turning exceptions into its exit code.
template <class Body>
int guarded(const Output& output, std::string_view command, Body&& body) {
  try {
    return body();
  } catch (const DatabaseError& e) {
    const int code = is_transient(e.kind()) ? kExitUnavailable : kExitFailure;
    return fail(output, command, code, to_string(e.kind()), e.what());
  } catch (const std::exception& e) {
    return fail(output, command, kExitFailure, "other", e.what());
  }
}

// refuse_inconsistent returns 65 with the reason when the schema is ahead or edited.
int refuse_inconsistent(const Output& output, std::string_view command, const MigrationStatus& status) {
  std::string problem;
  if (!status.mismatched.empty()) {
    const MigrationRecord& r = status.mismatched.front();
    problem = "migration " + migration_label(r.version, r.name) +
              " was edited after it was applied (checksum differs); restore the original file";
  } else if (!status.unknown.empty()) {
    const MigrationRecord& r = status.unknown.back();
    problem = "the database has " + migration_label(r.version, r.name) +
              " applied, which this binary does not know (schema ahead); use the newer binary";
  }
  return problem.empty() ? kExitOk : fail(output, command, kExitSchema, "schema", problem);
}

MigrateOptions progress_options(const Output& output) {
  MigrateOptions options;
  if (!output.terminal) return options;
  options.on_progress = [&output](const MigrationEvent& e) {
    if (e.phase == MigrationEvent::Phase::started) {
      output.out << (e.up ? "applying " : "rolling back ") << migration_label(e.version, e.name) << " ... "
                 << std::flush;
    } else {
      output.out << "ok (" << e.elapsed.count() << " ms)\n";
    }
  };
  return options;
}

}  // namespace

bool stdout_is_terminal() { return ::isatty(STDOUT_FILENO) == 1; }

int migrate_up(Database& db, const Output& output) {
  constexpr std::string_view kCommand = "migrate up";
  return guarded(output, kCommand, [&] {
    if (const int refused = refuse_inconsistent(output, kCommand, migrations::status(db));
        refused != kExitOk) {
      return refused;
    }
    const std::vector<std::int64_t> applied = migrations::up(db, progress_options(output));
    const std::int64_t version = migrations::status(db).current();
    if (output.terminal) {
      output.out << (applied.empty() ? "nothing to apply; " : "") << "database at version " << version
                 << '\n';
    } else {
      output.out << "{\"command\":\"migrate up\",\"ok\":true,\"applied\":" << json_versions(applied)
                 << ",\"version\":" << version << "}\n";
    }
    return kExitOk;
  });
}

int migrate_down(Database& db, int count, const Output& output) {
  constexpr std::string_view kCommand = "migrate down";
  if (count < 1) return fail(output, kCommand, kExitUsage, "usage", "N must be at least 1");
  return guarded(output, kCommand, [&] {
    if (const int refused = refuse_inconsistent(output, kCommand, migrations::status(db));
        refused != kExitOk) {
      return refused;
    }
    const std::vector<std::int64_t> rolled_back = migrations::down(db, count, progress_options(output));
    const std::int64_t version = migrations::status(db).current();
    if (output.terminal) {
      output.out << (rolled_back.empty() ? "nothing to roll back; " : "") << "database at version " << version
                 << '\n';
    } else {
      output.out << "{\"command\":\"migrate down\",\"ok\":true,\"rolled_back\":" << json_versions(rolled_back)
                 << ",\"version\":" << version << "}\n";
    }
    return kExitOk;
  });
}

int migrate_status(Database& db, const Output& output) {
  constexpr std::string_view kCommand = "migrate status";
  return guarded(output, kCommand, [&] {
    const MigrationStatus s = migrations::status(db);
    const std::string state = !s.mismatched.empty() ? "checksum_mismatch"
                              : !s.unknown.empty()  ? "ahead"
                              : !s.pending.empty()  ? "behind"
                                                    : "at_head";
    const int code = s.mismatched.empty() && s.unknown.empty() ? kExitOk : kExitSchema;
    if (output.terminal) {
      output.out << "database " << db.redacted_url() << "\n";
      auto line = [&](const MigrationRecord& r, std::string_view what) {
        output.out << "  " << migration_label(r.version, r.name) << "  " << what
                   << (r.applied_at.empty() ? "" : "  " + r.applied_at) << '\n';
      };
      for (const MigrationRecord& r : s.applied) line(r, "applied");
      for (const MigrationRecord& r : s.pending) line(r, "pending");
      for (const MigrationRecord& r : s.unknown) line(r, "UNKNOWN to this binary");
      for (const MigrationRecord& r : s.mismatched) line(r, "EDITED after it was applied");
      output.out << "state: " << state << " (version " << s.current() << ", binary head " << s.head << ")\n";
    } else {
      output.out << "{\"command\":\"migrate status\",\"ok\":true,\"state\":" << json_string(state)
                 << ",\"at_head\":" << (s.at_head() ? "true" : "false") << ",\"version\":" << s.current()
                 << ",\"head\":" << s.head << ",\"applied\":" << json_records(s.applied)
                 << ",\"pending\":" << json_records(s.pending) << ",\"unknown\":" << json_records(s.unknown)
                 << ",\"mismatched\":" << json_records(s.mismatched) << "}\n";
    }
    return code;
  });
}

int backup(Database& db, const std::filesystem::path& path, const Output& output) {
  constexpr std::string_view kCommand = "backup";
  return guarded(output, kCommand, [&] {
    const auto started = std::chrono::steady_clock::now();
    ProgressFn progress;
    if (output.terminal) progress = [&output](std::string_view line) { output.out << line << '\n'; };
    backup_database(db, path, progress);
    const auto bytes = std::filesystem::file_size(path);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
            .count();
    if (output.terminal) {
      output.out << "backup written to " << path.string() << " (" << bytes << " bytes, " << ms << " ms)\n";
    } else {
      output.out << "{\"command\":\"backup\",\"ok\":true,\"path\":" << json_string(path.string())
                 << ",\"bytes\":" << bytes << ",\"ms\":" << ms << "}\n";
    }
    return kExitOk;
  });
}

int restore(Database& db, const std::filesystem::path& path, bool yes, const Output& output) {
  constexpr std::string_view kCommand = "restore";
  if (!yes) {
    return fail(output, kCommand, kExitUsage, "usage",
                "restore replaces every table of the database with the backup; stop the servers and re-run "
                "with --yes");
  }
  return guarded(output, kCommand, [&] {
    ProgressFn progress;
    if (output.terminal) progress = [&output](std::string_view line) { output.out << line << '\n'; };
    restore_database(db, path, progress);
    if (output.terminal) {
      output.out << "restored " << path.string() << "; check `keel migrate status` before serving\n";
    } else {
      output.out << "{\"command\":\"restore\",\"ok\":true,\"path\":" << json_string(path.string()) << "}\n";
    }
    return kExitOk;
  });
}

}  // namespace keel::db::commands
