// keel/security/password_hasher.hpp — Argon2id password hashing on a bounded number of threads.
//
// libsodium's crypto_pwhash_str (Argon2id, PHC string format, salt inside).
// Each hash costs `memory_bytes` of RAM, so at most `max_concurrent` run at
// once: a flood of logins waits (up to `queue_timeout`) instead of
// exhausting memory or every handler thread; past that, HasherBusy (the
// caller answers 503 with Retry-After).
//
//   PasswordHasher hasher({});                       // OWASP-minimum parameters or stronger
//   std::string stored = hasher.hash(password);      // "$argon2id$v=19$m=19456,t=2,p=1$..."
//   auto check = hasher.verify(stored, attempt);
//   if (check.ok && check.needs_rehash) store(hasher.hash(attempt));
//   hasher.verify_dummy(attempt);                    // unknown user: same work, same timing
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace keel::security {

// PasswordHashParameters are Argon2id's costs. Defaults meet OWASP's
// minimum (m = 19 MiB, t = 2, p = 1).
struct PasswordHashParameters {
  unsigned long long operations = 2;      // t (iterations)
  std::size_t memory_bytes = 19U << 20U;  // m
};

// PasswordHasherOptions bound the hasher's concurrency.
struct PasswordHasherOptions {
  PasswordHashParameters parameters{};
  std::size_t max_concurrent = 2;                 // hashes running at once (memory cap = m × this)
  std::chrono::milliseconds queue_timeout{2000};  // longest wait for a slot
};

// HasherBusy is thrown when no hashing slot frees up within queue_timeout.
class HasherBusy : public std::runtime_error {
 public:
  HasherBusy() : std::runtime_error("password hashing is at capacity") {}
};

// PasswordCheck is verify's answer.
struct PasswordCheck {
  bool ok = false;
  bool needs_rehash = false;  // ok, but the stored hash used other parameters than the current ones
};

// PasswordHasher is thread-safe.
class PasswordHasher {
 public:
  // PasswordHasher throws std::invalid_argument for costs outside libsodium's
  // Argon2id limits or max_concurrent == 0.
  explicit PasswordHasher(PasswordHasherOptions options);
  ~PasswordHasher();
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;

  // hash returns a PHC-format Argon2id string; throws HasherBusy, or
  // std::runtime_error if the m bytes cannot be allocated.
  std::string hash(std::string_view password) const;
  // verify checks `password` against `stored` (false for a malformed hash); throws HasherBusy.
  PasswordCheck verify(std::string_view stored, std::string_view password) const;
  // verify_dummy does the work of a verify against a fixed hash (made on first
  // use with the current parameters), so a login for an unknown account takes
  // as long as one for a known account; throws HasherBusy.
  void verify_dummy(std::string_view password) const;

  // options returns the costs and limits this hasher was built with.
  const PasswordHasherOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::security
