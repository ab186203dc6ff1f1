// keel/mail/mailer.hpp — where outgoing email goes: an SMTP server or an outbox folder.
//
// The application holds one Mailer and calls send() from a background job, so a
// failure (MailError) can be retried with backoff or dead-lettered when permanent.
// make_mailer picks the implementation from SMTP_URL: set → SmtpMailer, unset →
// OutboxMailer (development and tests read the .eml files).
//
//   auto mailer = keel::mail::make_mailer(settings, settings.outbox_dir);
//   Message m = templates.render("verify_email", vars);
//   m.to = user.email;
//   mailer->send(m);                       // throws MailError
#pragma once

#include <filesystem>
#include <memory>

#include "keel/config/settings.hpp"
#include "keel/mail/message.hpp"

namespace keel::mail {

// Mailer delivers one message. Implementations are safe to call from several threads.
class Mailer {
 public:
  virtual ~Mailer() = default;
  // send delivers `message` or throws MailError (what() safe to log, never credentials).
  virtual void send(const Message& message) = 0;
};

// make_mailer returns an SmtpMailer for settings.smtp_url from settings.email_from, or,
// when SMTP_URL is unset, an OutboxMailer writing to `outbox_dir`.
// Throws MailError when SMTP_URL cannot be used (config::load already checks its shape).
std::unique_ptr<Mailer> make_mailer(const config::Settings& settings,
                                    const std::filesystem::path& outbox_dir);

}  // namespace keel::mail
