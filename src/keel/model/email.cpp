#include "keel/model/email.hpp"

#include <algorithm>
#include <cstddef>

namespace keel::model {
namespace {

constexpr std::size_t kMaxAddress = 254;  // RFC 5321 §4.5.3.1.3 path minus the angle brackets
constexpr std::size_t kMaxLocal = 64;     // RFC 5321 §4.5.3.1.1
constexpr std::size_t kMaxLabel = 63;     // RFC 1035 §2.3.4

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// is_atext is RFC 5322 §3.2.3 `atext`.
bool is_atext(char c) {
  constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  return is_alnum(c) || kSpecials.find(c) != std::string_view::npos;
}

std::string_view local_part_error(std::string_view local) {
  if (local.empty()) return "There must be something before the @-sign.";
  if (local.size() > kMaxLocal) return "The part before the @-sign is too long.";
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return "The part before the @-sign cannot start or end with a period or have two in a row.";
  }
  if (!std::all_of(local.begin(), local.end(), [](char c) { return c == '.' || is_atext(c); })) {
    return "The part before the @-sign contains a character that is not allowed.";
  }
  return {};
}

std::string_view domain_error(std::string_view domain) {
  if (domain.empty()) return "There must be something after the @-sign.";
  if (domain.find('.') == std::string_view::npos) return "The part after the @-sign must contain a period.";
  std::string_view last_label;
  while (true) {
    const std::size_t dot = domain.find('.');
    const std::string_view label = domain.substr(0, dot);
    if (label.empty()) return "The part after the @-sign cannot have an empty label.";
    if (label.size() > kMaxLabel) return "A label after the @-sign is too long.";
    if (label.front() == '-' || label.back() == '-') {
      return "A label after the @-sign cannot start or end with a hyphen.";
    }
    if (!std::all_of(label.begin(), label.end(), [](char c) { return c == '-' || is_alnum(c); })) {
      return "The part after the @-sign contains a character that is not allowed.";
    }
    last_label = label;
    if (dot == std::string_view::npos) break;
    domain.remove_prefix(dot + 1);
  }
  if (std::all_of(last_label.begin(), last_label.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return "The part after the @-sign is not a valid domain name.";
  }
  return {};
}

}  // namespace

std::string_view email_error(std::string_view address) {
  if (address.size() > kMaxAddress) return "The email address is too long.";
  const std::size_t at = address.find('@');
  if (at == std::string_view::npos || address.find('@', at + 1) != std::string_view::npos) {
    return "An email address must have exactly one @-sign.";
  }
  if (auto why = local_part_error(address.substr(0, at)); !why.empty()) return why;
  return domain_error(address.substr(at + 1));
}

}  // namespace keel::model
