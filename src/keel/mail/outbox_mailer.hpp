// keel/mail/outbox_mailer.hpp — "sends" email by writing .eml files to a folder.
//
// Development and tests run without a mail server: each message is written as
// <UTC timestamp>-<random>.eml (sortable by time, openable by any mail client),
// first to a hidden temporary file and then renamed, so a reader polling the
// folder never sees half a message. The folder is created when missing.
//
//   OutboxMailer outbox("./data/outbox", "Keel <no-reply@localhost>");
//   outbox.send(message);   // ./data/outbox/20261127T101500.123456Z-1f2e3d4c.eml
#pragma once

#include <filesystem>
#include <string>

#include "keel/mail/mailer.hpp"

namespace keel::mail {

// OutboxMailer writes each message, exactly as SMTP would carry it, to `directory`.
class OutboxMailer final : public Mailer {
 public:
  OutboxMailer(std::filesystem::path directory, std::string from);

  // send writes the .eml file; MailError when it cannot be built or written.
  void send(const Message& message) override;

  const std::filesystem::path& directory() const noexcept { return directory_; }

 private:
  std::filesystem::path directory_;
  std::string from_;
};

}  // namespace keel::mail
