// keel/mail/smtp_mailer.hpp — delivers email to an SMTP server with libcurl.
//
// SMTP_URL chooses the transport: smtp://host[:port] upgrades with STARTTLS when the
// server offers it (and insists on it when the URL carries credentials and the host is
// not loopback, so a network attacker cannot strip STARTTLS and read the password);
// smtps://host[:port] speaks TLS from the first byte. Credentials come from the URL's
// userinfo (percent-decoded: smtp://user%40example.com:p%40ss@host) and are never part of
// an error message. The server certificate is verified against the system trust store.
// MAIL FROM is the address inside EMAIL_FROM ("Keel <no-reply@x>" → no-reply@x).
//
//   SmtpMailer mailer("smtps://apikey:secret@smtp.example.com:465", "Keel <no-reply@example.com>");
//   mailer.send(message);   // throws MailError (check permanent() before retrying)
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "keel/mail/mailer.hpp"

namespace keel::mail {

// SmtpOptions bounds one delivery; the defaults suit a job worker.
struct SmtpOptions {
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds timeout{30000};  // the whole conversation
  std::string ca_file{};                     // extra trust anchor (tests, private CAs); empty: system store
};

// SmtpMailer sends each message over a new SMTP connection (a job sends a handful per
// minute; connection reuse would add state for no measurable gain).
class SmtpMailer final : public Mailer {
 public:
  // SmtpMailer parses `smtp_url` and `from`; MailError (permanent) when either is unusable.
  SmtpMailer(std::string_view smtp_url, std::string from, SmtpOptions options = {});

  // send builds the message and delivers it; MailError on any failure.
  void send(const Message& message) override;

  // endpoint is "host:port" as configured, for log lines (no credentials).
  const std::string& endpoint() const noexcept { return endpoint_; }

 private:
  std::string url_;  // scheme://host[:port]/ehlo-domain, without userinfo
  std::string endpoint_;
  std::string username_;
  std::string password_;
  bool implicit_tls_ = false;
  bool require_starttls_ = false;
  std::string from_;
  std::string envelope_from_;
  SmtpOptions options_;
};

}  // namespace keel::mail
