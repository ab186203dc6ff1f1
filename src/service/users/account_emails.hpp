// service/users/account_emails.hpp — the account messages (templates/email/): what each one is told.
//
// One place fills every variable the templates declare (keel/mail/templates.cpp),
// so a template and its callers cannot drift apart. Links point at the
// origin the request came to (its Host, already checked against
// TRUSTED_HOSTS): /verify-email?token=… and /reset-password?token=… are the
// pages a front end serves; API clients send the token, which the message
// also shows, to POST /api/v1/auth/verify-email or /reset-password.
//
//   send_verify_email(context, request, user, user.email, token);
#pragma once

#include <string_view>

#include "keel/http/request.hpp"
#include "service/context.hpp"
#include "service/users/user_repository.hpp"

namespace service::users {

// send_verify_email mails the verification token to `to` (the account's address, or the new one).
void send_verify_email(ServiceContext& context, const keel::http::Request& request, const User& user,
                       std::string_view to, std::string_view token);
// send_password_reset mails a reset token to the account's address.
void send_password_reset(ServiceContext& context, const keel::http::Request& request, const User& user,
                         std::string_view token);
// send_password_changed tells the account's address its password changed.
void send_password_changed(ServiceContext& context, const keel::http::Request& request, const User& user);

}  // namespace service::users
