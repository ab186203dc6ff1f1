// service/context.hpp — what every part of the reference service is built with.
//
// main.cpp builds one ServiceContext and hands it to service::register_routes;
// each resource's `register_*_routes(ServiceContext&)` keeps the references
// it needs in its handlers. Everything here outlives the server.
//
//   void register_item_routes(ServiceContext& context) {
//     auto& database = context.database;
//     context.app.router().add(Method::get, "/api/v1/items", [&database](Request& r) { ... });
//   }
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "keel/app/app.hpp"
#include "keel/db/database.hpp"
#include "keel/jobs/runner.hpp"
#include "keel/security/password_hasher.hpp"

namespace service {

// EmailVariables fills a template's {{placeholders}}.
using EmailVariables = std::map<std::string, std::string, std::less<>>;

// EmailSender sends one of the templated messages in templates/email/
// (verify_email, password_reset, password_changed, api_key_created,
// account_deleted). Thread-safe. Never throws for delivery problems: mail is
// retried in the background, a request never fails because SMTP is down.
class EmailSender {
 public:
  virtual ~EmailSender() = default;
  virtual void send(std::string_view template_name, std::string_view to, const EmailVariables& variables) = 0;
};

struct ServiceContext {
  keel::app::App& app;
  keel::db::Database& database;
  keel::security::PasswordHasher& passwords;
  EmailSender& email;
  keel::jobs::JobRunner& jobs;  // register periodic jobs here (before serving)
};

}  // namespace service
