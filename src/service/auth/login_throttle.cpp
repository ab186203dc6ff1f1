#include "service/auth/login_throttle.hpp"

#include <algorithm>

#include "keel/security/digest.hpp"

namespace service::auth {
namespace {

// Keys hold digests only: the store (Redis) never sees an address or an email.
std::string account_key(std::string_view email) { return "acct:" + keel::security::sha256_hex(email); }
std::string address_key(std::string_view ip) { return "addr:" + keel::security::sha256_hex(ip); }

constexpr std::string_view kFailures = "login:fail:";
constexpr std::string_view kLock = "login:lock:";
constexpr std::string_view kLockouts = "login:lockouts:";

std::string key(std::string_view kind, const std::string& subject) { return std::string(kind) + subject; }

}  // namespace

std::optional<std::int64_t> LoginThrottle::locked(std::string_view email, std::string_view client_ip) const {
  std::int64_t wait_ms = 0;
  for (const auto& subject : {account_key(email), address_key(client_ip)}) {
    const auto left = store_.time_to_live(key(kLock, subject));
    if (left && left->count() > 0) wait_ms = std::max<std::int64_t>(wait_ms, left->count());
  }
  if (wait_ms == 0) return std::nullopt;
  return (wait_ms + 999) / 1000;
}

void LoginThrottle::record_failure(std::string_view email, std::string_view client_ip) const {
  count(account_key(email), options_.max_failures);
  count(address_key(client_ip), options_.max_failures * options_.address_factor);
}

void LoginThrottle::count(const std::string& subject, std::int64_t threshold) const {
  const auto failures = store_.increment(key(kFailures, subject), options_.window);
  if (!failures || *failures < threshold) return;
  // Threshold reached: lock, and start counting afresh for after the lockout.
  const auto lockouts = store_.increment(key(kLockouts, subject), std::chrono::hours(24)).value_or(1);
  auto length = options_.lockout;
  for (std::int64_t i = 1; i < lockouts && length < options_.max_lockout; ++i) length *= 2;
  length = std::min(length, options_.max_lockout);
  store_.put(key(kLock, subject), "1", length);
  store_.erase(key(kFailures, subject));
}

void LoginThrottle::record_success(std::string_view email) const {
  store_.erase(key(kFailures, account_key(email)));
}

void LoginThrottle::clear(std::string_view email) const {
  const auto subject = account_key(email);
  store_.erase(key(kFailures, subject));
  store_.erase(key(kLock, subject));
}

}  // namespace service::auth
