// keel/jobs/jobs_sql.hpp — every statement the job queue runs, for the catalog and its EXPLAIN test.
//
// The queue only runs these; register them once so an enforcing catalog
// accepts them and the EXPLAIN test plans them (each uses an index of
// migrations/*/0002_jobs.up.sql):
//
//   db.register_statements(keel::jobs::kJobStatements);
//
// Parameters are listed beside each statement; times are Unix milliseconds.
#pragma once

#include "keel/db/statement.hpp"

namespace keel::jobs::sql {

// kInsert: $1 id, $2 kind, $3 payload, $4 max_attempts, $5 run_at, $6 idempotency_key, $7 now.
// Returns the id, or no row when the idempotency key is taken.
inline constexpr db::Statement kInsert{
    "jobs.insert",
    "INSERT INTO jobs (id, kind, payload, state, attempts, max_attempts, run_at, idempotency_key, "
    "created_at, updated_at) VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $7, $7) "
    "ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id"};

// kIdByIdempotencyKey: $1 key.
inline constexpr db::Statement kIdByIdempotencyKey{"jobs.id_by_idempotency_key",
                                                   "SELECT id FROM jobs WHERE idempotency_key = $1"};

// kClaimDue takes the oldest due queued job: $1 locked_by, $2 locked_until, $3 now.
// PostgreSQL skips rows other workers hold; SQLite runs it under BEGIN IMMEDIATE.
inline constexpr db::Statement kClaimDue{
    "jobs.claim_due",
    "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, "
    "updated_at = $3 WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= $3 "
    "ORDER BY run_at LIMIT 1) RETURNING id, kind, payload, attempts, max_attempts, run_at, created_at, "
    "idempotency_key",
    "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, "
    "updated_at = $3 WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= $3 "
    "ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id, kind, payload, attempts, max_attempts, "
    "run_at, created_at, idempotency_key"};

// kClaimExpired takes a running job whose worker's lock expired (it crashed or
// overran the visibility timeout): $1 locked_by, $2 locked_until, $3 now.
inline constexpr db::Statement kClaimExpired{
    "jobs.claim_expired",
    "UPDATE jobs SET locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3 "
    "WHERE id = (SELECT id FROM jobs WHERE state = 'running' AND locked_until < $3 "
    "ORDER BY locked_until LIMIT 1) RETURNING id, kind, payload, attempts, max_attempts, run_at, created_at, "
    "idempotency_key",
    "UPDATE jobs SET locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3 "
    "WHERE id = (SELECT id FROM jobs WHERE state = 'running' AND locked_until < $3 "
    "ORDER BY locked_until LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id, kind, payload, attempts, "
    "max_attempts, run_at, created_at, idempotency_key"};

// The three outcomes of a claimed attempt change the row only while the claim
// is still ours ($1 id, $2 locked_by, $3 attempts): a worker whose lock expired
// and whose job another worker re-claimed must not overwrite that worker's result.

// kSucceed: $4 now.
inline constexpr db::Statement kSucceed{
    "jobs.succeed",
    "UPDATE jobs SET state = 'succeeded', locked_by = NULL, locked_until = NULL, finished_at = $4, "
    "updated_at = $4 WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND state = 'running'"};

// kRetryLater: $4 run_at, $5 last_error, $6 now.
inline constexpr db::Statement kRetryLater{
    "jobs.retry_later",
    "UPDATE jobs SET state = 'queued', run_at = $4, last_error = $5, locked_by = NULL, locked_until = NULL, "
    "updated_at = $6 WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND state = 'running'"};

// kBury: $4 last_error, $5 now.
inline constexpr db::Statement kBury{
    "jobs.bury",
    "UPDATE jobs SET state = 'dead', last_error = $4, locked_by = NULL, locked_until = NULL, finished_at = "
    "$5, "
    "updated_at = $5 WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND state = 'running'"};

// kById: $1 id.
inline constexpr db::Statement kById{
    "jobs.by_id",
    "SELECT id, kind, payload, state, attempts, max_attempts, run_at, locked_by, locked_until, last_error, "
    "idempotency_key, created_at, updated_at, finished_at FROM jobs WHERE id = $1"};

// kCountByState counts each state (an index range per state, no table scan).
inline constexpr db::Statement kCountByState{
    "jobs.count_by_state",
    "SELECT state, count(*) FROM jobs WHERE state IN ('queued', 'running', 'succeeded', 'dead') "
    "GROUP BY state"};

// kListByState: $1 state, $2 limit — due order.
inline constexpr db::Statement kListByState{
    "jobs.list_by_state",
    "SELECT id, kind, payload, state, attempts, max_attempts, run_at, locked_by, locked_until, last_error, "
    "idempotency_key, created_at, updated_at, finished_at FROM jobs WHERE state = $1 ORDER BY run_at DESC "
    "LIMIT $2"};

// kListAll: $1 limit — newest first.
inline constexpr db::Statement kListAll{
    "jobs.list_all",
    "SELECT id, kind, payload, state, attempts, max_attempts, run_at, locked_by, locked_until, last_error, "
    "idempotency_key, created_at, updated_at, finished_at FROM jobs ORDER BY created_at DESC LIMIT $1",
    db::FullScan{"operator command `keel jobs list` without --state: reads the table once, bounded output"}};

// kRequeue makes a dead (or waiting) job due now with fresh attempts: $1 id, $2 now.
inline constexpr db::Statement kRequeue{
    "jobs.requeue",
    "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $2, finished_at = NULL, updated_at = $2 "
    "WHERE id = $1 AND state IN ('dead', 'queued')"};

// kPurge deletes jobs of one final state finished before a cutoff: $1 state, $2 cutoff.
inline constexpr db::Statement kPurge{"jobs.purge", "DELETE FROM jobs WHERE state = $1 AND finished_at < $2"};

}  // namespace keel::jobs::sql

namespace keel::jobs {

// kJobStatements lists every statement of the queue, for Database::register_statements.
inline constexpr const db::Statement* kJobStatements[] = {
    &sql::kInsert,       &sql::kIdByIdempotencyKey, &sql::kClaimDue, &sql::kClaimExpired,
    &sql::kSucceed,      &sql::kRetryLater,         &sql::kBury,     &sql::kById,
    &sql::kCountByState, &sql::kListByState,        &sql::kListAll,  &sql::kRequeue,
    &sql::kPurge};

}  // namespace keel::jobs
