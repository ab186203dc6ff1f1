// service/email/email_sender.hpp — emails go out through the job queue.
//
// send() enqueues an `email.send` job (template, recipient, variables sealed
// with DATA_ENCRYPTION_KEYS: they hold one-time tokens, email_payload.hpp); a
// worker opens them, renders the template from its file and hands it to the
// mailer (SMTP, or the outbox folder in development), retrying with backoff
// when the mail server is down. A request therefore never fails, nor waits,
// because of mail.
//
//   DataCipher cipher = data_cipher_from_settings(settings);
//   QueuedEmailSender email(database, cipher);
//   email.send("password_reset", "ada@example.com", {{"token", token}, ...});
//   runner.register_handler(std::string(kEmailJobKind), EmailDelivery(std::move(templates), *mailer, cipher));
#pragma once

#include <optional>
#include <string_view>

#include "keel/db/database.hpp"
#include "keel/jobs/job.hpp"
#include "keel/mail/mailer.hpp"
#include "keel/mail/templates.hpp"
#include "keel/security/data_cipher.hpp"
#include "service/context.hpp"

namespace service {

// kEmailJobKind is the job kind of one templated email.
inline constexpr std::string_view kEmailJobKind = "email.send";

// QueuedEmailSender enqueues each email as a job in its own transaction.
// Both references must outlive it.
class QueuedEmailSender final : public EmailSender {
 public:
  // QueuedEmailSender registers the email statements (email_sql.hpp) with `database`.
  QueuedEmailSender(keel::db::Database& database, const keel::security::DataCipher& cipher);

  void send(std::string_view template_name, std::string_view to, const EmailVariables& variables) override;

 private:
  keel::db::Database& database_;
  const keel::security::DataCipher& cipher_;
};

// EmailDelivery is the `email.send` job handler: open, render, then send. A
// permanent failure (no templates, a payload that does not decrypt, unknown
// template, refused recipient) ends the job at once; anything else is
// retried by the queue. The mailer and the cipher must outlive it.
class EmailDelivery {
 public:
  EmailDelivery(std::optional<keel::mail::TemplateSet> templates, keel::mail::Mailer& mailer,
                const keel::security::DataCipher& cipher);
  void operator()(const keel::jobs::Job& job) const;

 private:
  std::shared_ptr<const keel::mail::TemplateSet> templates_;
  keel::mail::Mailer* mailer_;
  const keel::security::DataCipher* cipher_;
};

}  // namespace service
