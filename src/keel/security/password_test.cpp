#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "keel/security/password_hasher.hpp"
#include "keel/security/password_policy.hpp"

namespace keel::security {
namespace {

// kCheap is libsodium's floor: microseconds per hash, for tests that are not about cost.
constexpr PasswordHashParameters kCheap{.operations = 1, .memory_bytes = 8U << 10U};

const PasswordHasher& default_hasher() {
  static const PasswordHasher hasher({});
  return hasher;
}

TEST(PasswordHasher, HashIsArgon2idWithOwaspParameters) {
  const auto stored = default_hasher().hash("correct horse battery staple");
  EXPECT_EQ(stored.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << stored;
  EXPECT_NE(stored, default_hasher().hash("correct horse battery staple")) << "each hash has its own salt";
}

TEST(PasswordHasher, VerifyAcceptsRightAndRefusesWrongPassword) {
  const auto stored = default_hasher().hash("correct horse battery staple");
  const auto right = default_hasher().verify(stored, "correct horse battery staple");
  EXPECT_TRUE(right.ok);
  EXPECT_FALSE(right.needs_rehash);
  const auto wrong = default_hasher().verify(stored, "correct horse battery stapler");
  EXPECT_FALSE(wrong.ok);
  EXPECT_FALSE(wrong.needs_rehash);
}

TEST(PasswordHasher, BinaryAndLongPasswordsWork) {
  const PasswordHasher hasher({.parameters = kCheap});
  const std::string with_nul("pass\0word", 9);
  EXPECT_TRUE(hasher.verify(hasher.hash(with_nul), with_nul).ok);
  EXPECT_FALSE(hasher.verify(hasher.hash(with_nul), "pass").ok) << "the NUL byte must not end the password";
  const std::string long_password(10'000, 'x');
  EXPECT_TRUE(hasher.verify(hasher.hash(long_password), long_password).ok);
  EXPECT_FALSE(hasher.verify(hasher.hash(long_password), std::string(9'999, 'x')).ok);
}

TEST(PasswordHasher, CheaperStoredHashNeedsRehash) {
  const PasswordHasher cheap({.parameters = kCheap});
  const auto stored = cheap.hash("pw-1234567890");
  EXPECT_EQ(stored.rfind("$argon2id$v=19$m=8,t=1,p=1$", 0), 0u) << stored;
  const auto check = default_hasher().verify(stored, "pw-1234567890");
  EXPECT_TRUE(check.ok);
  EXPECT_TRUE(check.needs_rehash);
  EXPECT_FALSE(cheap.verify(stored, "pw-1234567890").needs_rehash);
}

TEST(PasswordHasher, MalformedStoredHashIsNotOk) {
  const auto& hasher = default_hasher();
  for (const std::string& stored :
       {std::string(), std::string("not a hash"), std::string("$argon2id$v=19$m=19456,t=2,p=1$"),
        std::string("$argon2id$v=19$m=19456,t=2,p=1$KV5MUbLFTo5RqEZmPfuJQg$"),
        std::string("$argon2id$v=19$m=19456,t=2,p=1$KV5MUbLFTo5RqEZmPfuJQg$63LsKNoMx+yN2BhTswgghA\0x", 73),
        std::string("$2b$12$abcdefghijklmnopqrstuuUOSYBvfQRlsYMxTqUFKnREsjvwXtnhO"),  // bcrypt
        "$argon2id$v=19$m=19456,t=2,p=1$" + std::string(200, 'A')}) {
    const auto check = hasher.verify(stored, "pw");
    EXPECT_FALSE(check.ok) << stored;
    EXPECT_FALSE(check.needs_rehash) << stored;
  }
}

TEST(PasswordHasher, VerifiesHashFromArgon2Cffi) {
  // /usr/bin/python3 -c 'from argon2 import PasswordHasher;
  //   print(PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash("pw"))'   (argon2-cffi 21.1.0)
  constexpr std::string_view kPythonHash =
      "$argon2id$v=19$m=19456,t=2,p=1$KV5MUbLFTo5RqEZmPfuJQg$63LsKNoMx+yN2BhTswgghA";
  EXPECT_TRUE(default_hasher().verify(kPythonHash, "pw").ok);
  EXPECT_FALSE(default_hasher().verify(kPythonHash, "pW").ok);
}

TEST(PasswordHasher, RefusesParametersBelowLibsodiumMinimum) {
  EXPECT_THROW(PasswordHasher({.parameters = {.operations = 0, .memory_bytes = 8U << 10U}}),
               std::invalid_argument);
  EXPECT_THROW(PasswordHasher({.parameters = {.operations = 1, .memory_bytes = 1024}}),
               std::invalid_argument);
  EXPECT_THROW(PasswordHasher({.parameters = kCheap, .max_concurrent = 0}), std::invalid_argument);
}

TEST(PasswordHasher, VerifyDummyRunsAndLeavesHasherUsable) {
  const PasswordHasher hasher({.parameters = kCheap});
  hasher.verify_dummy("attempt");
  hasher.verify_dummy("another attempt");
  EXPECT_TRUE(hasher.verify(hasher.hash("pw"), "pw").ok);
}

TEST(PasswordHasher, BusyWhenEverySlotIsTaken) {
  // One slot, 1 ms patience. A background thread holds the slot with an
  // expensive hash; meanwhile this thread keeps asking with verifies of a
  // near-free hash (their cost comes from the stored hash's own parameters),
  // so the first attempt that lands while the slot is held must see HasherBusy.
  const PasswordHasher hasher({.parameters = {.operations = 2, .memory_bytes = 32U << 20U},
                               .max_concurrent = 1,
                               .queue_timeout = std::chrono::milliseconds(1)});
  const auto cheap_hash = PasswordHasher({.parameters = kCheap}).hash("pw");

  std::atomic<bool> slow_done = false;
  std::thread slow([&] {
    // This thread may itself find the slot briefly taken by a cheap verify below; it just asks again.
    for (bool hashed = false; !hashed;) {
      try {
        static_cast<void>(hasher.hash("slow"));
        hashed = true;
      } catch (const HasherBusy&) {
      }
    }
    slow_done = true;
  });
  // Only two threads use the hasher, so HasherBusy here means the slow hash holds the slot.
  bool saw_busy = false;
  bool busy_from_dummy = false;
  while (!slow_done && !saw_busy) {
    try {
      EXPECT_TRUE(hasher.verify(cheap_hash, "pw").ok);
    } catch (const HasherBusy&) {
      saw_busy = true;
      try {
        hasher.verify_dummy("pw");  // also queues for a slot (here: for making its dummy hash)
      } catch (const HasherBusy&) {
        busy_from_dummy = true;
      }
    }
  }
  slow.join();
  EXPECT_TRUE(saw_busy);
  EXPECT_TRUE(busy_from_dummy);
  // The slot comes back once the slow hash finishes.
  EXPECT_TRUE(hasher.verify(cheap_hash, "pw").ok);
  EXPECT_NO_THROW(hasher.verify_dummy("pw"));
}

TEST(PasswordHasher, QueuedCallersGetThroughWhenSlotsFree) {
  const PasswordHasher hasher(
      {.parameters = kCheap, .max_concurrent = 1, .queue_timeout = std::chrono::seconds(5)});
  const auto stored = hasher.hash("pw");
  std::atomic<int> ok_count = 0;
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 5; ++j) ok_count += hasher.verify(stored, "pw").ok ? 1 : 0;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok_count, 40);
}

// --- policy ---

PasswordVerdict check(std::string_view password, std::string_view email = "someone@example.com",
                      std::string_view full_name = "") {
  return check_password(password, {.email = email, .full_name = full_name}, PasswordPolicy{});
}

TEST(PasswordPolicy, CommonPatternsAreTooWeak) {
  for (const char* password : {"password1234", "passwordpassword", "qwertyuiop123", "123456789012"}) {
    const auto verdict = check(password);
    EXPECT_FALSE(verdict.ok) << password;
    EXPECT_EQ(verdict.type, "password_too_weak") << password;
    EXPECT_EQ(verdict.message, "Password is too easy to guess; add more words.");
  }
}

TEST(PasswordPolicy, RandomLowercaseAndPassphrasesAreAccepted) {
  EXPECT_TRUE(check("xkqzmvbtwhrplgdn").ok);
  EXPECT_TRUE(check("correct horse battery staple").ok);
  std::mt19937 generator(2026);
  std::uniform_int_distribution<int> letter('a', 'z');
  for (int i = 0; i < 5; ++i) {
    std::string password;
    for (int j = 0; j < 16; ++j) password.push_back(static_cast<char>(letter(generator)));
    const auto verdict = check(password);
    EXPECT_TRUE(verdict.ok) << password << ": " << verdict.type;
  }
}

TEST(PasswordPolicy, LengthLimits) {
  const auto short_verdict = check("Xk9#mQ2!vL7");  // 11 characters
  EXPECT_FALSE(short_verdict.ok);
  EXPECT_EQ(short_verdict.type, "password_too_short");
  EXPECT_EQ(short_verdict.message, "Password must be at least 12 characters.");
  EXPECT_TRUE(check("Xk9#mQ2!vL7z").ok);

  std::string long_password;
  std::mt19937 generator(7);
  std::uniform_int_distribution<int> letter('a', 'z');
  for (int i = 0; i < 128; ++i) long_password.push_back(static_cast<char>(letter(generator)));
  EXPECT_TRUE(check(long_password).ok);
  const auto too_long = check(long_password + "q");
  EXPECT_FALSE(too_long.ok);
  EXPECT_EQ(too_long.type, "password_too_long");
  EXPECT_EQ(too_long.message, "Password must be at most 128 characters.");
}

TEST(PasswordPolicy, LengthCountsCodePointsNotBytes) {
  constexpr std::string_view kPassphrase = "Grüße aus München 2026!";  // 23 code points, 26 bytes
  ASSERT_EQ(kPassphrase.size(), 26u);
  EXPECT_TRUE(check(kPassphrase).ok);
  EXPECT_TRUE(check_password(kPassphrase, {}, {.min_length = 23, .max_length = 23}).ok);
  EXPECT_EQ(check_password(kPassphrase, {}, {.min_length = 24}).type, "password_too_short");
  EXPECT_EQ(check_password(kPassphrase, {}, {.max_length = 22}).type, "password_too_long");
  // 11 two-byte letters are 22 bytes but still too short; 129 four-byte emoji are too long.
  std::string umlauts;
  for (int i = 0; i < 11; ++i) umlauts += "ü";
  EXPECT_EQ(check(umlauts).type, "password_too_short");
  std::string emoji;
  for (int i = 0; i < 129; ++i) emoji += "\xF0\x9F\x94\x91";  // U+1F511 key
  EXPECT_EQ(check(emoji).type, "password_too_long");
}

TEST(PasswordPolicy, EmailLocalPartIsBanned) {
  const auto verdict = check("my-annlee-password-2026", "annlee@example.com");
  EXPECT_FALSE(verdict.ok);
  EXPECT_EQ(verdict.type, "password_contains_email");
  EXPECT_EQ(check("My-AnnLee-Password-2026", "ANNLEE@example.com").type, "password_contains_email");
  EXPECT_TRUE(check("my-annlee-password-2026", "someone@example.com").ok);
  // Local parts shorter than 3 characters are too common a substring to ban.
  EXPECT_TRUE(check("al dente pasta recipes", "al@example.com").ok);
}

TEST(PasswordPolicy, OwnersWordsLowerTheEstimate) {
  // Strong for strangers, weak for the account whose name or domain it is.
  EXPECT_TRUE(check("OxenstiernaBrunhilde").ok);
  EXPECT_EQ(check("OxenstiernaBrunhilde", "bo@example.com", "Brunhilde Oxenstierna").type,
            "password_too_weak");
  EXPECT_TRUE(check("zorbaquex1234").ok);
  EXPECT_EQ(check("zorbaquex1234", "bo@zorbaquex.com").type, "password_too_weak");
}

TEST(PasswordPolicy, EntropyFloorIsConfigurable) {
  EXPECT_TRUE(check_password("password1234", {}, {.min_entropy_bits = 0}).ok);
  EXPECT_EQ(check_password("xkqzmvbtwhrplgdn", {}, {.min_entropy_bits = 200}).type, "password_too_weak");
}

}  // namespace
}  // namespace keel::security
