#include "keel/db/postgres_driver.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "keel/db/error.hpp"
#include "keel/db/sql_text.hpp"

namespace keel::db {
namespace {

// The server's statement_timeout should answer first; the client-side
// deadline only catches a server that stopped answering altogether.
constexpr std::chrono::milliseconds kClientGrace{1000};

// PostgreSQL type OIDs (pg_type.dat) that map to something other than text.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;

// wait_socket waits until `fd` is ready for `events`; false when `deadline` passed first.
bool wait_socket(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    int timeout_ms = -1;
    if (deadline != Clock::time_point::max()) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      timeout_ms = static_cast<int>(std::min<long long>(left, 1 << 30));
    }
    pollfd pfd{fd, events, 0};
    const int n = ::poll(&pfd, 1, timeout_ms);
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // let libpq report the socket error
  }
}

bool is_error(const PGresult* r) {
  const ExecStatusType s = PQresultStatus(r);
  return s == PGRES_FATAL_ERROR || s == PGRES_BAD_RESPONSE || s == PGRES_NONFATAL_ERROR;
}

std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\t', ' ');
  return text;
}

Blob decode_bytea(const char* text, std::size_t length) {
  // bytea_output=hex (the default since 9.0): "\x" then two hex digits per byte.
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 0;
  };
  Blob out;
  if (length >= 2 && text[0] == '\\' && text[1] == 'x') {
    out.reserve((length - 2) / 2);
    for (std::size_t i = 2; i + 1 < length; i += 2) {
      out.push_back(static_cast<std::uint8_t>(hex(text[i]) * 16 + hex(text[i + 1])));
    }
  }
  return out;
}

Value decode_cell(Oid type, const char* text, std::size_t length) {
  switch (type) {
    case kBoolOid: return Value(length > 0 && text[0] == 't');
    case kInt8Oid:
    case kInt2Oid:
    case kInt4Oid:
    case kOidOid: {
      std::int64_t n = 0;
      std::from_chars(text, text + length, n);
      return Value(n);
    }
    case kFloat4Oid:
    case kFloat8Oid: return Value(std::strtod(text, nullptr));  // also reads NaN and Infinity
    case kByteaOid: return Value(decode_bytea(text, length));
    default: return Value(std::string(text, length));
  }
}

std::string encode_double(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, d);
  return {buffer, ec == std::errc() ? end : buffer};
}

ErrorKind kind_of(std::string_view sqlstate) {
  if (sqlstate == "23505") return ErrorKind::constraint_unique;
  if (sqlstate == "23503") return ErrorKind::constraint_foreign_key;
  if (sqlstate.starts_with("23")) return ErrorKind::constraint_other;
  // query_canceled (statement_timeout), serialization failure, deadlock, lock_not_available.
  if (sqlstate == "57014" || sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03")
    return ErrorKind::timeout;
  // admin/crash shutdown, cannot_connect_now, too_many_connections, connection exceptions.
  if (sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03" || sqlstate == "53300") {
    return ErrorKind::unavailable;
  }
  if (sqlstate.starts_with("08") && sqlstate != "08P01") return ErrorKind::unavailable;
  return ErrorKind::other;
}

}  // namespace

PostgresDriver::PostgresDriver(PGconn* conn, std::string password, std::chrono::milliseconds timeout)
    : conn_(conn), password_(std::move(password)), statement_timeout_(timeout) {}

PostgresDriver::~PostgresDriver() {
  if (conn_ != nullptr) PQfinish(conn_);
}

std::unique_ptr<PostgresDriver> PostgresDriver::connect(const std::string& url,
                                                        std::chrono::milliseconds timeout,
                                                        Clock::time_point deadline) {
  // The password is only kept to scrub it out of any libpq message.
  std::string password;
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &parse_error);
  if (options == nullptr) {
    // libpq's message may quote a piece of the URL, so it is not repeated.
    PQfreemem(parse_error);
    throw DatabaseError(ErrorKind::unavailable,
                        "PostgreSQL: the database URL is not a valid libpq connection URI");
  }
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) == "password" && o->val != nullptr) password = o->val;
  }
  PQconninfoFree(options);

  // Defaults first: keywords from the URL (expanded from "dbname") override them.
  const std::string connect_timeout = std::to_string(std::max<long long>(2, (timeout.count() + 999) / 1000));
  const char* keys[] = {"connect_timeout",     "application_name", "keepalives", "keepalives_idle",
                        "keepalives_interval", "keepalives_count", "dbname",     nullptr};
  const char* values[] = {connect_timeout.c_str(), "keel", "1", "30", "10", "3", url.c_str(), nullptr};
  PGconn* conn = PQconnectStartParams(keys, values, 1);
  if (conn == nullptr) throw DatabaseError(ErrorKind::unavailable, "PostgreSQL: out of memory");
  std::unique_ptr<PostgresDriver> driver(new PostgresDriver(conn, std::move(password), timeout));
  if (PQstatus(conn) == CONNECTION_BAD) driver->fail_connection("cannot connect");
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED) driver->fail_connection("cannot connect");
    const short events = state == PGRES_POLLING_READING ? POLLIN : POLLOUT;
    if (!wait_socket(PQsocket(conn), events, deadline)) {
      throw DatabaseError(ErrorKind::unavailable, "PostgreSQL: cannot connect: no answer before the " +
                                                      std::to_string(timeout.count()) + " ms deadline");
    }
    state = PQconnectPoll(conn);
  }
  // NOTICEs (e.g. "relation already exists, skipping") would go to stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  try {
    driver->execute_script("SET statement_timeout = " + std::to_string(timeout.count()) +
                           "; SET TimeZone = 'UTC'");
  } catch (const DatabaseError& e) {
    throw DatabaseError(ErrorKind::unavailable, e.what());
  }
  return driver;
}

std::string PostgresDriver::scrub(std::string text) const {
  if (password_.empty()) return text;
  for (std::size_t at = text.find(password_); at != std::string::npos; at = text.find(password_, at + 3)) {
    text.replace(at, password_.size(), "***");
  }
  return text;
}

void PostgresDriver::fail_connection(std::string_view context) {
  broken_ = true;
  std::string message = "PostgreSQL: ";
  message.append(context).append(": ").append(scrub(one_line(PQerrorMessage(conn_))));
  throw DatabaseError(ErrorKind::unavailable, message);
}

void PostgresDriver::ensure_usable() const {
  if (broken_) throw DatabaseError(ErrorKind::unavailable, "PostgreSQL: connection lost");
}

PostgresDriver::OwnedResult PostgresDriver::wait() {
  const Clock::time_point deadline = statement_timeout_.count() > 0
                                         ? Clock::now() + statement_timeout_ + kClientGrace
                                         : Clock::time_point::max();
  OwnedResult kept(nullptr, &PQclear);
  for (;;) {
    while (PQisBusy(conn_) != 0) {
      if (!wait_socket(PQsocket(conn_), POLLIN, deadline)) {
        // The server is not answering at all; the connection's state is unknown.
        broken_ = true;
        throw DatabaseError(ErrorKind::timeout,
                            "PostgreSQL: no answer within " +
                                std::to_string((statement_timeout_ + kClientGrace).count()) +
                                " ms; connection dropped");
      }
      if (PQconsumeInput(conn_) == 0) fail_connection("connection lost");
    }
    PGresult* raw = PQgetResult(conn_);
    if (raw == nullptr) break;
    OwnedResult next(raw, &PQclear);
    if (kept && is_error(kept.get())) continue;  // the first error explains the failure
    kept = std::move(next);
  }
  if (PQstatus(conn_) == CONNECTION_BAD) fail_connection("connection lost");
  if (!kept) throw DatabaseError(ErrorKind::other, "PostgreSQL: no result");
  return kept;
}

void PostgresDriver::check(const PGresult* result, std::string_view context) {
  if (!is_error(result)) return;
  const char* state_field = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const std::string sqlstate = state_field != nullptr ? state_field : "";
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  const char* constraint = PQresultErrorField(result, PG_DIAG_CONSTRAINT_NAME);
  const ErrorKind kind = kind_of(sqlstate);
  std::string message = "PostgreSQL: ";
  message.append(context).append(": ");
  if (sqlstate.starts_with("22")) {
    // Data exceptions quote the offending input ("invalid input syntax for type uuid: \"…\"").
    message += "invalid value for a column or parameter";
  } else {
    message += one_line(primary != nullptr ? primary : PQresultErrorMessage(result));
  }
  if (!sqlstate.empty()) message += " [SQLSTATE " + sqlstate + "]";
  if (kind == ErrorKind::unavailable) broken_ = true;
  throw DatabaseError(kind, scrub(message), constraint != nullptr ? constraint : "");
}

const PostgresDriver::Prepared& PostgresDriver::prepare_cached(std::string_view sql) {
  if (const auto it = cache_.find(sql.data()); it != cache_.end()) return it->second;
  Prepared prepared{"keel_" + std::to_string(++next_statement_), highest_placeholder(sql)};
  // Cacheable text is a compile-time Sql: NUL-terminated static storage.
  if (PQsendPrepare(conn_, prepared.name.c_str(), sql.data(), 0, nullptr) == 0) fail_connection("prepare");
  const OwnedResult result = wait();
  check(result.get(), "prepare");
  return cache_.emplace(sql.data(), std::move(prepared)).first->second;
}

PostgresDriver::OwnedResult PostgresDriver::send_and_wait(std::string_view sql, std::span<const Param> params,
                                                          bool cacheable) {
  const Prepared* prepared = cacheable ? &prepare_cached(sql) : nullptr;
  const std::string text = cacheable ? std::string() : std::string(sql);
  const int expected = prepared != nullptr ? prepared->parameters : highest_placeholder(sql);
  if (static_cast<std::size_t>(expected) != params.size()) {
    throw DatabaseError(ErrorKind::other, "statement expects " + std::to_string(expected) +
                                              " bound parameters, got " + std::to_string(params.size()));
  }
  // Text format for everything but bytes; the server infers each parameter's type.
  std::vector<std::string> storage(params.size());
  std::vector<const char*> values(params.size(), nullptr);
  std::vector<int> lengths(params.size(), 0);
  std::vector<int> formats(params.size(), 0);
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Value& v = params[i].value();
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
      storage[i] = std::to_string(*n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      storage[i] = encode_double(*d);
    } else if (const auto* b = std::get_if<bool>(&v)) {
      storage[i] = *b ? "true" : "false";
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      values[i] = s->c_str();
      continue;
    } else if (const auto* blob = std::get_if<Blob>(&v)) {
      values[i] =
          blob->empty() ? "" : reinterpret_cast<const char*>(blob->data());  // "" : non-NULL empty bytea
      lengths[i] = static_cast<int>(blob->size());
      formats[i] = 1;
      continue;
    } else {
      continue;  // NULL
    }
    values[i] = storage[i].c_str();
  }
  const int n = static_cast<int>(params.size());
  const int sent = prepared != nullptr ? PQsendQueryPrepared(conn_, prepared->name.c_str(), n, values.data(),
                                                             lengths.data(), formats.data(), 0)
                                       : PQsendQueryParams(conn_, text.c_str(), n, nullptr, values.data(),
                                                           lengths.data(), formats.data(), 0);
  if (sent == 0) fail_connection("send");
  return wait();
}

Result PostgresDriver::execute(std::string_view sql, std::span<const Param> params, bool cacheable) {
  ensure_usable();
  OwnedResult result = send_and_wait(sql, params, cacheable);
  if (cacheable && is_error(result.get())) {
    // A migration that changed a table's columns invalidates a cached
    // prepared statement for good ("cached plan must not change result
    // type"): forget it and, outside a transaction, run it once more.
    const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
    const char* primary = PQresultErrorField(result.get(), PG_DIAG_MESSAGE_PRIMARY);
    if (state != nullptr && std::string_view(state) == "0A000" && primary != nullptr &&
        std::string_view(primary).starts_with("cached plan must not change result type")) {
      cache_.erase(sql.data());
      if (!in_transaction()) result = send_and_wait(sql, params, cacheable);
    }
  }
  PGresult* r = result.get();
  check(r, "execute");

  const int rows = PQntuples(r);
  const int columns = PQnfields(r);
  auto names = std::make_shared<std::vector<std::string>>();
  names->reserve(static_cast<std::size_t>(columns));
  for (int c = 0; c < columns; ++c) names->emplace_back(PQfname(r, c));
  std::vector<Row> out;
  out.reserve(static_cast<std::size_t>(rows));
  for (int row = 0; row < rows; ++row) {
    std::vector<Value> cells;
    cells.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      if (PQgetisnull(r, row, c) != 0) {
        cells.emplace_back(nullptr);
      } else {
        cells.push_back(decode_cell(PQftype(r, c), PQgetvalue(r, row, c),
                                    static_cast<std::size_t>(PQgetlength(r, row, c))));
      }
    }
    out.emplace_back(names, std::move(cells));
  }
  // Like SQLite, report changed rows only: a SELECT changes none.
  std::int64_t affected = 0;
  if (!std::string_view(PQcmdStatus(r)).starts_with("SELECT")) {
    const std::string_view tuples = PQcmdTuples(r);
    std::from_chars(tuples.data(), tuples.data() + tuples.size(), affected);
  }
  return Result(std::move(out), affected);
}

void PostgresDriver::execute_script(std::string_view sql) {
  ensure_usable();
  const std::string text(sql);
  if (PQsendQuery(conn_, text.c_str()) == 0) fail_connection("send");
  const OwnedResult result = wait();
  check(result.get(), "script");
}

std::vector<std::string> PostgresDriver::explain(std::string_view sql) {
  // A generic plan (parameters unknown, as in production) with sequential
  // scans priced out: a Seq Scan that survives enable_seqscan=off means no
  // index can serve the query, however small the test table is.
  const std::string name = "keel_explain_" + std::to_string(++next_statement_);
  execute_script(
      "BEGIN; SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL enable_seqscan = off; SET LOCAL jit "
      "= off");
  bool prepared = false;
  std::vector<std::string> lines;
  try {
    const std::string text(sql);
    if (PQsendPrepare(conn_, name.c_str(), text.c_str(), 0, nullptr) == 0) fail_connection("prepare");
    check(wait().get(), "explain");
    prepared = true;
    if (PQsendDescribePrepared(conn_, name.c_str()) == 0) fail_connection("describe");
    const OwnedResult described = wait();
    check(described.get(), "explain");
    std::string statement = "EXPLAIN EXECUTE " + name;
    for (int i = 0; i < PQnparams(described.get()); ++i) statement += i == 0 ? "(NULL" : ", NULL";
    if (PQnparams(described.get()) > 0) statement += ")";
    for (const Row& row : execute(statement, {}, false)) lines.push_back(row.get<std::string>(0));
  } catch (const DatabaseError&) {
    if (!broken_) execute_script(prepared ? "ROLLBACK; DEALLOCATE " + name : std::string("ROLLBACK"));
    throw;
  }
  // Prepared statements are not transactional: deallocate after the rollback.
  execute_script("ROLLBACK; DEALLOCATE " + name);
  return lines;
}

bool PostgresDriver::alive() {
  if (broken_ || PQstatus(conn_) != CONNECTION_OK) return false;
  // An idle connection has nothing to read unless the server closed it
  // (restart, idle timeout) or sent a notice: a zero-timeout poll finds out
  // without a round trip.
  pollfd pfd{PQsocket(conn_), POLLIN, 0};
  if (::poll(&pfd, 1, 0) > 0) {
    if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) broken_ = true;
    while (PGnotify* notify = PQnotifies(conn_)) PQfreemem(notify);
  }
  return !broken_;
}

bool PostgresDriver::in_transaction() const {
  const PGTransactionStatusType status = PQtransactionStatus(conn_);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

void PostgresDriver::set_statement_timeout(std::chrono::milliseconds timeout) {
  execute_script("SET statement_timeout = " + std::to_string(timeout.count()));
  statement_timeout_ = timeout;
}

}  // namespace keel::db
