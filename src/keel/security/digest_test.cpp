#include <gtest/gtest.h>

#include <string>

#include "keel/security/digest.hpp"

namespace keel::security {
namespace {

std::string to_hex(std::string_view bytes) {
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string text;
  for (const char c : bytes) {
    text.push_back(kHex[static_cast<unsigned char>(c) >> 4U]);
    text.push_back(kHex[static_cast<unsigned char>(c) & 0x0FU]);
  }
  return text;
}

TEST(Digest, Sha256KnownAnswers) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(std::string("a\0b", 3)).size(), 64u);
  EXPECT_NE(sha256_hex(std::string("a\0b", 3)), sha256_hex("a"));
}

TEST(Digest, HmacSha256Rfc4231) {
  // RFC 4231 test case 2.
  EXPECT_EQ(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 4231 test case 6: a key longer than the block size is hashed first.
  EXPECT_EQ(
      to_hex(hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(hmac_sha256("", "data").size(), 32u);
  EXPECT_NE(hmac_sha256("k1", "data"), hmac_sha256("k2", "data"));
}

TEST(Digest, Base64UrlEncodeRfc4648) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");  // standard base64 would say "+/8="
}

TEST(Digest, Base64UrlRoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t size = 0; size <= all.size(); size += 37) {
    const auto data = all.substr(0, size);
    std::string decoded;
    ASSERT_TRUE(base64url_decode(base64url_encode(data), decoded)) << size;
    EXPECT_EQ(decoded, data);
  }
}

TEST(Digest, Base64UrlDecodeAcceptsPaddedAndUnpadded) {
  std::string out;
  ASSERT_TRUE(base64url_decode("Zm9vYg", out));
  EXPECT_EQ(out, "foob");
  ASSERT_TRUE(base64url_decode("Zm9vYg==", out));
  EXPECT_EQ(out, "foob");
  ASSERT_TRUE(base64url_decode("Zm9vYmE=", out));
  EXPECT_EQ(out, "fooba");
  ASSERT_TRUE(base64url_decode("", out));
  EXPECT_EQ(out, "");
}

TEST(Digest, Base64UrlDecodeRejectsBadInput) {
  std::string out = "untouched";
  EXPECT_FALSE(base64url_decode("Zm9v+g", out));  // standard-alphabet character
  EXPECT_FALSE(base64url_decode("Zm9v/g", out));
  EXPECT_FALSE(base64url_decode("Zm9 v", out));  // whitespace
  EXPECT_FALSE(base64url_decode("Zm9vY", out));  // 5 characters: impossible length
  EXPECT_FALSE(base64url_decode("Z", out));
  EXPECT_FALSE(base64url_decode("Zm9vYg=", out));   // padding that does not complete a block
  EXPECT_FALSE(base64url_decode("Zm9vY===", out));  // three padding characters
  EXPECT_FALSE(base64url_decode("Zm=vYg==", out));  // padding in the middle
  EXPECT_FALSE(base64url_decode("Zh", out));        // non-zero leftover bits: a second spelling of "f"
  EXPECT_FALSE(base64url_decode(std::string("Zm9v\0g", 6), out));
  EXPECT_EQ(out, "untouched");
}

}  // namespace
}  // namespace keel::security
