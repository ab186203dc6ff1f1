#include "keel/mail/outbox_mailer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "keel/mail/mail_test_support.hpp"
#include "keel/mail/smtp_mailer.hpp"

namespace keel::mail {
namespace {

using namespace keel::mail::testing;

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

Message hello(std::string subject) {
  return Message{
      .to = "ada@example.com", .subject = std::move(subject), .text_body = "Hi\n", .html_body = "<p>Hi</p>"};
}

TEST(OutboxMailer, WritesOneParsableEmlPerMessageInTimeOrder) {
  const TempDir root;
  const auto dir = root.path() / "data" / "outbox";  // created on first use
  OutboxMailer outbox(dir, "Keel <no-reply@keel.example>");
  outbox.send(hello("first"));
  outbox.send(hello("Grüße"));

  const auto files = files_in(dir);
  ASSERT_EQ(files.size(), 2U);  // no temporary file left behind
  const std::regex name(R"(\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{8}\.eml)");
  for (const auto& file : files) EXPECT_TRUE(std::regex_match(file.filename().string(), name)) << file;

  const auto first = parse_message(read_text(files[0]));
  EXPECT_EQ(first.header("subject"), "first");
  EXPECT_EQ(first.header("to"), "<ada@example.com>");
  EXPECT_EQ(first.header("from"), "Keel <no-reply@keel.example>");
  const auto second = parse_message(read_text(files[1]));
  EXPECT_EQ(decode_header_value(*second.header("subject")), "Grüße");
  const auto parts = split_multipart(second.body, boundary_of(*second.header("content-type")));
  ASSERT_EQ(parts.size(), 2U);
  EXPECT_EQ(decoded_body(parts[0]), "Hi\r\n");
  EXPECT_EQ(decoded_body(parts[1]), "<p>Hi</p>");  // no line break added
}

TEST(OutboxMailer, InvalidMessagesAndUnwritableFoldersThrow) {
  const TempDir root;
  OutboxMailer outbox(root.path(), "Keel <no-reply@keel.example>");
  auto bad = hello("x");
  bad.to = "ada@example.com\r\nBcc: eve@evil.example";
  EXPECT_THROW(outbox.send(bad), MailError);
  EXPECT_TRUE(files_in(root.path()).empty());

  write_text(root.path() / "file", "not a folder");
  OutboxMailer blocked(root.path() / "file" / "outbox", "no-reply@keel.example");
  try {
    blocked.send(hello("x"));
    ADD_FAILURE() << "wrote below a regular file";
  } catch (const MailError& e) {
    EXPECT_FALSE(e.permanent());
  }
}

TEST(MakeMailer, ChoosesSmtpWhenConfiguredElseTheOutbox) {
  const TempDir root;
  config::Settings settings;
  auto mailer = make_mailer(settings, root.path());
  EXPECT_NE(dynamic_cast<OutboxMailer*>(mailer.get()), nullptr);
  mailer->send(hello("x"));
  EXPECT_EQ(files_in(root.path()).size(), 1U);

  settings.smtp_url = "smtp://user:pw@mail.example.com:587";
  mailer = make_mailer(settings, root.path());
  const auto* smtp = dynamic_cast<SmtpMailer*>(mailer.get());
  ASSERT_NE(smtp, nullptr);
  EXPECT_EQ(smtp->endpoint(), "mail.example.com:587");
}

}  // namespace
}  // namespace keel::mail
