// service/auth/login_throttle.hpp — growing lockouts after failed sign-ins (SPEC §5).
//
// Failures are counted per account (SHA-256 of the normalised email, whether
// or not an account exists, so a lockout reveals nothing) and per client
// address, in the app's SharedStore so every replica sees them. After
// LOGIN_MAX_FAILURES failures within the window the account is locked for
// LOGIN_LOCKOUT_SECONDS, doubling with every further lockout of the same
// account within a day, up to an hour. An address gets ten times the
// allowance (many users may sit behind one NAT). A store failure fails open:
// throttling must not lock everybody out when Redis is down.
//
//   LoginThrottle throttle(app.shared_store(), {.max_failures = 5, .lockout = 60s});
//   if (auto wait = throttle.locked(email, ip)) throw rate_limited(*wait);
//   if (!credentials_ok) { throttle.record_failure(email, ip); throw invalid_grant(); }
//   throttle.record_success(email);
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "keel/edge/shared_store.hpp"

namespace service::auth {

// LoginThrottleOptions come from LOGIN_MAX_FAILURES and LOGIN_LOCKOUT_SECONDS.
struct LoginThrottleOptions {
  std::int64_t max_failures = 5;
  std::chrono::seconds lockout{60};
  std::chrono::seconds max_lockout{3600};
  std::chrono::seconds window{900};  // failures older than this are forgotten
  std::int64_t address_factor = 10;  // an address may fail this many times more
};

// LoginThrottle is thread-safe (all state is in the SharedStore).
class LoginThrottle {
 public:
  LoginThrottle(keel::edge::SharedStore& store, LoginThrottleOptions options)
      : store_(store), options_(options) {}

  // locked returns the seconds to wait when the account or the address is locked out.
  std::optional<std::int64_t> locked(std::string_view email, std::string_view client_ip) const;
  // record_failure counts a wrong credential and starts a lockout at the threshold.
  void record_failure(std::string_view email, std::string_view client_ip) const;
  // record_success forgets the account's failures (its lockout history stays, so the next one is longer).
  void record_success(std::string_view email) const;
  // clear forgets the account's failures and lifts its lockout (after a password reset).
  void clear(std::string_view email) const;

 private:
  void count(const std::string& subject, std::int64_t threshold) const;

  keel::edge::SharedStore& store_;
  LoginThrottleOptions options_;
};

}  // namespace service::auth
