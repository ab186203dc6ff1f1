#include "service/api_keys/authenticate.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "keel/audit/timestamp.hpp"
#include "keel/security/constant_time.hpp"
#include "keel/security/digest.hpp"
#include "service/api_keys/api_key.hpp"
#include "service/api_keys/api_keys_sql.hpp"

namespace service::api_keys {
namespace {

// kMaxKeyLength is far above a real key's 59 characters; longer input is refused unread.
constexpr std::size_t kMaxKeyLength = 128;
// kTouchInterval is how stale last_used_at may get before a use rewrites it.
constexpr std::chrono::seconds kTouchInterval{60};

// prefix_of returns the <prefix> of "keel_<prefix>_<secret>", or "" when the shape is wrong.
std::string_view prefix_of(std::string_view key) {
  constexpr std::string_view kScheme = "keel_";
  if (key.size() > kMaxKeyLength || !key.starts_with(kScheme)) return {};
  const std::string_view rest = key.substr(kScheme.size());
  const auto bar = rest.find('_');
  if (bar == std::string_view::npos || bar < 8 || bar > 12 || bar + 1 == rest.size()) return {};
  const std::string_view prefix = rest.substr(0, bar);
  if (!std::all_of(prefix.begin(), prefix.end(), [](unsigned char c) { return std::isalnum(c) != 0; })) return {};
  return prefix;
}

std::int64_t unix_seconds(const std::optional<std::string>& stored) {
  if (!stored) return 0;
  const auto point = keel::audit::to_time_point(*stored);
  return point ? std::chrono::duration_cast<std::chrono::seconds>(point->time_since_epoch()).count() : 0;
}

}  // namespace

std::optional<keel::http::Principal> resolve_api_key(keel::db::Database& database, std::string_view presented) {
  const std::string_view prefix = prefix_of(presented);
  if (prefix.empty()) return std::nullopt;
  const std::string digest = keel::security::sha256_hex(presented);
  auto connection = database.acquire();
  const auto row = connection.execute(sql::kKeyByPrefix, {prefix}).first();
  if (!row || !keel::security::constant_time_equal(digest, row->get<std::string>("key_hash"))) return std::nullopt;

  const auto now_point = std::chrono::system_clock::now();
  const std::string now = keel::audit::format_timestamp(now_point);
  const auto expires_at = row->get<std::optional<std::string>>("expires_at");
  if (expires_at && *expires_at <= now) return std::nullopt;
  if (!row->get<bool>("is_active")) return std::nullopt;

  keel::http::Principal principal;
  principal.subject = row->get<std::string>("user_id");
  principal.credential = keel::http::Principal::Credential::api_key;
  principal.token_id = row->get<std::string>("id");
  principal.expires_at = unix_seconds(expires_at);
  const auto allowed = allowed_scopes(row->get<bool>("is_superuser"));
  for (auto& scope : split_scopes(row->get<std::string>("scopes"))) {
    if (std::find(allowed.begin(), allowed.end(), scope) != allowed.end()) principal.scopes.push_back(std::move(scope));
  }

  const auto last_used = row->get<std::optional<std::string>>("last_used_at");
  const std::string stale_before = keel::audit::format_timestamp(now_point - kTouchInterval);
  if (!last_used || *last_used < stale_before) {
    connection.execute(sql::kTouchKey, {principal.token_id, now, stale_before});
  }
  return principal;
}

}  // namespace service::api_keys
