#include "service/users/account_emails.hpp"

#include <string>

#include "service/auth/one_time_tokens.hpp"

namespace service::users {
namespace {

constexpr std::string_view kAppName = "Keel";

std::string origin(const keel::http::Request& request) {
  const auto host = request.header("Host").value_or("localhost");
  return std::string(request.context.secure ? "https://" : "http://") + std::string(host);
}

EmailVariables base_variables(const User& user, std::string_view to) {
  return {{"app_name", std::string(kAppName)},
          {"full_name", user.full_name.value_or(user.email)},
          {"email", std::string(to)}};
}

std::string minutes(std::chrono::seconds ttl) { return std::to_string(ttl.count() / 60); }

}  // namespace

void send_verify_email(ServiceContext& context, const keel::http::Request& request, const User& user,
                       std::string_view to, std::string_view token) {
  auto variables = base_variables(user, to);
  variables["token"] = std::string(token);
  variables["verify_url"] = origin(request) + "/verify-email?token=" + std::string(token);
  variables["expires_minutes"] = minutes(auth::kVerifyEmailTtl);
  context.email.send("verify_email", to, variables);
}

void send_password_reset(ServiceContext& context, const keel::http::Request& request, const User& user,
                         std::string_view token) {
  auto variables = base_variables(user, user.email);
  variables["token"] = std::string(token);
  variables["reset_url"] = origin(request) + "/reset-password?token=" + std::string(token);
  variables["expires_minutes"] = minutes(auth::kPasswordResetTtl);
  context.email.send("password_reset", user.email, variables);
}

void send_password_changed(ServiceContext& context, const keel::http::Request& request, const User& user) {
  auto variables = base_variables(user, user.email);
  variables["changed_at"] = utc_now();
  // Where to go if it was not them: start a reset.
  variables["reset_url"] = origin(request) + "/reset-password";
  context.email.send("password_changed", user.email, variables);
}

}  // namespace service::users
