#include "keel/mail/message.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "keel/mail/mail_test_support.hpp"
#include "keel/mail/mime_encoding.hpp"

namespace keel::mail {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using namespace keel::mail::testing;

// kNow is Friday 27 November 2026, 10:00:00 UTC.
const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1795773600));

Message sample() {
  return Message{
      .to = "ada@example.com",
      .subject = "Grüße — reset",
      .text_body = "Hello Ada,\nopen https://app.example.com/reset?token=abc=def\n\nÜbrigens: 5 € \n",
      .html_body =
          "<p>Hello Ada,</p>\n<p><a href=\"https://app.example.com/reset?token=abc\">Reset</a> "
          "€</p>\n"};
}

TEST(BuildMime, FormatsTheDateInUtcPerRfc5322) {
  EXPECT_EQ(format_date(kNow), "Fri, 27 Nov 2026 10:00:00 +0000");
  EXPECT_EQ(format_date(std::chrono::system_clock::time_point{}), "Thu, 01 Jan 1970 00:00:00 +0000");
}

TEST(BuildMime, WritesEveryHeaderOnceAndPartsThatDecodeToTheOriginal) {
  const auto eml = build_mime(sample(), "Keel <no-reply@keel.example>", kNow);
  const auto m = parse_message(eml);
  for (const char* name : {"from", "to", "subject", "date", "message-id", "mime-version", "content-type"}) {
    EXPECT_EQ(m.count(name), 1U) << name;
  }
  EXPECT_EQ(m.header("from"), "Keel <no-reply@keel.example>");
  EXPECT_EQ(m.header("to"), "<ada@example.com>");
  EXPECT_EQ(decode_header_value(*m.header("subject")), "Grüße — reset");
  EXPECT_THAT(*m.header("subject"), HasSubstr("=?UTF-8?B?"));
  EXPECT_EQ(m.header("date"), "Fri, 27 Nov 2026 10:00:00 +0000");
  EXPECT_THAT(*m.header("message-id"), MatchesRegex("<[0-9a-f]{32}@keel\\.example>"));
  EXPECT_EQ(m.header("mime-version"), "1.0");
  EXPECT_EQ(m.header("auto-submitted"), "auto-generated");
  EXPECT_THAT(*m.header("content-type"), HasSubstr("multipart/alternative; boundary=\""));

  const auto parts = split_multipart(m.body, boundary_of(*m.header("content-type")));
  ASSERT_EQ(parts.size(), 2U);
  EXPECT_EQ(parts[0].header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(parts[0].header("content-transfer-encoding"), "quoted-printable");
  EXPECT_EQ(decoded_body(parts[0]), to_crlf(sample().text_body));
  EXPECT_EQ(parts[1].header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(decoded_body(parts[1]), to_crlf(*sample().html_body));
}

TEST(BuildMime, UsesCrlfOnlyAndShortLines) {
  auto message = sample();
  message.text_body += std::string(3000, 'x') + "\n";  // one very long source line
  const auto eml = build_mime(message, "Keel <no-reply@keel.example>", kNow);
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < eml.size(); ++i) {
    if (eml[i] == '\n') {
      ASSERT_GT(i, 0U);
      EXPECT_EQ(eml[i - 1], '\r') << "bare LF at " << i;
      EXPECT_LE(i - 1 - line_start, 998U);
      EXPECT_LE(i - 1 - line_start, 78U) << "line at " << line_start;  // all we write stays this short
      line_start = i + 1;
    } else if (eml[i] == '\r') {
      ASSERT_LT(i + 1, eml.size());
      EXPECT_EQ(eml[i + 1], '\n') << "bare CR at " << i;
    } else {
      EXPECT_LT(static_cast<unsigned char>(eml[i]), 0x80) << "8-bit byte at " << i;
    }
  }
  EXPECT_TRUE(eml.ends_with("\r\n"));
}

TEST(BuildMime, TextOnlyMessageIsASinglePart) {
  auto message = sample();
  message.html_body.reset();
  const auto m = parse_message(build_mime(message, "no-reply@keel.example", kNow));
  EXPECT_EQ(m.header("from"), "<no-reply@keel.example>");
  EXPECT_EQ(m.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(decoded_body(m), to_crlf(message.text_body));
}

TEST(BuildMime, EncodesANonAsciiOrQuotedSenderName) {
  auto m = parse_message(build_mime(sample(), "Kéel Support <help@keel.example>", kNow));
  EXPECT_EQ(decode_header_value(*m.header("from")), "Kéel Support <help@keel.example>");
  m = parse_message(build_mime(sample(), "\"Acme, Inc.\" <help@acme.example>", kNow));
  EXPECT_EQ(m.header("from"), "\"Acme, Inc.\" <help@acme.example>");
}

TEST(BuildMime, MessageIdsAndBoundariesDifferPerMessage) {
  const auto a = parse_message(build_mime(sample(), "no-reply@keel.example", kNow));
  const auto b = parse_message(build_mime(sample(), "no-reply@keel.example", kNow));
  EXPECT_NE(a.header("message-id"), b.header("message-id"));
  EXPECT_NE(a.header("content-type"), b.header("content-type"));
}

TEST(BuildMime, RefusesHeaderInjection) {
  const std::vector<std::pair<std::string, std::string>> bad_recipients = {
      {"to", "ada@example.com\r\nBcc: eve@evil.example"},
      {"to", "ada@example.com\nBcc: eve@evil.example"},
      {"to", "ada@example.com>, <eve@evil.example"},
      {"to", "Ada <ada@example.com>"},
  };
  for (const auto& [field, value] : bad_recipients) {
    auto message = sample();
    message.to = value;
    try {
      (void)build_mime(message, "no-reply@keel.example", kNow);
      ADD_FAILURE() << "accepted " << value;
    } catch (const MailError& e) {
      EXPECT_TRUE(e.permanent());
      EXPECT_THAT(e.what(), Not(HasSubstr("evil")));
    }
  }
  auto message = sample();
  message.subject = "Hello\r\nBcc: eve@evil.example";
  EXPECT_THROW((void)build_mime(message, "no-reply@keel.example", kNow), MailError);
  message.subject = "Hello\rX";
  EXPECT_THROW((void)build_mime(message, "no-reply@keel.example", kNow), MailError);
  EXPECT_THROW((void)build_mime(sample(), "Keel <no-reply@keel.example>\r\nBcc: eve@evil.example", kNow),
               MailError);
  EXPECT_THROW((void)build_mime(sample(), "Keel\n <no-reply@keel.example>", kNow), MailError);
  EXPECT_THROW((void)build_mime(sample(), "not an address", kNow), MailError);
}

TEST(Addresses, AcceptsOrdinaryAddressesOnly) {
  for (const char* good : {"ada@example.com", "a.b+tag@sub.example.co.uk", "x@localhost",
                           "o'neil@example.com", "a_b-c@xn--bcher-kva.example"}) {
    EXPECT_TRUE(is_valid_address(good)) << good;
  }
  for (const char* bad : {"", "ada", "@example.com", "ada@", "ada@@example.com", "a..b@example.com",
                          ".a@example.com", "a.@example.com", "ada@-example.com", "ada@example-.com",
                          "ada@exa mple.com", "a b@example.com", "ada@example..com", "\"ada\"@example.com",
                          "ada@[127.0.0.1]", "adä@example.com", "ada@exämple.com", "ada@example.com\r\n"}) {
    EXPECT_FALSE(is_valid_address(bad)) << bad;
  }
  EXPECT_FALSE(is_valid_address(std::string(65, 'a') + "@example.com"));
  EXPECT_FALSE(is_valid_address("a@" + std::string(64, 'b') + ".com"));
}

TEST(Addresses, ParsesMailboxes) {
  auto box = parse_mailbox("Keel <no-reply@x.example>");
  ASSERT_TRUE(box);
  EXPECT_EQ(box->display_name, "Keel");
  EXPECT_EQ(box->address, "no-reply@x.example");
  box = parse_mailbox("no-reply@x.example");
  ASSERT_TRUE(box);
  EXPECT_EQ(box->display_name, "");
  box = parse_mailbox("\"Acme, \\\"Inc\\\"\" <a@x.example>");
  ASSERT_TRUE(box);
  EXPECT_EQ(box->display_name, "Acme, \"Inc\"");
  EXPECT_FALSE(parse_mailbox("Keel <no-reply@x.example"));
  EXPECT_FALSE(parse_mailbox("Keel <no reply@x.example>"));
  EXPECT_FALSE(parse_mailbox("Keel\t<a@x.example>"));
}

// An independent reader: Python's email package must see the same subject and bodies.
TEST(BuildMime, PythonsEmailParserReadsTheSameMessage) {
  TempDir dir;
  const auto path = dir.path() / "m.eml";
  write_text(path, build_mime(sample(), "Kéel <no-reply@keel.example>", kNow));
  const std::string script =
      "import email, email.policy, json, sys\n"
      "m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)\n"
      "assert not m.defects, m.defects\n"
      "print(json.dumps({'subject': str(m['subject']), 'from': str(m['from']), 'to': str(m['to']),\n"
      "  'date': m['date'].datetime.isoformat(),\n"
      "  'text': m.get_body(('plain',)).get_content().replace('\\r\\n', '\\n'),\n"
      "  'html': m.get_body(('html',)).get_content().replace('\\r\\n', '\\n')}))\n";
  write_text(dir.path() / "read.py", script);
  const std::string command = "/usr/bin/python3 " + (dir.path() / "read.py").string() + " " + path.string();
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  while (const auto n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  ASSERT_EQ(::pclose(pipe), 0) << output;
  const auto json = boost::json::parse(output).as_object();
  EXPECT_EQ(json.at("subject").as_string(), "Grüße — reset");
  EXPECT_EQ(json.at("from").as_string(), "Kéel <no-reply@keel.example>");
  EXPECT_EQ(json.at("to").as_string(), "ada@example.com");
  EXPECT_EQ(json.at("date").as_string(), "2026-11-27T10:00:00+00:00");
  // With line breaks back to \n, the original text comes back.
  EXPECT_EQ(json.at("text").as_string(), sample().text_body);
  EXPECT_EQ(json.at("html").as_string(), *sample().html_body);
}

}  // namespace
}  // namespace keel::mail
