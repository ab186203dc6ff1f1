#include <gtest/gtest.h>
#include <sodium.h>

#include <stdexcept>
#include <string>

#include "keel/security/data_cipher.hpp"
#include "keel/security/digest.hpp"

namespace keel::security {
namespace {

DataKey key_of(std::string id, std::uint8_t fill) {
  DataKey key{std::move(id), {}};
  key.key.fill(fill);
  return key;
}

TEST(DataCipher, SealsIntoTheDocumentedFormatAndOpens) {
  const DataCipher cipher({key_of("k1", 1)});
  const std::string sealed = cipher.seal("reset-token-123", "job-42");
  ASSERT_TRUE(sealed.starts_with("v1.k1.")) << sealed;
  EXPECT_EQ(sealed.find("reset-token-123"), std::string::npos);
  EXPECT_EQ(cipher.open(sealed, "job-42"), "reset-token-123");
  EXPECT_EQ(sealed_key_id(sealed), "k1");
}

TEST(DataCipher, IsXChaCha20Poly1305WithTheNonceFirst) {
  const DataKey key = key_of("k1", 7);
  const DataCipher cipher({key});
  const std::string sealed = cipher.seal("plain", "ad");
  std::string box;
  ASSERT_TRUE(base64url_decode(sealed.substr(std::string_view("v1.k1.").size()), box));
  ASSERT_EQ(box.size(), 24U + 5U + 16U);
  std::string plain(5, '\0');
  unsigned long long written = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(box.data());
  ASSERT_EQ(crypto_aead_xchacha20poly1305_ietf_decrypt(
                reinterpret_cast<unsigned char*>(plain.data()), &written, nullptr, in + 24, box.size() - 24,
                reinterpret_cast<const unsigned char*>("ad"), 2, in, key.key.data()),
            0);
  EXPECT_EQ(plain, "plain");
}

TEST(DataCipher, EverySealUsesAFreshNonce) {
  const DataCipher cipher({key_of("k1", 1)});
  EXPECT_NE(cipher.seal("same", "ad"), cipher.seal("same", "ad"));
}

TEST(DataCipher, EmptyPlaintextRoundTrips) {
  const DataCipher cipher({key_of("k1", 1)});
  EXPECT_EQ(cipher.open(cipher.seal("", ""), ""), "");
}

TEST(DataCipher, TamperedCiphertextDoesNotOpen) {
  const DataCipher cipher({key_of("k1", 1)});
  const std::string sealed = cipher.seal("secret value", "row-1");
  for (std::size_t i = std::string_view("v1.k1.").size(); i < sealed.size(); ++i) {
    std::string tampered = sealed;
    tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(cipher.open(tampered, "row-1"), std::nullopt) << "position " << i;
  }
  EXPECT_EQ(cipher.open(sealed.substr(0, sealed.size() - 4), "row-1"), std::nullopt);
  EXPECT_EQ(cipher.open("v1.k1.", "row-1"), std::nullopt);
  EXPECT_EQ(cipher.open("v1.k1.!!!!", "row-1"), std::nullopt);
  EXPECT_EQ(cipher.open("secret value", "row-1"), std::nullopt);
}

TEST(DataCipher, WrongAssociatedDataDoesNotOpen) {
  const DataCipher cipher({key_of("k1", 1)});
  const std::string sealed = cipher.seal("secret", "row-1");
  EXPECT_EQ(cipher.open(sealed, "row-2"), std::nullopt);
  EXPECT_EQ(cipher.open(sealed, ""), std::nullopt);
  EXPECT_EQ(cipher.open(sealed, "row-1"), "secret");
}

TEST(DataCipher, RotationKeepsOldValuesReadableAndSealsUnderTheNewKey) {
  const DataCipher before({key_of("old", 1)});
  const std::string old_sealed = before.seal("secret", "row-1");
  const DataCipher after({key_of("new", 2), key_of("old", 1)});
  EXPECT_EQ(after.open(old_sealed, "row-1"), "secret");
  EXPECT_FALSE(after.is_current(old_sealed));
  const std::string resealed = after.seal("secret", "row-1");
  EXPECT_TRUE(resealed.starts_with("v1.new.")) << resealed;
  EXPECT_TRUE(after.is_current(resealed));
  EXPECT_EQ(after.current_key_id(), "new");
  EXPECT_EQ(after.key_ids(), (std::vector<std::string>{"new", "old"}));
  // Once the old key is removed, only the re-sealed value opens.
  const DataCipher only_new({key_of("new", 2)});
  EXPECT_EQ(only_new.open(old_sealed, "row-1"), std::nullopt);
  EXPECT_EQ(only_new.open(resealed, "row-1"), "secret");
}

TEST(DataCipher, UnknownKeyIdDoesNotOpen) {
  const DataCipher writer({key_of("k1", 1)});
  const DataCipher reader({key_of("k2", 1)});  // same bytes, other id: the id decides
  const std::string sealed = writer.seal("secret", "row-1");
  EXPECT_EQ(reader.open(sealed, "row-1"), std::nullopt);
  EXPECT_FALSE(reader.has_key("k1"));
  EXPECT_TRUE(writer.has_key("k1"));
}

TEST(DataCipher, SameIdWithOtherBytesDoesNotOpen) {
  const DataCipher writer({key_of("k1", 1)});
  const DataCipher reader({key_of("k1", 9)});
  EXPECT_EQ(reader.open(writer.seal("secret", "row-1"), "row-1"), std::nullopt);
}

TEST(DataCipher, KeyIdsMayContainDots) {
  const DataCipher cipher({key_of("2026.11-a_b", 3)});
  const std::string sealed = cipher.seal("x", "ad");
  EXPECT_EQ(sealed_key_id(sealed), "2026.11-a_b");
  EXPECT_EQ(cipher.open(sealed, "ad"), "x");
}

TEST(DataCipher, SealedKeyIdRejectsOtherShapes) {
  EXPECT_EQ(sealed_key_id("plain text"), std::nullopt);
  EXPECT_EQ(sealed_key_id("v2.k1.AAAA"), std::nullopt);
  EXPECT_EQ(sealed_key_id("v1.AAAA"), std::nullopt);
  EXPECT_EQ(sealed_key_id("v1..AAAA"), std::nullopt);
  EXPECT_EQ(sealed_key_id("v1.k 1.AAAA"), std::nullopt);
}

TEST(DataCipher, RefusesBadKeySets) {
  EXPECT_THROW(DataCipher({}), std::invalid_argument);
  EXPECT_THROW(DataCipher({key_of("k1", 1), key_of("k1", 2)}), std::invalid_argument);
  EXPECT_THROW(DataCipher({key_of("", 1)}), std::invalid_argument);
  EXPECT_THROW(DataCipher({key_of("has space", 1)}), std::invalid_argument);
  EXPECT_THROW(DataCipher({key_of(std::string(65, 'k'), 1)}), std::invalid_argument);
}

}  // namespace
}  // namespace keel::security
