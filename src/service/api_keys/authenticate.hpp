// service/api_keys/authenticate.hpp — X-API-Key → the caller (AuthHooks::resolve_api_key).
//
// The prefix finds the row; the SHA-256 of the presented key is compared
// with the stored digest in constant time. An expired key, or one whose
// owner is inactive or gone, does not authenticate. The principal's scopes
// are the key's scopes that the owner may still have (`admin` only while a
// superuser). A use is recorded in last_used_at at most once a minute.
//
//   app.set_auth_hooks({.resolve_api_key = [&db](std::string_view key) {
//                         return service::api_keys::resolve_api_key(db, key);
//                       },
//                       .is_current = ...});
#pragma once

#include <optional>
#include <string_view>

#include "keel/db/database.hpp"
#include "keel/http/request.hpp"

namespace service::api_keys {

// resolve_api_key returns the principal of a valid key, or std::nullopt. Thread-safe.
std::optional<keel::http::Principal> resolve_api_key(keel::db::Database& database, std::string_view presented);

}  // namespace service::api_keys
