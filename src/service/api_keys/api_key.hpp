// service/api_keys/api_key.hpp — API keys: the models, and the plain functions behind the routes.
//
// A key is "keel_<prefix>_<secret>": the prefix (10 hex characters) finds
// the row, the secret is 32 random bytes; only the SHA-256 of the whole key
// is stored, so the key is shown once, at creation. A key's scopes are a
// subset of what its owner may have; `admin` only for superusers.
//
//   auto created = service::api_keys::create_key(connection, user, input, keel::audit::now_timestamp());
//   auto keys = service::api_keys::list_keys(connection, user.id);
//   bool gone = service::api_keys::delete_key(connection, user.id, key_id);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/db/connection.hpp"
#include "keel/model/model.hpp"
#include "service/users/user_repository.hpp"

namespace service::api_keys {

// kMaxKeysPerUser bounds how many keys one account may hold (409 beyond).
inline constexpr std::int64_t kMaxKeysPerUser = 100;

// ApiKeyCreate is POST /api-keys' body.
struct ApiKeyCreate {
  std::string name;
  std::vector<std::string> scopes;
  std::optional<std::int64_t> expires_in_days;

  static constexpr std::string_view kModelName = "ApiKeyCreate";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("name", &ApiKeyCreate::name, m::length(1, 100), m::describe("What the key is for"),
            m::example("CI deploy"));
    v.field("scopes", &ApiKeyCreate::scopes, m::items(1, 4),
            m::each(m::one_of({"profile", "items:read", "items:write", "admin"})),
            m::describe("What the key may do; `admin` only for superusers (else 400 invalid_scope)"));
    v.field("expires_in_days", &ApiKeyCreate::expires_in_days, m::range(1, 3650),
            m::describe("Days until the key stops working; absent or null: never"));
  }
};

// ApiKey is a key's metadata, as listed (never the key or its hash).
struct ApiKey {
  std::string id;
  std::string name;
  std::string prefix;
  std::vector<std::string> scopes;
  std::optional<std::string> expires_at;
  std::string created_at;
  std::optional<std::string> last_used_at;

  static constexpr std::string_view kModelName = "ApiKey";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("id", &ApiKey::id, m::read_only(), m::describe("Opaque identifier (UUIDv7)"));
    v.field("name", &ApiKey::name, m::describe("What the key is for"));
    v.field("prefix", &ApiKey::prefix, m::describe("The key's public part, to recognise it: keel_<prefix>_…"));
    v.field("scopes", &ApiKey::scopes, m::describe("What the key may do"));
    v.field("expires_at", &ApiKey::expires_at, m::describe("ISO 8601 UTC; null: never"));
    v.field("created_at", &ApiKey::created_at, m::describe("ISO 8601 UTC"));
    v.field("last_used_at", &ApiKey::last_used_at,
            m::describe("ISO 8601 UTC of the latest use (updated at most once a minute); null: never used"));
  }
};

// CreatedApiKey is POST /api-keys' answer: the metadata and, this once, the key.
struct CreatedApiKey : ApiKey {
  std::string key;

  static constexpr std::string_view kModelName = "CreatedApiKey";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    ApiKey::fields(v);
    v.field("key", &CreatedApiKey::key,
            m::describe("The key itself, for the X-API-Key header. Shown only in this response: store it now"),
            m::example("keel_3f9a1c07b2_q8cY3dJ0kR2vW6xZ1aB4nM7pL9sT5uE2hG8fD0jK3wQ"));
  }
};

// ApiKeyList is GET /api-keys' answer.
struct ApiKeyList {
  std::vector<ApiKey> items;

  static constexpr std::string_view kModelName = "ApiKeyList";
  template <class V>
  static void fields(V& v) {
    v.field("items", &ApiKeyList::items, keel::model::describe("The caller's keys, oldest first"));
  }
};

// allowed_scopes is what an account may be granted now.
std::vector<std::string> allowed_scopes(bool is_superuser);

// create_key stores a new key for `owner` (throws ApiError invalid_scope /
// conflict); `now` is the stored-form creation time.
CreatedApiKey create_key(keel::db::Connection& connection, const users::User& owner, const ApiKeyCreate& input,
                         std::string_view now);
// list_keys returns the metadata of `user_id`'s keys, oldest first.
std::vector<ApiKey> list_keys(keel::db::Connection& connection, std::string_view user_id);
// delete_key deletes the key if it is `user_id`'s; false when there is no such key of theirs.
bool delete_key(keel::db::Connection& connection, std::string_view user_id, std::string_view key_id);

// split_scopes reads the stored space-separated scope list.
std::vector<std::string> split_scopes(std::string_view stored);

}  // namespace service::api_keys
