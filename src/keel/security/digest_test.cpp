#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "keel/security/digest.hpp"

namespace keel::security {
namespace {

std::string_view view(const std::array<char, kHmacSha256Size>& tag) { return {tag.data(), tag.size()}; }

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

TEST(Digest, KeyedHmacMatchesRfc4231AndOneShot) {
  EXPECT_EQ(to_hex(view(HmacSha256("Jefe").sign("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(to_hex(view(HmacSha256(std::string(131, '\xaa'))
                            .sign("Test Using Larger Than Block-Size Key - Hash Key First"))),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(view(HmacSha256("").sign("data")), hmac_sha256("", "data"));
  const HmacSha256 mac("key");
  const std::string big(100'000, 'x');
  for (const std::string& data : {std::string(), std::string("a"), std::string(64, 'b'), big}) {
    EXPECT_EQ(view(mac.sign(data)), hmac_sha256("key", data)) << data.size();
  }
}

TEST(Digest, KeyedHmacRepeatsAndKeepsKeysApart) {
  // Signing twice with one instance must not carry state over from the first message.
  const HmacSha256 first("key-1");
  const HmacSha256 second("key-2");
  EXPECT_EQ(view(first.sign("m")), hmac_sha256("key-1", "m"));
  EXPECT_EQ(view(first.sign("m")), hmac_sha256("key-1", "m"));
  // Alternating keys on one thread: each instance signs with its own key every time.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(view(second.sign("m")), hmac_sha256("key-2", "m")) << i;
    EXPECT_EQ(view(first.sign("m")), hmac_sha256("key-1", "m")) << i;
  }
  // A key that replaces a destroyed one (possibly at the same address) is never confused with it.
  for (int i = 0; i < 3; ++i) {
    const std::string key = "short-lived-" + std::to_string(i);
    EXPECT_EQ(view(HmacSha256(key).sign("m")), hmac_sha256(key, "m")) << i;
  }
}

TEST(Digest, KeyedHmacKeepsSeveralKeysPerThreadAndReplacesThemCorrectly) {
  // More keys in turn than a thread keeps working copies of: every sign still uses its own key.
  std::vector<HmacSha256> keys;
  for (int i = 0; i < 7; ++i) keys.emplace_back("rotating-" + std::to_string(i));
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      EXPECT_EQ(view(keys[i].sign("m")), hmac_sha256("rotating-" + std::to_string(i), "m")) << round << i;
    }
    for (std::size_t i = keys.size(); i-- > 0;) {
      EXPECT_EQ(view(keys[i].sign("n")), hmac_sha256("rotating-" + std::to_string(i), "n")) << round << i;
    }
  }
}

TEST(Digest, KeyedHmacCopiesShareTheKey) {
  const HmacSha256 original("shared");
  HmacSha256 copy = original;
  EXPECT_EQ(copy.sign("m"), original.sign("m"));
  HmacSha256 moved = std::move(copy);  // NOLINT(performance-move-const-arg): a move must act as a copy
  EXPECT_EQ(view(moved.sign("m")), hmac_sha256("shared", "m"));
  // NOLINTNEXTLINE(bugprone-use-after-move): HmacSha256 is copy-only, so the source still signs.
  EXPECT_EQ(view(copy.sign("m")), hmac_sha256("shared", "m"));
  copy = HmacSha256("other");
  EXPECT_EQ(view(copy.sign("m")), hmac_sha256("other", "m"));
}

TEST(Digest, KeyedHmacIsSafeAcrossThreads) {
  const HmacSha256 mac("threaded-key");
  std::vector<std::string> messages;
  std::vector<std::string> expected;
  for (int i = 0; i < 50; ++i) {
    messages.push_back("message-" + std::to_string(i) + std::string(static_cast<std::size_t>(i) * 7, 'p'));
    expected.push_back(hmac_sha256("threaded-key", messages.back()));
  }
  std::array<int, 4> mismatches{};
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < mismatches.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (std::size_t i = 0; i < messages.size(); ++i) {
          if (view(mac.sign(messages[i])) != expected[i]) ++mismatches[t];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches, (std::array<int, 4>{}));
}

TEST(Digest, Base64UrlDecodeIntoBuffer) {
  std::array<char, 6> buffer{};
  auto size = base64url_decode("Zm9vYmFy", std::span<char>(buffer));
  ASSERT_EQ(size, std::optional<std::size_t>(6));
  EXPECT_EQ(std::string_view(buffer.data(), *size), "foobar");
  size = base64url_decode("Zm9vYg==", std::span<char>(buffer));
  ASSERT_EQ(size, std::optional<std::size_t>(4));
  EXPECT_EQ(std::string_view(buffer.data(), *size), "foob");
  EXPECT_EQ(base64url_decode("", std::span<char>()), std::optional<std::size_t>(0));
  // Too small a buffer is refused, not overrun.
  EXPECT_EQ(base64url_decode("Zm9vYmFy", std::span<char>(buffer).first(5)), std::nullopt);
  EXPECT_EQ(base64url_decode("Zm9vYmE", std::span<char>(buffer).first(4)), std::nullopt);
  EXPECT_EQ(base64url_decode("Zm9vYmE", std::span<char>(buffer).first(5)), std::optional<std::size_t>(5));
  // Same refusals as the std::string overload.
  for (const std::string_view bad : {"Zm9v+g", "Zm9vY", "Zm9vYg=", "Zm=vYg==", "Zh", "Zm9vYm="}) {
    EXPECT_EQ(base64url_decode(bad, std::span<char>(buffer)), std::nullopt) << bad;
  }
  EXPECT_EQ(base64url_max_decoded_size(0), 0u);
  EXPECT_EQ(base64url_max_decoded_size(2), 1u);
  EXPECT_EQ(base64url_max_decoded_size(3), 2u);
  EXPECT_EQ(base64url_max_decoded_size(4), 3u);
  EXPECT_EQ(base64url_max_decoded_size(43), 32u);  // an HS256 signature
}

// reference_decode is the plain bit-at-a-time decoder the fast one must agree with.
std::optional<std::string> reference_decode(std::string_view text) {
  if (const auto pad = text.find('='); pad != std::string_view::npos) {
    if (text.size() % 4 != 0 || text.size() - pad > 2) return std::nullopt;
    if (text.find_first_not_of('=', pad) != std::string_view::npos) return std::nullopt;
    text = text.substr(0, pad);
  }
  if (text.size() % 4 == 1) return std::nullopt;
  constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string bytes;
  std::uint32_t group = 0;
  unsigned bits = 0;
  for (const char c : text) {
    const auto value = kAlphabet.find(c);
    if (value == std::string_view::npos) return std::nullopt;
    group = (group << 6U) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((group >> bits) & 0xFFU));
    }
  }
  if ((group & ((1U << bits) - 1U)) != 0) return std::nullopt;
  return bytes;
}

TEST(Digest, Base64UrlDecodeAgreesWithReferenceOnRandomInput) {
  std::mt19937 random(20261128);  // fixed seed: a failure reproduces
  const auto pick = [&](std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random);
  };
  // Mostly alphabet characters, so that long texts are often valid; the rest are near misses.
  constexpr std::string_view kValid = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const std::string near_misses = std::string("=+/ .\n~@[`{", 11) + std::string(1, '\0') + "\x80\xff\xc3";
  int accepted = 0;
  int refused = 0;
  for (int round = 0; round < 20'000; ++round) {
    const std::size_t size = pick(70);
    std::string text;
    for (std::size_t i = 0; i < size; ++i) {
      text.push_back(pick(40) == 0 ? near_misses[pick(near_misses.size())] : kValid[pick(kValid.size())]);
    }
    if (pick(4) == 0 && size >= 2) text.replace(size - 1 - pick(2), std::string::npos, pick(2) + 1, '=');
    const auto expected = reference_decode(text);
    std::string out = "untouched";
    ASSERT_EQ(base64url_decode(text, out), expected.has_value()) << text;
    EXPECT_EQ(out, expected.value_or("untouched")) << text;
    std::vector<char> buffer(base64url_max_decoded_size(text.size()));
    const auto size_written = base64url_decode(text, std::span<char>(buffer));
    ASSERT_EQ(size_written.has_value(), expected.has_value()) << text;
    if (expected) {
      EXPECT_EQ(std::string_view(buffer.data(), *size_written), *expected) << text;
      ++accepted;
    } else {
      ++refused;
    }
  }
  // Both outcomes were exercised in bulk, not just by luck.
  EXPECT_GT(accepted, 2'000);
  EXPECT_GT(refused, 2'000);
}

TEST(Digest, Base64UrlRoundTripsRandomBytesOfEveryLength) {
  std::mt19937 random(4648);
  for (std::size_t size = 0; size <= 300; ++size) {
    std::string data;
    for (std::size_t i = 0; i < size; ++i) data.push_back(static_cast<char>(random() & 0xFFU));
    const auto text = base64url_encode(data);
    EXPECT_EQ(text.size(), (size * 4 + 2) / 3) << size;
    std::string decoded;
    ASSERT_TRUE(base64url_decode(text, decoded)) << size;
    EXPECT_EQ(decoded, data) << size;
    ASSERT_EQ(reference_decode(text), data) << size;
    if (!text.empty()) {
      // Changing the last character either changes the bytes or is refused (leftover bits): never the same
      // bytes.
      std::string altered = text;
      altered.back() = altered.back() == 'A' ? 'B' : 'A';
      std::string other;
      if (base64url_decode(altered, other)) {
        EXPECT_NE(other, data) << size;
      }
    }
  }
}

}  // namespace
}  // namespace keel::security
