#include "keel/mail/mailer.hpp"

#include "keel/mail/outbox_mailer.hpp"
#include "keel/mail/smtp_mailer.hpp"

namespace keel::mail {

std::unique_ptr<Mailer> make_mailer(const config::Settings& settings,
                                    const std::filesystem::path& outbox_dir) {
  if (settings.smtp_url) return std::make_unique<SmtpMailer>(*settings.smtp_url, settings.email_from);
  return std::make_unique<OutboxMailer>(outbox_dir, settings.email_from);
}

}  // namespace keel::mail
