#include "keel/audit/audit_log.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <vector>

#include "keel/audit/timestamp.hpp"

namespace keel::audit {
namespace {

using db::Param;
using db::Statement;

// Every page and export reads the same columns, in this order.
#define KEEL_AUDIT_COLUMNS "id, at, actor_id, action, target_type, target_id, ip, request_id, outcome, details"

constexpr Statement kInsert{
    "audit.insert",
    "INSERT INTO audit_log (at, actor_id, action, target_type, target_id, ip, request_id, outcome, details) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"};

// The three listing shapes, each walking one index newest first. $1..$5 are
// shared: since, until, cursor time, cursor id, limit. Absent bounds are
// sent as the extreme timestamps, so every shape always has an index range.
constexpr Statement kPageAll{
    "audit.page",
    "SELECT " KEEL_AUDIT_COLUMNS " FROM audit_log "
    "WHERE at >= $1 AND at <= $2 AND (at < $3 OR (at = $3 AND id < $4)) "
    "ORDER BY at DESC, id DESC LIMIT $5"};
constexpr Statement kPageByActor{
    "audit.page_by_actor",
    "SELECT " KEEL_AUDIT_COLUMNS " FROM audit_log "
    "WHERE actor_id = $6 AND at >= $1 AND at <= $2 AND (at < $3 OR (at = $3 AND id < $4)) "
    "AND ($7 IS NULL OR action = $7) "
    "ORDER BY at DESC, id DESC LIMIT $5",
    "SELECT " KEEL_AUDIT_COLUMNS " FROM audit_log "
    "WHERE actor_id = $6 AND at >= $1 AND at <= $2 AND (at < $3 OR (at = $3 AND id < $4)) "
    "AND ($7::text IS NULL OR action = $7::text) "
    "ORDER BY at DESC, id DESC LIMIT $5"};
constexpr Statement kPageByAction{
    "audit.page_by_action",
    "SELECT " KEEL_AUDIT_COLUMNS " FROM audit_log "
    "WHERE action = $6 AND at >= $1 AND at <= $2 AND (at < $3 OR (at = $3 AND id < $4)) "
    "ORDER BY at DESC, id DESC LIMIT $5"};

constexpr Statement kAbout{
    "audit.about_subject",
    "SELECT " KEEL_AUDIT_COLUMNS " FROM audit_log WHERE actor_id = $1 OR target_id = $1 "
    "ORDER BY at, id LIMIT $2"};

constexpr Statement kPseudonymiseActor{
    "audit.pseudonymise_actor", "UPDATE audit_log SET actor_id = $2, ip = NULL WHERE actor_id = $1"};
constexpr Statement kPseudonymiseTarget{
    "audit.pseudonymise_target", "UPDATE audit_log SET target_id = $2, ip = NULL WHERE target_id = $1"};

constexpr Statement kPurge{"audit.purge_before", "DELETE FROM audit_log WHERE at < $1"};

#undef KEEL_AUDIT_COLUMNS

constexpr const Statement* kStatements[] = {&kInsert,  &kPageAll,           &kPageByActor,        &kPageByAction,
                                            &kAbout,   &kPseudonymiseActor, &kPseudonymiseTarget, &kPurge};

constexpr std::string_view kEarliest = "0000-01-01T00:00:00.000Z";
constexpr std::string_view kLatest = "9999-12-31T23:59:59.999Z";
constexpr std::string_view kRedacted = "[redacted]";

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// looks_secret says whether a details member's name suggests a credential.
bool looks_secret(std::string_view name) {
  const std::string key = lower(name);
  static constexpr std::array<std::string_view, 3> kContains = {"password", "secret", "authorization"};
  static constexpr std::array<std::string_view, 6> kExact = {"token",  "access_token", "refresh_token",
                                                             "key",    "api_key",      "cookie"};
  return std::any_of(kContains.begin(), kContains.end(),
                     [&](std::string_view part) { return key.find(part) != std::string::npos; }) ||
         std::find(kExact.begin(), kExact.end(), key) != kExact.end();
}

// redacted copies `value`, replacing members named like secrets, at any depth.
boost::json::value redacted(const boost::json::value& value) {
  if (const auto* object = value.if_object()) {
    boost::json::object out;
    for (const auto& member : *object) {
      out[member.key()] = looks_secret(member.key()) ? boost::json::value(kRedacted) : redacted(member.value());
    }
    return out;
  }
  if (const auto* array = value.if_array()) {
    boost::json::array out;
    for (const auto& element : *array) out.push_back(redacted(element));
    return out;
  }
  return value;
}

RecordedEvent read_row(const db::Row& row) {
  RecordedEvent out;
  out.id = row.get<std::int64_t>("id");
  out.at = row.get<std::string>("at");
  out.event.actor_id = row.get<std::optional<std::string>>("actor_id");
  out.event.action = row.get<std::string>("action");
  out.event.target_type = row.get<std::optional<std::string>>("target_type");
  out.event.target_id = row.get<std::optional<std::string>>("target_id");
  out.event.ip = row.get<std::optional<std::string>>("ip");
  out.event.request_id = row.get<std::optional<std::string>>("request_id");
  out.event.outcome = outcome_from_string(row.get<std::string>("outcome")).value_or(Outcome::failure);
  boost::system::error_code error;
  const auto details = boost::json::parse(row.get<std::string>("details"), error);
  if (!error && details.is_object()) out.event.details = details.as_object();
  return out;
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4U]);
    out.push_back(kDigits[c & 0x0FU]);
  }
  return out;
}

std::optional<std::string> unhex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int high = nibble(text[i]);
    const int low = nibble(text[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
  }
  return out;
}

}  // namespace

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::success: return "success";
    case Outcome::failure: return "failure";
    case Outcome::denied: return "denied";
  }
  return "failure";
}

std::optional<Outcome> outcome_from_string(std::string_view text) {
  for (const Outcome outcome : {Outcome::success, Outcome::failure, Outcome::denied}) {
    if (to_string(outcome) == text) return outcome;
  }
  return std::nullopt;
}

void record(db::Connection& connection, const AuditEvent& event) {
  const std::string details = boost::json::serialize(redacted(event.details));
  connection.execute(kInsert, {now_timestamp(), event.actor_id, event.action, event.target_type, event.target_id,
                               event.ip, event.request_id, to_string(event.outcome), details});
}

void record(db::Database& database, const AuditEvent& event) {
  db::Connection connection = database.acquire();
  record(connection, event);
}

std::string encode_cursor(const Cursor& cursor) { return hex(cursor.at + "|" + std::to_string(cursor.id)); }

std::optional<Cursor> decode_cursor(std::string_view token) {
  if (token.size() > 128) return std::nullopt;
  const auto text = unhex(token);
  if (!text) return std::nullopt;
  const auto bar = text->find('|');
  if (bar == std::string::npos) return std::nullopt;
  Cursor cursor{text->substr(0, bar), 0};
  if (!to_time_point(cursor.at)) return std::nullopt;
  const std::string digits = text->substr(bar + 1);
  if (digits.empty() || digits.size() > 18 ||
      !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return std::nullopt;
  }
  cursor.id = std::stoll(digits);
  return cursor;
}

AuditPage list_events(db::Connection& connection, const AuditFilter& filter, std::int64_t limit,
                      const std::optional<Cursor>& after) {
  // One row more than asked tells whether another page follows.
  std::vector<Param> params{filter.since.value_or(std::string(kEarliest)),
                            filter.until.value_or(std::string(kLatest)),
                            after ? after->at : std::string(kLatest),
                            after ? after->id : std::numeric_limits<std::int64_t>::max(), limit + 1};
  const Statement* statement = &kPageAll;
  if (filter.actor_id) {
    statement = &kPageByActor;
    params.emplace_back(*filter.actor_id);
    params.emplace_back(filter.action);
  } else if (filter.action) {
    statement = &kPageByAction;
    params.emplace_back(*filter.action);
  }
  const db::Result result = connection.execute(*statement, params);
  AuditPage page;
  for (const db::Row& row : result) {
    if (static_cast<std::int64_t>(page.events.size()) == limit) {
      const RecordedEvent& last = page.events.back();
      page.next_cursor = encode_cursor({last.at, last.id});
      break;
    }
    page.events.push_back(read_row(row));
  }
  return page;
}

std::vector<RecordedEvent> events_about(db::Connection& connection, std::string_view subject_id,
                                        std::int64_t limit) {
  std::vector<RecordedEvent> out;
  for (const db::Row& row : connection.execute(kAbout, {subject_id, limit})) out.push_back(read_row(row));
  return out;
}

std::int64_t pseudonymise_actor(db::Connection& connection, std::string_view actor_id,
                                std::string_view pseudonym) {
  return connection.execute(kPseudonymiseActor, {actor_id, pseudonym}).affected_rows() +
         connection.execute(kPseudonymiseTarget, {actor_id, pseudonym}).affected_rows();
}

std::int64_t purge_before(db::Connection& connection, std::string_view before) {
  return connection.execute(kPurge, {before}).affected_rows();
}

boost::json::object to_json(const RecordedEvent& row) {
  auto optional = [](const std::optional<std::string>& value) -> boost::json::value {
    return value ? boost::json::value(*value) : boost::json::value(nullptr);
  };
  return {{"id", std::to_string(row.id)},
          {"at", row.at},
          {"actor_id", optional(row.event.actor_id)},
          {"action", row.event.action},
          {"target_type", optional(row.event.target_type)},
          {"target_id", optional(row.event.target_id)},
          {"ip", optional(row.event.ip)},
          {"request_id", optional(row.event.request_id)},
          {"outcome", to_string(row.event.outcome)},
          {"details", row.event.details}};
}

std::span<const db::Statement* const> statements() { return kStatements; }

}  // namespace keel::audit
