#include "service/auth/oauth.hpp"

#include <algorithm>
#include <array>

#include <boost/json.hpp>

namespace service::auth {
namespace {

using keel::errors::ErrorCode;

// kUserScopes are what every active account may hold, in canonical order.
constexpr std::array<std::string_view, 3> kUserScopes{"profile", "items:read", "items:write"};
constexpr std::string_view kAdminScope = "admin";

bool may_hold(std::string_view scope, bool is_superuser) {
  if (scope == kAdminScope) return is_superuser;
  return std::find(kUserScopes.begin(), kUserScopes.end(), scope) != kUserScopes.end();
}

std::vector<std::string> all_for(bool is_superuser) {
  std::vector<std::string> out(kUserScopes.begin(), kUserScopes.end());
  if (is_superuser) out.emplace_back(kAdminScope);
  return out;
}

// canonical orders and deduplicates scopes as kUserScopes then admin.
std::vector<std::string> canonical(const std::vector<std::string>& scopes) {
  std::vector<std::string> out;
  for (const auto& scope : all_for(true)) {
    if (std::find(scopes.begin(), scopes.end(), scope) != scopes.end()) out.push_back(scope);
  }
  return out;
}

}  // namespace

keel::errors::ApiError oauth_error(ErrorCode code, std::string description) {
  keel::errors::ApiError error(code, description);
  error.with_member("error", boost::json::serialize(boost::json::value(keel::errors::info(code).name)));
  error.with_member("error_description", boost::json::serialize(boost::json::value(description)));
  return error;
}

std::vector<std::string> split_scope(std::string_view scope) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < scope.size()) {
    const auto end = std::min(scope.find(' ', at), scope.size());
    if (end > at) out.emplace_back(scope.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

std::string join_scope(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& scope : scopes) {
    if (!out.empty()) out += ' ';
    out += scope;
  }
  return out;
}

std::vector<std::string> grant_scopes(bool is_superuser, std::string_view requested) {
  const auto wanted = split_scope(requested);
  if (wanted.empty()) return all_for(is_superuser);
  for (const auto& scope : wanted) {
    if (!may_hold(scope, is_superuser)) {
      throw oauth_error(ErrorCode::invalid_scope,
                        "A requested scope is unknown or not available to this account.");
    }
  }
  return canonical(wanted);
}

std::vector<std::string> narrow_scopes(const std::vector<std::string>& granted, bool is_superuser,
                                       std::string_view requested) {
  auto wanted = split_scope(requested);
  if (wanted.empty()) wanted = granted;
  std::vector<std::string> out;
  for (const auto& scope : wanted) {
    if (std::find(granted.begin(), granted.end(), scope) == granted.end()) {
      throw oauth_error(ErrorCode::invalid_scope,
                        "A requested scope exceeds the scope of the refresh token.");
    }
    // An account that lost superuser since sign-in silently loses admin.
    if (may_hold(scope, is_superuser)) out.push_back(scope);
  }
  return canonical(out);
}

}  // namespace service::auth
