// service/auth/oauth.hpp — OAuth2 vocabulary of the token endpoint: errors and scopes.
//
// Token endpoint failures are problem+json documents that also carry RFC
// 6749 §5.2's `error` and `error_description`, so both generic OAuth2 clients
// and problem-aware clients understand them. Scopes (SPEC §5): a user may
// hold profile, items:read, items:write, and a superuser also admin; with no
// `scope` requested, a token gets everything its owner may hold.
//
//   throw oauth_error(ErrorCode::invalid_grant, "Incorrect email or password.");
//   auto scopes = grant_scopes(user.is_superuser, form_scope);   // throws invalid_scope
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "keel/errors/api_error.hpp"

namespace service::auth {

// oauth_error builds a 400 problem with the RFC 6749 members (`code` is an OAuth2 error code).
keel::errors::ApiError oauth_error(keel::errors::ErrorCode code, std::string description);

// split_scope splits a space-separated scope string (empty → empty list).
std::vector<std::string> split_scope(std::string_view scope);
// join_scope joins scopes with single spaces.
std::string join_scope(const std::vector<std::string>& scopes);

// grant_scopes returns the scopes a new token gets: `requested` (validated) or,
// when empty, all the account may hold; throws invalid_scope for a scope that
// is unknown or not the account's.
std::vector<std::string> grant_scopes(bool is_superuser, std::string_view requested);
// narrow_scopes returns `requested` when it is a subset of `granted` (all of
// `granted` when empty), minus what the account may no longer hold; throws invalid_scope.
std::vector<std::string> narrow_scopes(const std::vector<std::string>& granted, bool is_superuser,
                                       std::string_view requested);

}  // namespace service::auth
