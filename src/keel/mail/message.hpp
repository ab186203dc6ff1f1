// keel/mail/message.hpp — an outgoing email and its RFC 5322 / MIME wire form.
//
// A Message is what the application wants to say; build_mime turns it into the
// exact bytes an SMTP server or an .eml file receives: headers (UTF-8 subjects as
// RFC 2047 encoded words), a multipart/alternative body with quoted-printable
// text and HTML parts, CRLF line endings. Header injection is impossible: a
// recipient, subject or sender holding CR, LF or any other control character is
// refused, and the recipient must be a plain addr-spec.
//
//   Message m{.to = "ada@example.com", .subject = "Grüße", .text_body = "Hello\n", .html_body =
//   "<p>Hello</p>"}; std::string eml = build_mime(m, "Keel <no-reply@example.com>",
//   std::chrono::system_clock::now());
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace keel::mail {

// Message is one email to one recipient; bodies are UTF-8 with any line endings.
struct Message {
  std::string to;  // addr-spec only ("ada@example.com"), no display name
  std::string subject;
  std::string text_body;
  std::optional<std::string> html_body;  // none: a single text/plain part
};

// MailError reports a message that could not be built or delivered. what() is safe to
// log: it never holds credentials (nor the recipient, which is personal data).
// permanent() is true when retrying cannot help (an invalid message, a recipient the
// server refused with a 5xx reply); a job runner should dead-letter those at once and
// retry the rest with backoff.
class MailError : public std::runtime_error {
 public:
  MailError(const std::string& what, bool permanent) : std::runtime_error(what), permanent_(permanent) {}
  bool permanent() const noexcept { return permanent_; }

 private:
  bool permanent_;
};

// Mailbox is a parsed sender or recipient: `Name <address>` or a bare address.
struct Mailbox {
  std::string display_name;  // unquoted; empty when absent
  std::string address;       // addr-spec
};

// parse_mailbox reads "addr@host", "Name <addr@host>" or "\"Name, Inc.\" <addr@host>";
// nullopt when the address is not valid (see is_valid_address) or a control character appears.
std::optional<Mailbox> parse_mailbox(std::string_view text);

// is_valid_address accepts an ASCII dot-atom addr-spec: local part ≤ 64 characters,
// domain of letter/digit/hyphen labels, 254 characters in all. Quoted local parts,
// address literals and internationalised addresses (SMTPUTF8) are refused.
bool is_valid_address(std::string_view address);

// build_mime renders `message` from `from` (EMAIL_FROM) at time `now` as a complete
// message: From, To, Subject, Date, Message-ID (<random@from's domain>), MIME-Version,
// Auto-Submitted and the body parts; every line ends in CRLF and fits in 998 bytes.
// Throws MailError (permanent) when `to`, `from` or the subject is invalid.
std::string build_mime(const Message& message, std::string_view from,
                       std::chrono::system_clock::time_point now);

// format_date formats `t` as an RFC 5322 date in UTC: "Fri, 27 Nov 2026 10:00:00 +0000".
std::string format_date(std::chrono::system_clock::time_point t);

// random_hex returns `bytes` random bytes as lowercase hex (Message-IDs, boundaries, file names).
std::string random_hex(std::size_t bytes);

}  // namespace keel::mail
