#include "keel/config/base64.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace keel::config {
namespace {

using ::testing::ElementsAre;

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(Base64, EncodeUrlSafeWithoutPadding) {
  EXPECT_EQ(encode_base64url(bytes("")), "");
  EXPECT_EQ(encode_base64url(bytes("f")), "Zg");
  EXPECT_EQ(encode_base64url(bytes("fo")), "Zm8");
  EXPECT_EQ(encode_base64url(bytes("foo")), "Zm9v");
  EXPECT_EQ(encode_base64url(std::vector<std::uint8_t>{0xfb, 0xff}), "-_8");
}

TEST(Base64, DecodeBothAlphabetsWithOrWithoutPadding) {
  EXPECT_EQ(decode_base64("Zm9vYmFy"), bytes("foobar"));
  EXPECT_EQ(decode_base64("Zm9vYg=="), bytes("foob"));
  EXPECT_EQ(decode_base64("Zm9vYg"), bytes("foob"));
  EXPECT_THAT(*decode_base64("-_8"), ElementsAre(0xfb, 0xff));
  EXPECT_THAT(*decode_base64("+/8="), ElementsAre(0xfb, 0xff));
}

TEST(Base64, RejectsGarbage) {
  EXPECT_FALSE(decode_base64("Zm9v!"));
  EXPECT_FALSE(decode_base64("Z"));
  EXPECT_FALSE(decode_base64("Zm=v"));
  EXPECT_FALSE(decode_base64("Zm9v Yg"));
}

TEST(Base64, RoundTrip) {
  std::vector<std::uint8_t> all(256);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(decode_base64(encode_base64url(all)), all);
}

}  // namespace
}  // namespace keel::config
