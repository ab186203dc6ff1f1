#include "keel/mail/mime_encoding.hpp"

#include <gtest/gtest.h>

#include "keel/mail/mail_test_support.hpp"

namespace keel::mail {
namespace {

using testing::decode_header_value;
using testing::decode_quoted_printable;

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto end = text.find("\r\n", pos);
    lines.emplace_back(text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
    if (end == std::string_view::npos) break;
    pos = end + 2;
  }
  return lines;
}

TEST(MimeEncoding, ToCrlfNormalisesEveryLineBreak) {
  EXPECT_EQ(to_crlf("a\nb\r\nc\rd\n\n"), "a\r\nb\r\nc\r\nd\r\n\r\n");
  EXPECT_EQ(to_crlf("no break"), "no break");
}

TEST(MimeEncoding, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(encode_base64(""), "");
  EXPECT_EQ(encode_base64("f"), "Zg==");
  EXPECT_EQ(encode_base64("fo"), "Zm8=");
  EXPECT_EQ(encode_base64("foo"), "Zm9v");
  EXPECT_EQ(encode_base64("foob"), "Zm9vYg==");
  EXPECT_EQ(encode_base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(encode_base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(encode_base64("\xff\xfe"), "//4=");
}

TEST(MimeEncoding, QuotedPrintableRoundTripsWithShortLines) {
  const std::vector<std::string> samples = {
      "Grüße — reset\r\nsecond line",
      "a=b and trailing space \r\ntab\t\r\n",
      ".leading dot\r\nFrom the start\r\n",
      std::string(200, 'x') + "\r\n" + std::string(150, '=') + "é" + std::string(80, ' '),
      "https://app.example.com/"
      "reset?token=abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz&x=1",
  };
  for (const auto& sample : samples) {
    const auto encoded = encode_quoted_printable(sample);
    EXPECT_EQ(decode_quoted_printable(encoded), sample) << encoded;
    for (const auto& line : lines_of(encoded)) {
      EXPECT_LE(line.size(), kMaxEncodedLine) << line;
      EXPECT_FALSE(line.ends_with(' ') || line.ends_with('\t')) << "trailing whitespace: " << line;
      EXPECT_FALSE(line.starts_with('.') || line.starts_with("From ")) << line;
      for (const char c : line) EXPECT_TRUE((c >= 0x20 && c < 0x7F) || c == '\t') << static_cast<int>(c);
    }
  }
  EXPECT_EQ(encode_quoted_printable("a=b é"), "a=3Db =C3=A9");
  EXPECT_EQ(encode_quoted_printable("end \r\n"), "end=20\r\n");
}

TEST(MimeEncoding, NonAsciiSubjectBecomesEncodedWordsThatRoundTrip) {
  const auto header = encode_header("Subject", "Grüße — reset");
  EXPECT_EQ(header, "Subject: =?UTF-8?B?R3LDvMOfZSDigJQgcmVzZXQ=?=\r\n");
  const auto parsed = testing::parse_message(header + "\r\n");
  EXPECT_EQ(decode_header_value(*parsed.header("subject")), "Grüße — reset");
}

TEST(MimeEncoding, LongSubjectsFoldUnder78ColumnsAndUnfoldToTheOriginal) {
  std::string ascii;
  for (int i = 0; i < 30; ++i) ascii += (i == 0 ? "" : " ") + std::string("word") + std::to_string(i);
  std::string utf8;
  for (int i = 0; i < 40; ++i) utf8 += "Grüße—€𝄞 ";
  utf8.pop_back();
  for (const auto& subject : {ascii, utf8, std::string(300, 'z')}) {
    const auto header = encode_header("Subject", subject);
    const auto lines = lines_of(header);
    EXPECT_GT(lines.size(), 2U) << header;  // folded (last element is the empty rest after CRLF)
    for (const auto& line : lines) EXPECT_LE(line.size(), 78U) << line;
    const auto parsed = testing::parse_message(header + "\r\n");
    EXPECT_EQ(decode_header_value(*parsed.header("subject")), subject);
  }
}

TEST(MimeEncoding, EncodedWordsNeverSplitACharacter) {
  std::string text;
  for (int i = 0; i < 30; ++i) text += "€";  // 3 bytes each: 39-byte words hold exactly 13
  const auto header = encode_header("Subject", text);
  auto value = std::string_view(header).substr(9);
  std::size_t words = 0;
  for (auto at = value.find("=?UTF-8?B?"); at != std::string_view::npos;
       at = value.find("=?UTF-8?B?", at + 1)) {
    const auto end = value.find("?=", at + 10);
    const auto bytes = config::decode_base64(value.substr(at + 10, end - at - 10)).value();
    EXPECT_EQ(bytes.size() % 3, 0U);
    ++words;
  }
  EXPECT_EQ(words, 3U);
}

TEST(MimeEncoding, LookAlikeEncodedWordsAreEncodedThemselves) {
  const auto header = encode_header("Subject", "=?UTF-8?B?SGk=?=");
  const auto parsed = testing::parse_message(header + "\r\n");
  EXPECT_EQ(decode_header_value(*parsed.header("subject")), "=?UTF-8?B?SGk=?=");
}

TEST(MimeEncoding, DisplayNamesAreAtomsQuotedOrEncoded) {
  EXPECT_EQ(encode_display_name("Keel"), "Keel");
  EXPECT_EQ(encode_display_name("Keel Team"), "Keel Team");
  EXPECT_EQ(encode_display_name("Acme, Inc."), "\"Acme, Inc.\"");
  EXPECT_EQ(encode_display_name("Say \"hi\""), "\"Say \\\"hi\\\"\"");
  EXPECT_EQ(decode_header_value(encode_display_name("Kéel")), "Kéel");
  EXPECT_TRUE(encode_display_name("Kéel").starts_with("=?UTF-8?B?"));
}

}  // namespace
}  // namespace keel::mail
