#include "keel/db/connection.hpp"

#include <utility>

#include "keel/db/catalog.hpp"
#include "keel/db/driver.hpp"
#include "keel/db/pool_state.hpp"

namespace keel::db {

Connection::Connection(std::unique_ptr<Driver> driver, std::shared_ptr<detail::PoolState> pool)
    : driver_(std::move(driver)), pool_(std::move(pool)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    give_back();
    driver_ = std::move(other.driver_);
    pool_ = std::move(other.pool_);
  }
  return *this;
}

Connection::~Connection() { give_back(); }

void Connection::give_back() noexcept {
  if (driver_ && pool_) pool_->release(std::move(driver_));
  driver_.reset();
  pool_.reset();
}

Dialect Connection::dialect() const { return driver_->dialect(); }

bool Connection::in_transaction() const { return driver_->in_transaction(); }

Result Connection::execute(const Statement& statement, std::initializer_list<Param> params) {
  return run(&statement, statement.sql(driver_->dialect()),
             std::span<const Param>(params.begin(), params.size()));
}

Result Connection::execute(const Statement& statement, std::span<const Param> params) {
  return run(&statement, statement.sql(driver_->dialect()), params);
}

Result Connection::execute(Sql sql, std::initializer_list<Param> params) {
  return run(nullptr, sql, std::span<const Param>(params.begin(), params.size()));
}

Result Connection::execute(Sql sql, std::span<const Param> params) { return run(nullptr, sql, params); }

void Connection::ping() { driver_->execute("SELECT 1", {}, true); }

Result Connection::run(const Statement* statement, Sql sql, std::span<const Param> params) {
  const std::string_view name = statement != nullptr ? statement->name() : std::string_view("sql");
  if (pool_ && pool_->catalog && pool_->catalog->enforced() &&
      (statement == nullptr || !pool_->catalog->contains(statement))) {
    throw DatabaseError(
        ErrorKind::other,
        std::string(name) + ": not in the registered statement catalog (see keel/db/catalog.hpp)");
  }
  const auto started = Clock::now();
  try {
    Result result = driver_->execute(sql.text(), params, /*cacheable=*/true);
    if (pool_) {
      pool_->note_success();
      if (pool_->observer) pool_->observer(QueryEvent{name, Clock::now() - started, std::nullopt});
    }
    return result;
  } catch (const DatabaseError& e) {
    if (pool_ && pool_->observer) pool_->observer(QueryEvent{name, Clock::now() - started, e.kind()});
    if (statement == nullptr) throw;
    throw DatabaseError(e.kind(), std::string(name) + ": " + e.what(), e.constraint());
  }
}

Driver& driver_of(Connection& connection) { return *connection.driver_; }

}  // namespace keel::db
