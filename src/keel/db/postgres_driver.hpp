// keel/db/postgres_driver.hpp — the PostgreSQL driver over libpq (internal to keel::db).
//
// The URL goes to libpq unchanged, so every libpq option in it (sslmode,
// sslrootcert, several hosts, target_session_attrs…) is honoured. Keel adds
// defaults the URL may override: connect_timeout from DATABASE_TIMEOUT_MS and
// application_name=keel. Each connection then sets statement_timeout to
// DATABASE_TIMEOUT_MS and TimeZone to UTC.
//
// Every round trip uses libpq's asynchronous calls and poll() with a
// deadline, so a blackholed server costs at most the timeout (plus a short
// grace for the server's own statement_timeout to answer first) instead of
// the kernel's TCP timeout. A connection that timed out or lost its socket is
// marked broken and discarded by the pool.
//
//   auto d = PostgresDriver::connect(url, std::chrono::milliseconds(5000), deadline);
//   d->execute("SELECT $1::int", params, false);
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

#include "keel/db/driver.hpp"

namespace keel::db {

// PostgresDriver is one libpq connection with its prepared-statement cache.
class PostgresDriver final : public Driver {
 public:
  // connect opens a connection, giving up at `deadline`; throws DatabaseError(unavailable).
  static std::unique_ptr<PostgresDriver> connect(const std::string& url, std::chrono::milliseconds timeout,
                                                 Clock::time_point deadline);
  ~PostgresDriver() override;

  Dialect dialect() const override { return Dialect::postgresql; }
  Result execute(std::string_view sql, std::span<const Param> params, bool cacheable) override;
  void execute_script(std::string_view sql) override;
  std::vector<std::string> explain(std::string_view sql) override;
  bool alive() override;
  bool in_transaction() const override;
  bool transaction_failed() const override { return PQtransactionStatus(conn_) == PQTRANS_INERROR; }
  void set_statement_timeout(std::chrono::milliseconds timeout) override;
  void mark_broken() override { broken_ = true; }

 private:
  struct Prepared {
    std::string name;
    int parameters = 0;
  };
  using OwnedResult = std::unique_ptr<PGresult, decltype(&PQclear)>;

  PostgresDriver(PGconn* conn, std::string password, std::chrono::milliseconds timeout);
  // wait collects the results of the command just sent; returns the last one
  // (or the first error). Throws on timeout or a lost connection.
  OwnedResult wait();
  // send_and_wait binds `params` and runs `sql` (prepared once when cacheable).
  OwnedResult send_and_wait(std::string_view sql, std::span<const Param> params, bool cacheable);
  // check throws the DatabaseError of a failed result.
  void check(const PGresult* result, std::string_view context);
  [[noreturn]] void fail_connection(std::string_view context);
  std::string scrub(std::string text) const;
  void ensure_usable() const;
  const Prepared& prepare_cached(std::string_view sql);

  PGconn* conn_;
  std::string password_;  // only to scrub it out of libpq's messages
  std::chrono::milliseconds statement_timeout_;
  bool broken_ = false;
  int next_statement_ = 0;
  std::unordered_map<const char*, Prepared> cache_;  // keyed by the static Sql text
};

}  // namespace keel::db
