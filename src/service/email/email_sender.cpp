#include "service/email/email_sender.hpp"

#include "keel/jobs/queue.hpp"
#include "keel/jobs/runner.hpp"
#include "keel/observability/logger.hpp"
#include "keel/security/random.hpp"
#include "service/email/email_payload.hpp"
#include "service/email/email_sql.hpp"

namespace service {

QueuedEmailSender::QueuedEmailSender(keel::db::Database& database, const keel::security::DataCipher& cipher)
    : database_(database), cipher_(cipher) {
  database_.register_statements(kEmailStatements);
}

void QueuedEmailSender::send(std::string_view template_name, std::string_view to,
                             const EmailVariables& variables) {
  // The job id is made inside enqueue, so the ciphertext is bound to an id of its own.
  const std::string payload = seal_email_payload(
      cipher_, {std::string(template_name), std::string(to), variables}, keel::security::uuid_v7());
  try {
    database_.in_transaction([&](keel::db::Connection& connection) {
      keel::jobs::enqueue(connection, {.kind = std::string(kEmailJobKind),
                                       .payload_json = payload,
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

EmailDelivery::EmailDelivery(std::optional<keel::mail::TemplateSet> templates, keel::mail::Mailer& mailer,
                             const keel::security::DataCipher& cipher)
    : templates_(templates ? std::make_shared<const keel::mail::TemplateSet>(std::move(*templates)) : nullptr),
      mailer_(&mailer),
      cipher_(&cipher) {}

void EmailDelivery::operator()(const keel::jobs::Job& job) const {
  if (!templates_) throw keel::jobs::PermanentJobError("no email templates were found at start-up");
  const auto stored = parse_email_payload(job.payload_json);
  if (!stored) throw keel::jobs::PermanentJobError("payload is not an email job payload");
  // A retry cannot help: the key is missing or the row was altered. The message names no secret.
  const auto payload = open_email_payload(*cipher_, *stored);
  if (!payload) throw keel::jobs::PermanentJobError("payload cannot be decrypted: unknown key or tampered");
  const keel::mail::TemplateVars& variables = payload->variables;
  try {
    auto message = templates_->render(payload->template_name, variables);
    message.to = payload->to;
    mailer_->send(message);
  } catch (const keel::mail::MailError& error) {
    if (error.permanent()) throw keel::jobs::PermanentJobError(error.what());
    throw;
  }
}

}  // namespace service
