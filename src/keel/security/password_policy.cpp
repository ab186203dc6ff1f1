#include "keel/security/password_policy.hpp"

#include <zxcvbn.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace keel::security {
namespace {

// code_points counts UTF-8 lead bytes: NIST's length rule is about characters, not bytes.
std::size_t code_points(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(
      text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U; }));
}

// ascii_lower folds A–Z only; zxcvbn's dictionaries are lower-case ASCII anyway.
std::string ascii_lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return lower;
}

// user_words is what zxcvbn should treat as trivially guessable for this account.
std::vector<std::string> user_words(const PasswordOwner& owner) {
  std::vector<std::string> words;
  const auto at = owner.email.rfind('@');
  const auto local = owner.email.substr(0, at);
  if (!local.empty()) words.push_back(ascii_lower(local));
  if (at != std::string_view::npos) {
    const auto domain = owner.email.substr(at + 1);
    const auto label = domain.substr(0, domain.find('.'));
    if (!label.empty()) words.push_back(ascii_lower(label));
  }
  std::string_view name = owner.full_name;
  while (!name.empty()) {
    const auto start = name.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos) break;
    name.remove_prefix(start);
    const auto word = name.substr(0, name.find_first_of(" \t\r\n"));
    if (code_points(word) >= 2) words.push_back(ascii_lower(word));
    name.remove_prefix(word.size());
  }
  return words;
}

PasswordVerdict refuse(std::string type, std::string message) {
  return {.ok = false, .type = std::move(type), .message = std::move(message)};
}

}  // namespace

PasswordVerdict check_password(std::string_view password, const PasswordOwner& owner,
                               const PasswordPolicy& policy) {
  const std::size_t length = code_points(password);
  if (length < policy.min_length) {
    return refuse("password_too_short",
                  "Password must be at least " + std::to_string(policy.min_length) + " characters.");
  }
  if (length > policy.max_length) {
    return refuse("password_too_long",
                  "Password must be at most " + std::to_string(policy.max_length) + " characters.");
  }
  // Short local parts ("al", "x") occur inside too many ordinary passphrases to ban.
  const auto local = owner.email.substr(0, owner.email.rfind('@'));
  if (code_points(local) >= 3 && ascii_lower(password).find(ascii_lower(local)) != std::string::npos) {
    return refuse("password_contains_email", "Password must not contain your email address.");
  }
  const auto words = user_words(owner);
  std::vector<const char*> dictionary;
  dictionary.reserve(words.size() + 1);
  for (const auto& word : words) dictionary.push_back(word.c_str());
  dictionary.push_back(nullptr);
  // ZxcvbnMatch needs a NUL-terminated copy; the dictionary is compiled into libzxcvbn (no init).
  const std::string terminated(password);
  const double entropy_bits = ZxcvbnMatch(terminated.c_str(), dictionary.data(), nullptr);
  if (entropy_bits < policy.min_entropy_bits) {
    return refuse("password_too_weak", "Password is too easy to guess; add more words.");
  }
  return {};
}

}  // namespace keel::security
