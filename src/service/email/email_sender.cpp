#include "service/email/email_sender.hpp"

#include <boost/json.hpp>

#include "keel/jobs/queue.hpp"
#include "keel/jobs/runner.hpp"
#include "keel/observability/logger.hpp"

namespace service {

void QueuedEmailSender::send(std::string_view template_name, std::string_view to,
                             const EmailVariables& variables) {
  boost::json::object vars;
  for (const auto& [name, value] : variables) vars[name] = value;
  const boost::json::object payload{{"template", template_name}, {"to", to}, {"variables", std::move(vars)}};
  try {
    database_.in_transaction([&](keel::db::Connection& connection) {
      keel::jobs::enqueue(connection, {.kind = std::string(kEmailJobKind),
                                       .payload_json = boost::json::serialize(payload),
                                       .run_at = std::nullopt,
                                       .max_attempts = 8,
                                       .idempotency_key = std::nullopt});
    });
  } catch (const keel::db::DatabaseError& error) {
    // The business change already committed; losing this mail is better than failing the request.
    keel::observability::logger().error("email not queued",
                                        {{"template", template_name}, {"reason", error.what()}});
  }
}

EmailDelivery::EmailDelivery(std::optional<keel::mail::TemplateSet> templates, keel::mail::Mailer& mailer)
    : templates_(templates ? std::make_shared<const keel::mail::TemplateSet>(std::move(*templates)) : nullptr),
      mailer_(&mailer) {}

void EmailDelivery::operator()(const keel::jobs::Job& job) const {
  if (!templates_) throw keel::jobs::PermanentJobError("no email templates were found at start-up");
  const auto payload = boost::json::parse(job.payload_json).as_object();
  keel::mail::TemplateVars variables;
  for (const auto& [name, value] : payload.at("variables").as_object()) {
    variables.emplace(std::string(name), std::string(value.as_string()));
  }
  try {
    auto message = templates_->render(payload.at("template").as_string(), variables);
    message.to = std::string(payload.at("to").as_string());
    mailer_->send(message);
  } catch (const keel::mail::MailError& error) {
    if (error.permanent()) throw keel::jobs::PermanentJobError(error.what());
    throw;
  }
}

}  // namespace service
