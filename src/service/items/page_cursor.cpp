#include "service/items/page_cursor.hpp"

#include <string>

#include "keel/security/constant_time.hpp"
#include "keel/security/digest.hpp"

namespace service::items {

// A cursor is base64url(position) "." base64url(tag).

PageCursors::PageCursors(std::string_view secret_key, std::string_view purpose)
    : mac_(keel::security::hmac_sha256(secret_key, "keel.page-cursor." + std::string(purpose))) {}

std::string PageCursors::seal(std::string_view position, std::string_view binding) const {
  return keel::security::base64url_encode(position) + "." +
         keel::security::base64url_encode(tag(position, binding));
}

std::optional<std::string> PageCursors::open(std::string_view cursor, std::string_view binding) const {
  const auto dot = cursor.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string position;
  std::string presented_tag;
  if (!keel::security::base64url_decode(cursor.substr(0, dot), position) ||
      !keel::security::base64url_decode(cursor.substr(dot + 1), presented_tag) ||
      !keel::security::constant_time_equal(presented_tag, tag(position, binding))) {
    return std::nullopt;
  }
  return position;
}

std::string PageCursors::tag(std::string_view position, std::string_view binding) const {
  // The binding's length first, so no (binding, position) pair reads as another.
  const auto mac = mac_.sign(std::to_string(binding.size()) + ":" + std::string(binding) + std::string(position));
  return {mac.data(), mac.size()};
}

}  // namespace service::items
