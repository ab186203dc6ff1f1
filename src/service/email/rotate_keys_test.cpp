#include "service/email/rotate_keys.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "keel/db/migrations.hpp"
#include "keel/db/test_fixture.hpp"
#include "keel/jobs/jobs_sql.hpp"
#include "keel/jobs/queue.hpp"
#include "service/email/email_payload.hpp"
#include "service/email/email_sender.hpp"

namespace service {
namespace {

using keel::db::Statement;
using keel::db::testing::DialectTest;
using keel::db::testing::TestDatabase;
using keel::security::DataCipher;
using keel::security::DataKey;

DataKey key_of(std::string id, std::uint8_t fill) {
  DataKey key{std::move(id), {}};
  key.key.fill(fill);
  return key;
}

const EmailPayload kReset{
    "password_reset", "ada@example.com", {{"token", "secret-token"}, {"app_name", "Keel"}}};

TEST(EmailPayload, SealsTheVariablesAndOpensThem) {
  const DataCipher cipher({key_of("k1", 1)});
  const std::string json = seal_email_payload(cipher, kReset, "p-1");
  EXPECT_EQ(json.find("secret-token"), std::string::npos) << json;
  const auto stored = parse_email_payload(json);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->template_name, "password_reset");
  EXPECT_EQ(stored->to, "ada@example.com");
  EXPECT_EQ(stored->payload_id, "p-1");
  EXPECT_TRUE(stored->sealed_variables.starts_with("v1.k1.")) << stored->sealed_variables;
  const auto opened = open_email_payload(cipher, *stored);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->variables, kReset.variables);
}

TEST(EmailPayload, TheCiphertextIsBoundToItsIdTemplateAndRecipient) {
  const DataCipher cipher({key_of("k1", 1)});
  const auto stored = parse_email_payload(seal_email_payload(cipher, kReset, "p-1"));
  ASSERT_TRUE(stored);
  for (auto edit : std::vector<void (*)(StoredEmailPayload&)>{
           [](StoredEmailPayload& s) { s.payload_id = "p-2"; },
           [](StoredEmailPayload& s) { s.template_name = "verify_email"; },
           [](StoredEmailPayload& s) { s.to = "eve@example.com"; }}) {
    StoredEmailPayload edited = *stored;
    edit(edited);
    EXPECT_EQ(open_email_payload(cipher, edited), std::nullopt);
  }
  EXPECT_EQ(open_email_payload(DataCipher({key_of("k2", 1)}), *stored), std::nullopt);
}

TEST(EmailPayload, LegacyPlaintextPayloadsStillParse) {
  const auto stored = parse_email_payload(
      R"({"template":"password_reset","to":"ada@example.com","variables":{"token":"t"}})");
  ASSERT_TRUE(stored);
  ASSERT_TRUE(stored->plain_variables);
  const auto opened = open_email_payload(DataCipher({key_of("k1", 1)}), *stored);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->variables.at("token"), "t");
}

TEST(EmailPayload, OtherJsonIsNoEmailPayload) {
  EXPECT_EQ(parse_email_payload("not json"), std::nullopt);
  EXPECT_EQ(parse_email_payload("[]"), std::nullopt);
  EXPECT_EQ(parse_email_payload(R"({"template":"x"})"), std::nullopt);
  EXPECT_EQ(parse_email_payload(R"({"template":"x","to":"y"})"), std::nullopt);
  EXPECT_EQ(parse_email_payload(R"({"template":"x","to":"y","variables":{"n":1}})"), std::nullopt);
}

constexpr Statement kPayloadsInIdOrder{"test.email_payloads", "SELECT payload FROM jobs ORDER BY id"};
constexpr Statement kKillAll{"test.kill_jobs", "UPDATE jobs SET state = 'dead'"};
constexpr Statement kFinishAll{"test.finish_jobs", "UPDATE jobs SET state = 'succeeded'"};
constexpr const Statement* kTestStatements[] = {&kPayloadsInIdOrder, &kKillAll, &kFinishAll};

class RotateKeysTest : public DialectTest {
 protected:
  void SetUp() override {
    DialectTest::SetUp();
    if (IsSkipped()) return;
    database_ =
        std::make_unique<TestDatabase>(GetParam(), keel::db::DatabaseOptions{.enforce_catalog = true});
    keel::db::migrations::up(db());
    db().register_statements(keel::jobs::kJobStatements);
    db().register_statements(kTestStatements);
  }

  keel::db::Database& db() { return database_->db(); }

  void send_emails(const DataCipher& cipher, int count) {
    QueuedEmailSender sender(db(), cipher);
    for (int i = 0; i < count; ++i)
      sender.send("verify_email", "u" + std::to_string(i) + "@example.com", {{"token", "t"}});
  }

  void enqueue_raw(const std::string& payload) {
    db().in_transaction([&](keel::db::Connection& c) {
      keel::jobs::enqueue(c, {.kind = std::string(kEmailJobKind), .payload_json = payload});
    });
  }

  std::vector<std::string> payloads() {
    std::vector<std::string> out;
    auto connection = db().acquire();
    for (const auto& row : connection.execute(kPayloadsInIdOrder)) out.push_back(row.get<std::string>(0));
    return out;
  }

  void run(keel::db::Statement const& statement) {
    db().in_transaction([&](auto& c) { c.execute(statement); });
  }

  std::unique_ptr<TestDatabase> database_;
};

TEST_P(RotateKeysTest, ReSealsEveryPendingEmailInBatches) {
  const DataCipher old_cipher({key_of("old", 1)});
  send_emails(old_cipher, 5);
  enqueue_raw(R"({"template":"verify_email","to":"legacy@example.com","variables":{"token":"legacy"}})");
  const DataCipher rotated({key_of("new", 2), key_of("old", 1)});
  std::vector<RotationReport> batches;
  const auto total =
      rotate_email_keys(db(), rotated, 4, [&](const RotationReport& b) { batches.push_back(b); });
  EXPECT_EQ(total.scanned, 6);
  EXPECT_EQ(total.resealed, 6);
  EXPECT_EQ(total.unreadable, 0);
  ASSERT_EQ(batches.size(), 2U);
  EXPECT_EQ(batches[0].scanned, 4);
  EXPECT_EQ(batches[1].scanned, 2);
  const DataCipher only_new({key_of("new", 2)});
  for (const auto& json : payloads()) {
    const auto stored = parse_email_payload(json);
    ASSERT_TRUE(stored) << json;
    EXPECT_TRUE(only_new.is_current(stored->sealed_variables)) << json;
    EXPECT_TRUE(open_email_payload(only_new, *stored)) << json;
    EXPECT_EQ(json.find("legacy\""), std::string::npos) << json;
  }
  EXPECT_EQ(rotate_email_keys(db(), rotated, 4).already_current, 6);
}

TEST_P(RotateKeysTest, DeadJobsAreRotatedAndFinishedOnesLeftAlone) {
  const DataCipher old_cipher({key_of("old", 1)});
  send_emails(old_cipher, 2);
  run(kKillAll);
  EXPECT_EQ(rotate_email_keys(db(), DataCipher({key_of("new", 2), key_of("old", 1)}), 10).resealed, 2);
  send_emails(old_cipher, 1);
  run(kFinishAll);
  EXPECT_EQ(rotate_email_keys(db(), DataCipher({key_of("newer", 3)}), 10).scanned, 0);
}

TEST_P(RotateKeysTest, StartUpCheckNamesAMissingOrWrongKey) {
  send_emails(DataCipher({key_of("old", 1)}), 2);
  send_emails(DataCipher({key_of("new", 2)}), 1);
  EXPECT_EQ(check_stored_email_keys(db(), DataCipher({key_of("new", 2), key_of("old", 1)})), std::nullopt);
  const auto missing = check_stored_email_keys(db(), DataCipher({key_of("new", 2)}));
  ASSERT_TRUE(missing);
  EXPECT_NE(missing->find("lacks key id 'old'"), std::string::npos) << *missing;
  const auto wrong = check_stored_email_keys(db(), DataCipher({key_of("new", 2), key_of("old", 9)}));
  ASSERT_TRUE(wrong);
  EXPECT_NE(wrong->find("key id 'old' does not decrypt"), std::string::npos) << *wrong;
}

TEST_P(RotateKeysTest, UnreadablePayloadsAreCountedAndLeftUnchanged) {
  send_emails(DataCipher({key_of("lost", 7)}), 1);
  const auto before = payloads();
  const auto total = rotate_email_keys(db(), DataCipher({key_of("new", 2)}), 10);
  EXPECT_EQ(total.unreadable, 1);
  EXPECT_EQ(total.resealed, 0);
  EXPECT_EQ(payloads(), before);
}

KEEL_DB_BOTH_DIALECTS(RotateKeysTest);

}  // namespace
}  // namespace service
