#include "keel/audit/audit_log.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "keel/audit/timestamp.hpp"
#include "keel/db/catalog.hpp"
#include "keel/db/migrations.hpp"
#include "keel/db/test_fixture.hpp"

namespace keel::audit {
namespace {

using db::testing::DialectTest;
using db::testing::TestDatabase;

class AuditLogTest : public DialectTest {
 protected:
  void SetUp() override {
    DialectTest::SetUp();
    if (IsSkipped()) return;
    database_ = std::make_unique<TestDatabase>(GetParam());
    db::migrations::up(database_->db());
    database_->db().register_statements(statements());
  }

  db::Database& db() { return database_->db(); }

  // add records an event with only the interesting members set.
  void add(std::string action, std::optional<std::string> actor, std::optional<std::string> target = {}) {
    record(db(), AuditEvent{.action = std::move(action), .actor_id = std::move(actor), .target_type = "user",
                            .target_id = std::move(target), .ip = "203.0.113.7", .request_id = "req-1"});
  }

  std::vector<RecordedEvent> all(const AuditFilter& filter = {}) {
    auto connection = db().acquire();
    return list_events(connection, filter, 100, std::nullopt).events;
  }

  std::unique_ptr<TestDatabase> database_;
};

TEST_P(AuditLogTest, RecordsEveryMemberAndRedactsSecretsInDetails) {
  boost::json::object details{{"name", "ci key"},
                              {"password", "hunter2hunter2"},
                              {"nested", boost::json::object{{"refresh_token", "abc"}, {"scopes", "profile"}}},
                              {"Client_Secret", "s3cr3t"}};
  record(db(), AuditEvent{.action = "api_key.create", .outcome = Outcome::denied, .actor_id = "u1",
                          .target_type = "api_key", .target_id = "k1", .ip = "198.51.100.1",
                          .request_id = "r-42", .details = details});
  const auto rows = all();
  ASSERT_EQ(rows.size(), 1U);
  const auto json = to_json(rows[0]);
  EXPECT_EQ(json.at("action"), "api_key.create");
  EXPECT_EQ(json.at("outcome"), "denied");
  EXPECT_EQ(json.at("actor_id"), "u1");
  EXPECT_EQ(json.at("target_type"), "api_key");
  EXPECT_EQ(json.at("target_id"), "k1");
  EXPECT_EQ(json.at("ip"), "198.51.100.1");
  EXPECT_EQ(json.at("request_id"), "r-42");
  EXPECT_TRUE(json.at("id").is_string());
  EXPECT_TRUE(to_time_point(json.at("at").as_string()).has_value());
  const auto& stored = json.at("details").as_object();
  EXPECT_EQ(stored.at("name"), "ci key");
  EXPECT_EQ(stored.at("password"), "[redacted]");
  EXPECT_EQ(stored.at("Client_Secret"), "[redacted]");
  EXPECT_EQ(stored.at("nested").as_object().at("refresh_token"), "[redacted]");
  EXPECT_EQ(stored.at("nested").as_object().at("scopes"), "profile");
  EXPECT_EQ(boost::json::serialize(json).find("hunter2"), std::string::npos);
}

TEST_P(AuditLogTest, NullMembersStayNull) {
  record(db(), AuditEvent{.action = "auth.login", .outcome = Outcome::failure});
  const auto json = to_json(all().at(0));
  EXPECT_TRUE(json.at("actor_id").is_null());
  EXPECT_TRUE(json.at("target_id").is_null());
  EXPECT_TRUE(json.at("ip").is_null());
  EXPECT_EQ(json.at("details"), boost::json::object{});
}

TEST_P(AuditLogTest, JoinsTheCallersTransaction) {
  {
    auto connection = db().acquire();
    db::Transaction transaction(connection);
    record(connection, AuditEvent{.action = "rolled.back"});
  }  // rolled back
  db().in_transaction([](db::Connection& connection) { record(connection, AuditEvent{.action = "committed"}); });
  const auto rows = all();
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].event.action, "committed");
}

TEST_P(AuditLogTest, FiltersByActorActionAndTime) {
  add("auth.login", "alice");
  add("auth.login", "bob");
  add("api_key.create", "alice");
  add("auth.logout", "alice");
  EXPECT_EQ(all({.actor_id = "alice"}).size(), 3U);
  EXPECT_EQ(all({.action = "auth.login"}).size(), 2U);
  const auto both = all({.actor_id = "alice", .action = "auth.login"});
  ASSERT_EQ(both.size(), 1U);
  EXPECT_EQ(both[0].event.actor_id, "alice");
  EXPECT_EQ(both[0].event.action, "auth.login");
  EXPECT_TRUE(all({.actor_id = "nobody"}).empty());
  EXPECT_EQ(all({.since = "2000-01-01T00:00:00.000Z", .until = "9000-01-01T00:00:00.000Z"}).size(), 4U);
  EXPECT_TRUE(all({.since = "9000-01-01T00:00:00.000Z"}).empty());
  EXPECT_TRUE(all({.until = "2000-01-01T00:00:00.000Z"}).empty());
  EXPECT_TRUE(all({.action = "auth.login", .until = "2000-01-01T00:00:00.000Z"}).empty());
}

TEST_P(AuditLogTest, PagesNewestFirstWithoutGapsOrRepeats) {
  for (int i = 0; i < 7; ++i) add("step." + std::to_string(i), "alice");
  std::vector<std::string> seen;
  std::optional<Cursor> after;
  int pages = 0;
  auto connection = db().acquire();
  do {
    const auto page = list_events(connection, {.actor_id = "alice"}, 3, after);
    for (const auto& row : page.events) seen.push_back(row.event.action);
    ++pages;
    after = page.next_cursor ? decode_cursor(*page.next_cursor) : std::nullopt;
    if (page.next_cursor) {
      ASSERT_TRUE(after.has_value());
    }
    // A row added meanwhile (newer) must not appear on later pages.
    if (pages == 1) add("late", "alice");
  } while (after && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"step.6", "step.5", "step.4", "step.3", "step.2", "step.1", "step.0"}));
}

TEST_P(AuditLogTest, ExactLastPageHasNoCursor) {
  for (int i = 0; i < 3; ++i) add("x", "alice");
  auto connection = db().acquire();
  const auto page = list_events(connection, {}, 3, std::nullopt);
  EXPECT_EQ(page.events.size(), 3U);
  EXPECT_FALSE(page.next_cursor.has_value());
}

TEST(AuditCursor, RoundTripsAndRefusesGarbage) {
  const Cursor cursor{"2026-11-27T09:05:07.042Z", 12345};
  const auto token = encode_cursor(cursor);
  const auto back = decode_cursor(token);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->at, cursor.at);
  EXPECT_EQ(back->id, 12345);
  for (const char* bad : {"", "zz", "abc", "7c", "323032367c31", "not a cursor at all"}) {
    EXPECT_FALSE(decode_cursor(bad).has_value()) << bad;
  }
  EXPECT_FALSE(decode_cursor(std::string(200, 'a')).has_value());
}

TEST_P(AuditLogTest, EventsAboutCoverActorAndTarget) {
  add("auth.login", "alice");
  add("admin.user_update", "admin", "alice");
  add("auth.login", "bob");
  auto connection = db().acquire();
  const auto rows = events_about(connection, "alice", 100);
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].event.action, "auth.login");
  EXPECT_EQ(rows[1].event.action, "admin.user_update");
}

TEST_P(AuditLogTest, PseudonymiseReplacesTheIdAndDropsAddresses) {
  add("auth.login", "alice");
  add("admin.user_update", "admin", "alice");
  add("auth.login", "bob");
  std::int64_t changed = 0;
  db().in_transaction([&](db::Connection& c) { changed = pseudonymise_actor(c, "alice", "deleted-user-1f2e"); });
  EXPECT_EQ(changed, 2);
  auto connection = db().acquire();
  EXPECT_TRUE(events_about(connection, "alice", 100).empty());
  const auto rows = events_about(connection, "deleted-user-1f2e", 100);
  ASSERT_EQ(rows.size(), 2U);
  for (const auto& row : rows) EXPECT_FALSE(row.event.ip.has_value());
  EXPECT_EQ(rows[1].event.actor_id, "admin");
  const auto bob = all({.actor_id = "bob"});
  ASSERT_EQ(bob.size(), 1U);
  EXPECT_EQ(bob[0].event.ip, "203.0.113.7");
}

TEST_P(AuditLogTest, PurgeDeletesOnlyOlderRows) {
  add("old", "alice");
  auto connection = db().acquire();
  EXPECT_EQ(purge_before(connection, "2000-01-01T00:00:00.000Z"), 0);
  EXPECT_EQ(purge_before(connection, "9999-01-01T00:00:00.000Z"), 1);
  EXPECT_TRUE(all().empty());
}

TEST_P(AuditLogTest, EveryStatementUsesAnIndex) {
  auto connection = db().acquire();
  const std::vector<std::string> watched{"audit_log"};
  const auto report = db::explain_statements(connection, statements(), watched);
  EXPECT_TRUE(report.ok()) << report.summary();
}

TEST(AuditOutcome, RoundTrips) {
  for (const Outcome outcome : {Outcome::success, Outcome::failure, Outcome::denied}) {
    EXPECT_EQ(outcome_from_string(to_string(outcome)), outcome);
  }
  EXPECT_FALSE(outcome_from_string("maybe").has_value());
}

KEEL_DB_BOTH_DIALECTS(AuditLogTest);

}  // namespace
}  // namespace keel::audit
