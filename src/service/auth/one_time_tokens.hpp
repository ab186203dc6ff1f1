// service/auth/one_time_tokens.hpp — single-use tokens sent by email (password reset, email verification).
//
// 256 random bits, stored only as SHA-256, bound to one purpose, with an
// expiry; redeeming marks the token used in the same statement that checks
// it was not, so a token works exactly once even under concurrent requests.
// They are opaque strings, not JWTs: nothing that checks access tokens can
// mistake one for a credential. A new token of a purpose retires the user's
// older ones.
//
//   auto token = issue_one_time_token(conn, user.id, TokenPurpose::password_reset, 30min);
//   email.send("password_reset", user.email, {{"token", token}});
//   if (auto redeemed = redeem_one_time_token(conn, presented, TokenPurpose::password_reset)) ...
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "keel/db/connection.hpp"

namespace service::auth {

// TokenPurpose is what a one-time token may be used for.
enum class TokenPurpose { password_reset, verify_email };

// kPasswordResetTtl and kVerifyEmailTtl are the tokens' lifetimes.
inline constexpr std::chrono::seconds kPasswordResetTtl{30 * 60};
inline constexpr std::chrono::seconds kVerifyEmailTtl{24 * 60 * 60};

// RedeemedToken is what a redeemed token was issued for.
struct RedeemedToken {
  std::string id;
  std::string user_id;
  std::optional<std::string> new_email;  // verify_email for an email change: the address to switch to
};

// issue_one_time_token stores a new token (retiring the user's older ones of
// the same purpose) and returns the secret to email.
std::string issue_one_time_token(keel::db::Connection& connection, std::string_view user_id,
                                 TokenPurpose purpose, std::chrono::seconds ttl,
                                 const std::optional<std::string>& new_email = {});

// redeem_one_time_token marks a valid, unexpired, unused token of `purpose`
// used and returns what it was for; std::nullopt otherwise.
std::optional<RedeemedToken> redeem_one_time_token(keel::db::Connection& connection, std::string_view token,
                                                   TokenPurpose purpose);

// peek_one_time_token is redeem_one_time_token without using the token up
// (to check a reset's new password against its owner before consuming it).
std::optional<RedeemedToken> peek_one_time_token(keel::db::Connection& connection, std::string_view token,
                                                 TokenPurpose purpose);

// retire_one_time_tokens voids the user's outstanding tokens of `purpose`.
void retire_one_time_tokens(keel::db::Connection& connection, std::string_view user_id, TokenPurpose purpose);

}  // namespace service::auth
