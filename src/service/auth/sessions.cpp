#include "service/auth/sessions.hpp"

#include "keel/db/transaction.hpp"
#include "keel/errors/api_error.hpp"
#include "keel/security/access_token.hpp"
#include "keel/security/digest.hpp"
#include "keel/security/random.hpp"
#include "service/auth/oauth.hpp"
#include "service/users/identity_sql.hpp"

namespace service::auth {
namespace {

namespace sql = users::sql;
using keel::errors::ErrorCode;

// kRefreshTokenBytes: 256 random bits, so a fast digest is a safe lookup key.
constexpr std::size_t kRefreshTokenBytes = 32;

keel::errors::ApiError bad_refresh_token() {
  return oauth_error(ErrorCode::invalid_grant, "The refresh token is invalid, expired or revoked.");
}

}  // namespace

bool is_current(keel::db::Database& database, const keel::http::Principal& principal) {
  // The primary, not a replica: a revocation must take effect at once.
  auto connection = database.acquire();
  const auto row = connection.execute(sql::kUserIsCurrent, {principal.subject, principal.session_id}).first();
  if (!row || !row->get<bool>("is_active")) return false;
  if (principal.session_id.empty()) return true;
  // The session must exist, belong to this user (the join's condition) and stand.
  return !row->is_null(row->index_of("family_id")) && row->is_null(row->index_of("revoked_at"));
}

TokenResponse SessionService::issue(keel::db::Connection& connection, std::string_view refresh_id,
                                    std::string_view user_id, std::string_view family_id,
                                    const std::vector<std::string>& scopes) const {
  const auto now = keel::security::unix_now();
  const auto& codec = app_.access_tokens();
  TokenResponse response;
  response.access_token = codec.issue(user_id, scopes, family_id, now).token;
  response.expires_in = codec.config().ttl.count();
  response.refresh_token = keel::security::random_token(kRefreshTokenBytes);
  response.scope = join_scope(scopes);
  connection.execute(
      sql::kInsertRefreshToken,
      {refresh_id, family_id, user_id, keel::security::sha256_hex(response.refresh_token), response.scope,
       users::utc_from_unix(now + app_.settings().refresh_token_ttl), users::utc_now()});
  return response;
}

TokenResponse SessionService::start(const users::User& user, const std::vector<std::string>& scopes,
                                    const ClientInfo& client) const {
  return database_.in_transaction([&](keel::db::Connection& connection) {
    const auto family_id = keel::security::uuid_v7();
    connection.execute(sql::kInsertSession,
                       {family_id, user.id, users::utc_now(), client.ip, client.user_agent});
    return issue(connection, keel::security::uuid_v7(), user.id, family_id, scopes);
  });
}

TokenResponse SessionService::refresh(std::string_view refresh_token,
                                      std::string_view requested_scope) const {
  enum class Outcome { issued, reused };
  TokenResponse response;
  std::string family_id;
  std::string user_id;
  const Outcome outcome = database_.in_transaction([&](keel::db::Connection& connection) {
    const auto row =
        connection.execute(sql::kRefreshTokenByHash, {keel::security::sha256_hex(refresh_token)}).first();
    if (!row || !row->is_null(row->index_of("family_revoked_at"))) throw bad_refresh_token();
    family_id = row->get<std::string>("family_id");
    user_id = row->get<std::string>("user_id");
    const auto now = users::utc_now();
    // Theft detection: a used token is presented again. The revocation must
    // commit, so it is reported after the transaction rather than thrown here.
    if (!row->is_null(row->index_of("used_at"))) {
      connection.execute(sql::kRevokeSession, {family_id, user_id, now});
      return Outcome::reused;
    }
    if (row->get<std::string>("expires_at") <= now) throw bad_refresh_token();
    const auto user = users::find_user_by_id(connection, user_id);
    if (!user || !user->is_active) throw bad_refresh_token();
    const auto scopes =
        narrow_scopes(split_scope(row->get<std::string>("scope")), user->is_superuser, requested_scope);
    const auto successor = keel::security::uuid_v7();
    // Only one of two concurrent rotations of the same token wins this update.
    if (connection.execute(sql::kMarkRefreshTokenUsed, {row->get<std::string>("id"), now, successor})
            .affected_rows() != 1) {
      connection.execute(sql::kRevokeSession, {family_id, user_id, now});
      return Outcome::reused;
    }
    connection.execute(sql::kTouchSession, {family_id, now});
    response = issue(connection, successor, user_id, family_id, scopes);
    return Outcome::issued;
  });
  if (outcome == Outcome::reused) throw bad_refresh_token();
  return response;
}

void SessionService::revoke_by_refresh_token(std::string_view refresh_token, std::string_view user_id) const {
  auto connection = database_.acquire();
  const auto row =
      connection.execute(sql::kRefreshTokenByHash, {keel::security::sha256_hex(refresh_token)}).first();
  if (!row || row->get<std::string>("user_id") != user_id) return;
  connection.execute(sql::kRevokeSession, {row->get<std::string>("family_id"), user_id, users::utc_now()});
}

void SessionService::revoke(std::string_view family_id, std::string_view user_id) const {
  auto connection = database_.acquire();
  connection.execute(sql::kRevokeSession, {family_id, user_id, users::utc_now()});
}

}  // namespace service::auth
