// keel/security/password_policy.hpp — NIST SP 800-63B style password rules with zxcvbn.
//
// Length 12–128 code points (any Unicode), no composition rules; refused
// when zxcvbn (libzxcvbn, with the user's own words as extra dictionary)
// estimates fewer than `min_entropy_bits`, or when it contains the email's
// local part.
//
//   auto verdict = check_password(password, {.email = "ann@example.com", .full_name = "Ann Lee"},
//                                 {.min_entropy_bits = 20});
//   if (!verdict.ok) reject(verdict.type, verdict.message);   // e.g. "password_too_weak"
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace keel::security {

// PasswordPolicy is the rule set (SPEC §5, PASSWORD_MIN_ENTROPY_BITS).
struct PasswordPolicy {
  double min_entropy_bits = 20;
  std::size_t min_length = 12;   // Unicode code points
  std::size_t max_length = 128;  // Unicode code points
};

// PasswordOwner is what the estimator learns about the account (user-specific words).
struct PasswordOwner {
  std::string_view email;      // its local part is a banned substring and a dictionary word
  std::string_view full_name;  // split into words for the dictionary
};

// PasswordVerdict explains a refusal in words safe to show the user (never the password).
struct PasswordVerdict {
  bool ok = true;
  std::string
      type;  // "password_too_short", "password_too_long", "password_too_weak", "password_contains_email"
  std::string message;  // human-readable, e.g. "Password is too easy to guess; add more words."
};

// check_password applies `policy` to `password` (valid UTF-8: the JSON parser guarantees it).
PasswordVerdict check_password(std::string_view password, const PasswordOwner& owner,
                               const PasswordPolicy& policy);

}  // namespace keel::security
