// keel/audit/audit_log.hpp — the audit log: who did what to whom, when, from where, and how it went.
//
// Sensitive operations (logins, password and key changes, admin actions,
// account deletion, data export) each write one row of `audit_log`
// (migration 0005_api_keys_audit). A row written on the caller's connection
// joins the caller's open transaction, so an operation and its audit record
// commit or roll back together; a failed audit write fails the operation.
// Rows are read newest first with keyset pagination, filtered by actor,
// action and time; on account deletion the person's id and addresses are
// replaced by a pseudonym (the record of what happened stays).
//
//   keel::audit::record(connection, {.action = "api_key.create", .actor_id = user_id,
//                                    .target_type = "api_key", .target_id = key_id,
//                                    .ip = client_ip, .request_id = request_id,
//                                    .details = {{"name", name}}});
//   auto page = keel::audit::list_events(db.acquire_read(), {.action = "auth.login"}, 50, std::nullopt);
//   for (const auto& row : page.events) out.push_back(keel::audit::to_json(row));
//   // page.next_cursor → decode_cursor() on the next request
//
// The statements live in statements(); register them with the Database at
// start-up (the catalog's EXPLAIN test checks each uses an index).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "keel/db/database.hpp"

namespace keel::audit {

// Outcome is how the audited attempt ended.
enum class Outcome : std::uint8_t {
  success,  // it happened
  failure,  // it was attempted and failed (bad password, expired token)
  denied,   // the caller was not allowed to (scope, ownership, self-demotion)
};

// to_string returns "success", "failure" or "denied".
std::string_view to_string(Outcome outcome);
// outcome_from_string reads to_string's output back.
std::optional<Outcome> outcome_from_string(std::string_view text);

// AuditEvent is one thing worth remembering. `details` is free-form context
// (names, changed fields, counts) and must never hold a secret: members named
// like one (password, secret, token, key, authorization, cookie) are stored
// as "[redacted]" regardless of their value.
struct AuditEvent {
  std::string action{};                       // dotted verb, e.g. "auth.login", "admin.user_update"
  Outcome outcome = Outcome::success;
  std::optional<std::string> actor_id{};      // who acted (a user id; empty when unknown)
  std::optional<std::string> target_type{};   // what kind of thing was acted on ("user", "api_key")
  std::optional<std::string> target_id{};     // which one
  std::optional<std::string> ip{};            // the client's address
  std::optional<std::string> request_id{};    // ties the row to the request's log lines
  boost::json::object details{};
};

// RecordedEvent is an AuditEvent as stored: with its id and time.
struct RecordedEvent {
  std::int64_t id = 0;  // increasing in insertion order
  std::string at;       // keel/audit/timestamp.hpp's stored form
  AuditEvent event;
};

// record stores `event` through `connection`, inside its open transaction if any.
// Throws db::DatabaseError.
void record(db::Connection& connection, const AuditEvent& event);
// record stores `event` on its own (autocommit) connection. Throws db::DatabaseError.
void record(db::Database& database, const AuditEvent& event);

// Cursor is the position after the last row of a page (rows go newest first).
struct Cursor {
  std::string at;
  std::int64_t id = 0;
};

// encode_cursor renders a cursor as an opaque token for clients.
std::string encode_cursor(const Cursor& cursor);
// decode_cursor reads encode_cursor's output; std::nullopt for anything else.
std::optional<Cursor> decode_cursor(std::string_view token);

// AuditFilter narrows a listing; every set member must match. since/until
// are stored-form timestamps (parse_timestamp), both inclusive.
struct AuditFilter {
  std::optional<std::string> actor_id{};
  std::optional<std::string> action{};
  std::optional<std::string> since{};
  std::optional<std::string> until{};
};

// AuditPage is one page of a listing.
struct AuditPage {
  std::vector<RecordedEvent> events;
  std::optional<std::string> next_cursor;  // set when more rows may follow
};

// list_events returns up to `limit` events matching `filter`, newest first,
// after `after` (the previous page's cursor). Throws db::DatabaseError.
AuditPage list_events(db::Connection& connection, const AuditFilter& filter, std::int64_t limit,
                      const std::optional<Cursor>& after);

// events_about returns the events whose actor or target is `subject_id`
// (oldest first, at most `limit`): the audit part of a data export.
std::vector<RecordedEvent> events_about(db::Connection& connection, std::string_view subject_id,
                                        std::int64_t limit);

// pseudonymise_actor replaces `actor_id` by `pseudonym` wherever it is the
// actor or the target, and drops those rows' ip: the events stay, the person
// is no longer named. Returns the number of rows changed. Call it in the
// transaction that deletes the person.
std::int64_t pseudonymise_actor(db::Connection& connection, std::string_view actor_id,
                                std::string_view pseudonym);

// purge_before deletes events older than `before` (stored form); returns how
// many (the retention job, RETENTION_AUDIT_DAYS).
std::int64_t purge_before(db::Connection& connection, std::string_view before);

// to_json renders a row as the API shows it: {id, at, actor_id, action,
// target_type, target_id, ip, request_id, outcome, details}; id is a string.
boost::json::object to_json(const RecordedEvent& row);

// statements lists every statement of this file, for Database::register_statements.
std::span<const db::Statement* const> statements();

}  // namespace keel::audit
