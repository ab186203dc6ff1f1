// service/email/email_sql.hpp — the statements `keel rotate-keys` and the start-up key check run on email
// jobs.
//
// Sending and delivering an email only uses the job queue's statements
// (keel/jobs/jobs_sql.hpp); these walk the email jobs that may still be sent
// (queued, running, dead — a dead one may be retried) by primary key, so a
// pass over a long queue is a series of short index range reads.
//
//   database.register_statements(service::kEmailStatements);
//   connection.execute(email_sql::kPendingEmailPage, {kEmailJobKind, after_id, batch_size});
#pragma once

#include "keel/db/statement.hpp"

namespace service::email_sql {

using keel::db::Statement;

// kPendingEmailPage: $1 kind, $2 the last id seen ('' to start), $3 batch size — id order.
inline constexpr Statement kPendingEmailPage{
    "email.pending_page",
    "SELECT id, payload FROM jobs WHERE id > $2 AND kind = $1 AND state IN ('queued', 'running', 'dead') "
    "ORDER BY id LIMIT $3"};

// kResealPayload replaces a payload only if nobody changed it since it was read:
// $1 id, $2 the payload read, $3 the new payload, $4 now (Unix ms).
inline constexpr Statement kResealPayload{
    "email.reseal_payload", "UPDATE jobs SET payload = $3, updated_at = $4 WHERE id = $1 AND payload = $2"};

}  // namespace service::email_sql

namespace service {

// kEmailStatements lists every statement above, for Database::register_statements.
inline constexpr const keel::db::Statement* kEmailStatements[] = {&email_sql::kPendingEmailPage,
                                                                  &email_sql::kResealPayload};

}  // namespace service
