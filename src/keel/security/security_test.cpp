#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <thread>

#include "keel/security/constant_time.hpp"
#include "keel/security/random.hpp"

namespace keel::security {
namespace {

TEST(ConstantTime, ComparesContentsAndLengths) {
  EXPECT_TRUE(constant_time_equal("s3cret-token", "s3cret-token"));
  EXPECT_FALSE(constant_time_equal("s3cret-token", "s3cret-tokeN"));
  EXPECT_FALSE(constant_time_equal("s3cret", "s3cret-token"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

TEST(Random, UuidV7HasVersionVariantAndIsUnique) {
  const std::regex shape("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto id = uuid_v7();
    ASSERT_TRUE(std::regex_match(id, shape)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(Random, UuidV7IsTimeOrdered) {
  const auto first = uuid_v7();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_LT(first, uuid_v7());
}

TEST(Random, TokenLengthAndAlphabet) {
  EXPECT_EQ(random_token(32).size(), 43u);
  EXPECT_EQ(random_token(1).size(), 2u);
  EXPECT_EQ(random_token(2).size(), 3u);
  EXPECT_EQ(random_token(3).size(), 4u);
  EXPECT_TRUE(std::regex_match(random_token(48), std::regex("^[A-Za-z0-9_-]{64}$")));
  EXPECT_NE(random_token(32), random_token(32));
}

}  // namespace
}  // namespace keel::security
