#include "keel/mail/smtp_mailer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "keel/mail/mail_test_support.hpp"

namespace keel::mail {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace keel::mail::testing;

constexpr const char* kFrom = "Keel <no-reply@keel.example>";
// kPassword has characters that must be percent-encoded in SMTP_URL.
constexpr const char* kPassword = "s3cr@t:pa%ss";
constexpr const char* kPasswordInUrl = "s3cr%40t%3Apa%25ss";

Message reset_message() {
  return Message{.to = "ada@example.com",
                 .subject = "Grüße — reset",
                 .text_body = "Reset: https://app.example/r?t=1\n.\n",
                 .html_body = "<p>Reset</p>\n"};
}

// SmtpMailerTest starts three sinks for the whole suite, all at once (a Python start-up
// takes up to a second on a busy machine): plain SMTP, STARTTLS with AUTH, implicit TLS
// with AUTH, using a self-signed certificate for 127.0.0.1 made by openssl. Tests count
// messages relative to what a sink already holds.
class SmtpMailerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs_ = new TempDir();
    const int rc = run_command({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                                "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                                "-keyout", key().string(), "-out", cert().string()});
    ASSERT_EQ(rc, 0) << "openssl req failed";
    plain_ = new SmtpSink({"--reject-rcpt", "eve@example.com"});
    starttls_ = new SmtpSink({"--starttls", cert().string(), key().string(), "--auth",
                              std::string("mailer@keel.example:") + kPassword});
    implicit_ = new SmtpSink({"--implicit-tls", cert().string(), key().string(), "--auth", "user:pw"});
    for (auto* sink : {plain_, starttls_, implicit_}) sink->wait_ready();
  }
  static void TearDownTestSuite() {
    for (auto** sink : {&plain_, &starttls_, &implicit_}) {
      delete *sink;
      *sink = nullptr;
    }
    delete certs_;
    certs_ = nullptr;
  }
  static fs::path cert() { return certs_->path() / "cert.pem"; }
  static fs::path key() { return certs_->path() / "key.pem"; }

  static inline TempDir* certs_ = nullptr;
  static inline SmtpSink* plain_ = nullptr;
  static inline SmtpSink* starttls_ = nullptr;
  static inline SmtpSink* implicit_ = nullptr;
};

void expect_delivered(const SmtpSink& sink, int n) {
  const auto m = parse_message(sink.message(n));
  EXPECT_EQ(decode_header_value(*m.header("subject")), "Grüße — reset");
  EXPECT_EQ(m.header("to"), "<ada@example.com>");
  const auto parts = split_multipart(m.body, boundary_of(*m.header("content-type")));
  ASSERT_EQ(parts.size(), 2U);
  // A lone "." line (which would end SMTP DATA) arrives intact.
  EXPECT_EQ(decoded_body(parts[0]), "Reset: https://app.example/r?t=1\r\n.\r\n");
  const auto envelope = sink.envelope(n);
  EXPECT_EQ(envelope.at("mail_from").as_string(), "no-reply@keel.example");
  ASSERT_EQ(envelope.at("rcpt_tos").as_array().size(), 1U);
  EXPECT_EQ(envelope.at("rcpt_tos").as_array()[0].as_string(), "ada@example.com");
}

TEST_F(SmtpMailerTest, DeliversOverPlainSmtp) {
  const auto n = static_cast<int>(plain_->count());
  SmtpMailer mailer("smtp://" + plain_->address(), kFrom);
  mailer.send(reset_message());
  ASSERT_EQ(plain_->count(), static_cast<std::size_t>(n + 1));
  expect_delivered(*plain_, n + 1);
  EXPECT_TRUE(plain_->envelope(n + 1).at("auth_user").is_null());
  EXPECT_FALSE(plain_->envelope(n + 1).at("tls").as_bool());
}

TEST_F(SmtpMailerTest, UpgradesWithStartTlsAndLogsInWithPercentDecodedCredentials) {
  const auto n = static_cast<int>(starttls_->count());
  SmtpMailer mailer(
      "smtp://mailer%40keel.example:" + std::string(kPasswordInUrl) + "@" + starttls_->address(), kFrom,
      {.ca_file = cert().string()});
  mailer.send(reset_message());
  ASSERT_EQ(starttls_->count(), static_cast<std::size_t>(n + 1));
  expect_delivered(*starttls_, n + 1);
  EXPECT_TRUE(starttls_->envelope(n + 1).at("tls").as_bool());
  EXPECT_EQ(starttls_->envelope(n + 1).at("auth_user").as_string(), "mailer@keel.example");

  for (const std::string userinfo : {"mailer%40keel.example:Wr0ngPassw0rd@", ""}) {
    SmtpMailer wrong("smtp://" + userinfo + starttls_->address(), kFrom, {.ca_file = cert().string()});
    try {
      wrong.send(reset_message());
      ADD_FAILURE() << "delivered with credentials '" << userinfo << "'";
    } catch (const MailError& e) {
      EXPECT_THAT(e.what(), Not(HasSubstr("Wr0ngPassw0rd")));
      EXPECT_THAT(e.what(), HasSubstr(starttls_->address()));
      EXPECT_FALSE(e.permanent()) << e.what();  // fix the configuration and queued mail still goes out
    }
  }
  EXPECT_EQ(starttls_->count(), static_cast<std::size_t>(n + 1));
}

TEST_F(SmtpMailerTest, ARecipientRefusedWith5xxIsAPermanentFailure) {
  SmtpMailer mailer("smtp://" + plain_->address(), kFrom);
  auto message = reset_message();
  message.to = "eve@example.com";
  try {
    mailer.send(message);
    ADD_FAILURE() << "a refused recipient was reported as delivered";
  } catch (const MailError& e) {
    EXPECT_TRUE(e.permanent()) << e.what();
    EXPECT_THAT(e.what(), HasSubstr("550"));
    EXPECT_THAT(e.what(), Not(HasSubstr("eve@")));
  }
}

TEST_F(SmtpMailerTest, RefusesACertificateItCannotVerify) {
  const auto n = starttls_->count();
  // The system trust store does not know the self-signed certificate: no fallback to plain text.
  SmtpMailer mailer(
      "smtp://mailer%40keel.example:" + std::string(kPasswordInUrl) + "@" + starttls_->address(), kFrom);
  EXPECT_THROW(mailer.send(reset_message()), MailError);
  SmtpMailer implicit("smtps://user:pw@" + implicit_->address(), kFrom);
  EXPECT_THROW(implicit.send(reset_message()), MailError);
  EXPECT_EQ(starttls_->count(), n);
}

TEST_F(SmtpMailerTest, SpeaksImplicitTlsForSmtps) {
  const auto n = static_cast<int>(implicit_->count());
  SmtpMailer mailer("smtps://user:pw@" + implicit_->address(), kFrom, {.ca_file = cert().string()});
  mailer.send(reset_message());
  ASSERT_EQ(implicit_->count(), static_cast<std::size_t>(n + 1));
  expect_delivered(*implicit_, n + 1);
  EXPECT_TRUE(implicit_->envelope(n + 1).at("tls").as_bool());
}

TEST(SmtpMailer, AClosedPortFailsFastWithoutTheSecret) {
  const int port = free_port();
  SmtpMailer mailer(
      "smtp://user:" + std::string(kPasswordInUrl) + "@127.0.0.1:" + std::to_string(port), kFrom,
      {.connect_timeout = std::chrono::milliseconds(2000), .timeout = std::chrono::milliseconds(3000)});
  const auto start = std::chrono::steady_clock::now();
  try {
    mailer.send(reset_message());
    ADD_FAILURE() << "sent to a closed port";
  } catch (const MailError& e) {
    EXPECT_THAT(e.what(), HasSubstr("127.0.0.1:" + std::to_string(port)));
    EXPECT_THAT(e.what(), Not(HasSubstr("s3cr")));
    EXPECT_THAT(e.what(), Not(HasSubstr("user:")));
    EXPECT_FALSE(e.permanent());
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(SmtpMailer, RefusesUnusableConfiguration) {
  EXPECT_THROW(SmtpMailer("http://mail.example.com", kFrom), MailError);
  EXPECT_THROW(SmtpMailer("smtp://", kFrom), MailError);
  EXPECT_THROW(SmtpMailer("smtp://u:%zz@mail.example.com", kFrom), MailError);
  EXPECT_THROW(SmtpMailer("smtp://[::1", kFrom), MailError);
  EXPECT_THROW(SmtpMailer("smtp://mail.example.com", "Keel <not an address>"), MailError);
  const SmtpMailer ok("smtps://u:p@[::1]:465", kFrom);
  EXPECT_EQ(ok.endpoint(), "[::1]:465");
}

}  // namespace
}  // namespace keel::mail
