#include "service/auth/one_time_tokens.hpp"

#include "keel/security/access_token.hpp"
#include "keel/security/digest.hpp"
#include "keel/security/random.hpp"
#include "service/users/identity_sql.hpp"
#include "service/users/user_repository.hpp"

namespace service::auth {
namespace {

namespace sql = users::sql;

std::string_view name_of(TokenPurpose purpose) {
  return purpose == TokenPurpose::password_reset ? "password_reset" : "verify_email";
}

}  // namespace

std::string issue_one_time_token(keel::db::Connection& connection, std::string_view user_id,
                                 TokenPurpose purpose, std::chrono::seconds ttl,
                                 const std::optional<std::string>& new_email) {
  retire_one_time_tokens(connection, user_id, purpose);
  auto token = keel::security::random_token(32);
  const auto now = keel::security::unix_now();
  connection.execute(sql::kInsertOneTimeToken,
                     {keel::security::uuid_v7(), user_id, name_of(purpose), keel::security::sha256_hex(token),
                      new_email, users::utc_from_unix(now + ttl.count()), users::utc_now()});
  return token;
}

std::optional<RedeemedToken> peek_one_time_token(keel::db::Connection& connection, std::string_view token,
                                                 TokenPurpose purpose) {
  const auto row = connection.execute(sql::kOneTimeTokenByHash, {keel::security::sha256_hex(token)}).first();
  if (!row || row->get<std::string>("purpose") != name_of(purpose)) return std::nullopt;
  if (!row->is_null(row->index_of("used_at")) || row->get<std::string>("expires_at") <= users::utc_now()) {
    return std::nullopt;
  }
  return RedeemedToken{row->get<std::string>("id"), row->get<std::string>("user_id"),
                       row->get<std::optional<std::string>>("new_email")};
}

std::optional<RedeemedToken> redeem_one_time_token(keel::db::Connection& connection, std::string_view token,
                                                   TokenPurpose purpose) {
  auto found = peek_one_time_token(connection, token, purpose);
  // The update re-checks used_at, so of two concurrent redemptions one wins.
  if (!found ||
      connection.execute(sql::kMarkOneTimeTokenUsed, {found->id, users::utc_now()}).affected_rows() != 1) {
    return std::nullopt;
  }
  return found;
}

void retire_one_time_tokens(keel::db::Connection& connection, std::string_view user_id,
                            TokenPurpose purpose) {
  connection.execute(sql::kRetireOneTimeTokens, {user_id, name_of(purpose), users::utc_now()});
}

}  // namespace service::auth
