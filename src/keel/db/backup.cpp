#include "keel/db/backup.hpp"

#include <fcntl.h>
#include <libpq-fe.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <deque>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "keel/db/sqlite_driver.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX leaves it undeclared

namespace keel::db {
namespace {

constexpr int kPagesPerStep = 1024;  // 4 MiB with the default page size
constexpr std::size_t kKeptToolLines = 20;

std::filesystem::path partial_path(const std::filesystem::path& path) {
  std::filesystem::path p = path;
  p += ".partial";
  return p;
}

struct SqliteHandle {
  sqlite3* db = nullptr;
  ~SqliteHandle() { sqlite3_close_v2(db); }
};

// copy runs the online backup API from `source` to `dest`, reporting progress.
void copy(sqlite3* dest, sqlite3* source, const ProgressFn& progress, std::string_view verb) {
  sqlite3_backup* backup = sqlite3_backup_init(dest, "main", source, "main");
  if (backup == nullptr) {
    throw DatabaseError(ErrorKind::other,
                        std::string("SQLite ") + std::string(verb) + ": " + sqlite3_errmsg(dest));
  }
  int last_percent = -1;
  for (;;) {
    const int rc = sqlite3_backup_step(backup, kPagesPerStep);
    const int total = sqlite3_backup_pagecount(backup);
    const int done = total - sqlite3_backup_remaining(backup);
    const int percent = total > 0 ? done * 100 / total : 100;
    if (progress && percent / 10 != last_percent / 10) {  // a line per 10%
      progress(std::string(verb) + " " + std::to_string(percent) + "% (" + std::to_string(done) + "/" +
               std::to_string(total) + " pages)");
      last_percent = percent;
    }
    if (rc == SQLITE_DONE) break;
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (rc != SQLITE_OK) break;  // sqlite3_backup_finish reports it
  }
  const int rc = sqlite3_backup_finish(backup);
  if (rc != SQLITE_OK) {
    throw DatabaseError(ErrorKind::other, std::string("SQLite ") + std::string(verb) + ": " +
                                              sqlite3_errstr(rc) + " (" + sqlite3_errmsg(dest) + ")");
  }
}

void sqlite_backup(SqliteDriver& source, const std::filesystem::path& path, const ProgressFn& progress) {
  const std::filesystem::path partial = partial_path(path);
  std::filesystem::remove(partial);
  SqliteHandle dest;
  if (sqlite3_open_v2(partial.c_str(), &dest.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    throw DatabaseError(ErrorKind::other,
                        "cannot create " + partial.string() + ": " + sqlite3_errmsg(dest.db));
  }
  copy(dest.db, source.handle(), progress, "backup");
  // The copy carries the live file's WAL flag; a rollback-journal file is
  // self-contained (no -wal/-shm beside it when it is read later).
  if (sqlite3_exec(dest.db, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    throw DatabaseError(ErrorKind::other,
                        "cannot finish " + partial.string() + ": " + sqlite3_errmsg(dest.db));
  }
  sqlite3_close_v2(dest.db);
  dest.db = nullptr;
  std::filesystem::rename(partial, path);
}

// immutable_uri names `path` as a read-only file nobody changes meanwhile:
// SQLite then takes no locks and creates no -shm/-wal files beside it.
std::string immutable_uri(const std::filesystem::path& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string uri = "file:";
  for (const char c : std::filesystem::absolute(path).string()) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '/' || c == '.' || c == '_' || c == '-') {
      uri.push_back(c);
    } else {
      uri.push_back('%');
      uri.push_back(kHex[byte >> 4]);
      uri.push_back(kHex[byte & 0xf]);
    }
  }
  return uri + "?immutable=1";
}

void sqlite_restore(SqliteDriver& dest, const std::filesystem::path& path, const ProgressFn& progress) {
  SqliteHandle source;
  const std::string uri = immutable_uri(path);
  if (!std::filesystem::is_regular_file(path) ||
      sqlite3_open_v2(uri.c_str(), &source.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) !=
          SQLITE_OK) {
    throw DatabaseError(ErrorKind::other, "cannot open backup " + path.string());
  }
  // Refuse a damaged or foreign file before touching the live database.
  sqlite3_stmt* check = nullptr;
  std::string verdict;
  if (sqlite3_prepare_v2(source.db, "PRAGMA quick_check", -1, &check, nullptr) == SQLITE_OK &&
      sqlite3_step(check) == SQLITE_ROW) {
    verdict = reinterpret_cast<const char*>(sqlite3_column_text(check, 0));
  }
  sqlite3_finalize(check);
  if (verdict != "ok")
    throw DatabaseError(ErrorKind::other, path.string() + " is not an intact SQLite database");
  copy(dest.handle(), source.db, progress, "restore");
}

// Quote a libpq conninfo value: single quotes, backslash-escaped.
std::string conninfo_quote(std::string_view value) {
  std::string out = "'";
  for (const char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

// ToolTarget is how a PostgreSQL client tool reaches the database: a
// conninfo without the password (it goes to PGPASSWORD) and the password.
struct ToolTarget {
  std::string conninfo;
  std::string password;
};

ToolTarget tool_target(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);
    throw DatabaseError(ErrorKind::other, "DATABASE_URL is not a valid libpq connection URI");
  }
  ToolTarget target;
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string_view key = o->keyword;
    if (key == "password") {
      target.password = o->val;
      continue;
    }
    target.conninfo += (target.conninfo.empty() ? "" : " ") + std::string(key) + "=" + conninfo_quote(o->val);
  }
  PQconninfoFree(options);
  return target;
}

// run_tool runs a client tool with PGPASSWORD set, streaming its stderr to
// `progress`; throws with the tool's last lines when it fails.
void run_tool(const std::vector<std::string>& argv, const std::string& password, const ProgressFn& progress) {
  std::vector<std::string> env;
  std::size_t inherited = 0;
  while (environ[inherited] != nullptr) ++inherited;
  env.reserve(inherited + 1);
  for (char** e = environ; *e != nullptr; ++e) {
    if (!std::string_view(*e).starts_with("PGPASSWORD=")) env.emplace_back(*e);
  }
  if (!password.empty()) env.push_back("PGPASSWORD=" + password);
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  argp.reserve(args.size() + 1);
  for (std::string& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, argp[0], &actions, nullptr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    throw DatabaseError(ErrorKind::other, argv[0] + ": cannot run (" +
                                              std::generic_category().message(spawned) +
                                              "); install Debian's postgresql-client");
  }
  std::deque<std::string> tail;
  std::string pending;
  char buffer[4096];
  auto emit = [&](std::string line) {
    if (!password.empty()) {
      for (auto at = line.find(password); at != std::string::npos; at = line.find(password, at + 3)) {
        line.replace(at, password.size(), "***");
      }
    }
    if (progress) progress(line);
    tail.push_back(std::move(line));
    if (tail.size() > kKeptToolLines) tail.pop_front();
  };
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buffer, static_cast<std::size_t>(n));
    for (auto eol = pending.find('\n'); eol != std::string::npos; eol = pending.find('\n')) {
      emit(pending.substr(0, eol));
      pending.erase(0, eol + 1);
    }
  }
  if (!pending.empty()) emit(pending);
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string last;
    for (const std::string& line : tail) {
      if (line.find("error") != std::string::npos || line.find("FATAL") != std::string::npos) last = line;
    }
    if (last.empty() && !tail.empty()) last = tail.back();
    throw DatabaseError(ErrorKind::other, argv[0] + " failed: " + last);
  }
}

}  // namespace

void backup_database(Database& db, const std::filesystem::path& path, const ProgressFn& progress) {
  Connection connection = db.acquire();  // unavailable fails here, before any file is touched
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  Driver& driver = driver_of(connection);
  if (driver.dialect() == Dialect::sqlite) {
    sqlite_backup(static_cast<SqliteDriver&>(driver), path, progress);
    return;
  }
  connection.ping();
  const ToolTarget target = tool_target(db.url());
  const std::filesystem::path partial = partial_path(path);
  std::filesystem::remove(partial);
  run_tool({"pg_dump", "--format=custom", "--no-password", "--verbose", "--file=" + partial.string(),
            "--dbname=" + target.conninfo},
           target.password, progress);
  std::filesystem::rename(partial, path);
}

void restore_database(Database& db, const std::filesystem::path& path, const ProgressFn& progress) {
  if (!std::filesystem::is_regular_file(path)) {
    throw DatabaseError(ErrorKind::other, "no backup file at " + path.string());
  }
  Connection connection = db.acquire();
  Driver& driver = driver_of(connection);
  if (driver.dialect() == Dialect::sqlite) {
    sqlite_restore(static_cast<SqliteDriver&>(driver), path, progress);
    return;
  }
  connection.ping();
  const ToolTarget target = tool_target(db.url());
  run_tool({"pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
            "--no-password", "--verbose", "--dbname=" + target.conninfo, path.string()},
           target.password, progress);
}

}  // namespace keel::db
