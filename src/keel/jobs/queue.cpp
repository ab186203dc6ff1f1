#include "keel/jobs/queue.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <stdexcept>

#include "keel/db/transaction.hpp"
#include "keel/jobs/jobs_sql.hpp"
#include "keel/jobs/wake_signal.hpp"
#include "keel/observability/redaction.hpp"

namespace keel::jobs {

namespace detail {
WakeSignal& wake_signal() {
  static WakeSignal signal;
  return signal;
}
}  // namespace detail

namespace {

Job job_from(const db::Row& row) {
  return Job{.id = row.get<std::string>("id"),
             .kind = row.get<std::string>("kind"),
             .payload_json = row.get<std::string>("payload"),
             .attempt = row.get<int>("attempts"),
             .max_attempts = row.get<int>("max_attempts"),
             .run_at = row.get<std::int64_t>("run_at"),
             .created_at = row.get<std::int64_t>("created_at"),
             .idempotency_key = row.get<std::optional<std::string>>("idempotency_key")};
}

JobRecord record_from(const db::Row& row) {
  const std::string state = row.get<std::string>("state");
  const std::optional<JobState> parsed = parse_job_state(state);
  if (!parsed) throw db::DatabaseError(db::ErrorKind::other, "jobs: unknown state '" + state + "'");
  return JobRecord{.id = row.get<std::string>("id"),
                   .kind = row.get<std::string>("kind"),
                   .payload_json = row.get<std::string>("payload"),
                   .state = *parsed,
                   .attempts = row.get<int>("attempts"),
                   .max_attempts = row.get<int>("max_attempts"),
                   .run_at = row.get<std::int64_t>("run_at"),
                   .locked_by = row.get<std::optional<std::string>>("locked_by"),
                   .locked_until = row.get<std::optional<std::int64_t>>("locked_until"),
                   .last_error = row.get<std::optional<std::string>>("last_error"),
                   .idempotency_key = row.get<std::optional<std::string>>("idempotency_key"),
                   .created_at = row.get<std::int64_t>("created_at"),
                   .updated_at = row.get<std::int64_t>("updated_at"),
                   .finished_at = row.get<std::optional<std::int64_t>>("finished_at")};
}

// utf8_sequence_length is the length of the valid UTF-8 sequence starting at
// `i`, or 0 when the bytes there are not one (PostgreSQL rejects such text).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  if (lead >= 0xe0 && lead <= 0xef) length = 3;
  if (lead >= 0xf0 && lead <= 0xf4) length = 4;
  if (length == 0 || i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
  }
  return length;
}

// clean_error makes a handler's message fit last_error: secrets redacted,
// valid UTF-8, at most kMaxErrorBytes.
std::string clean_error(std::string_view message) {
  const std::string redacted = observability::redact(message);
  std::string out;
  out.reserve(std::min(redacted.size(), kMaxErrorBytes));
  for (std::size_t i = 0; i < redacted.size();) {
    const std::size_t length = utf8_sequence_length(redacted, i);
    const std::size_t take = length == 0 ? 1 : length;
    if (out.size() + take > kMaxErrorBytes) break;
    if (length == 0) {
      out += '?';
    } else {
      out.append(redacted, i, length);
    }
    i += take;
  }
  return out;
}

}  // namespace

std::string enqueue(db::Connection& connection, const JobRequest& request, const Clock& clock) {
  if (request.kind.empty()) throw std::invalid_argument("jobs::enqueue: the job kind is empty");
  if (request.max_attempts < 1) throw std::invalid_argument("jobs::enqueue: max_attempts must be at least 1");
  boost::system::error_code parse_error;
  boost::json::parse(request.payload_json, parse_error);
  if (parse_error) {
    throw std::invalid_argument("jobs::enqueue: the payload of a '" + request.kind + "' job is not JSON");
  }
  const std::int64_t now = clock();
  const db::Result inserted = connection.execute(
      sql::kInsert, {new_job_id(), request.kind, request.payload_json, request.max_attempts,
                     request.run_at.value_or(now), request.idempotency_key, now});
  if (!inserted.empty()) {
    detail::wake_signal().notify();
    return inserted[0].get<std::string>(0);
  }
  // Only an idempotency key can make the insert do nothing: return its job.
  const db::Result existing = connection.execute(sql::kIdByIdempotencyKey, {request.idempotency_key});
  if (existing.empty()) {
    throw db::DatabaseError(db::ErrorKind::other,
                            "jobs::enqueue: the job holding the idempotency key vanished");
  }
  return existing[0].get<std::string>(0);
}

std::optional<Claim> claim_next(db::Connection& connection, const ClaimOptions& options) {
  const std::int64_t locked_until = options.now_ms + options.visibility_timeout.count();
  // SQLite: BEGIN IMMEDIATE holds the write lock from the first read, so two
  // workers cannot pick the same row. PostgreSQL: SKIP LOCKED does that; the
  // transaction only keeps both claims one unit of work.
  std::optional<db::Transaction> transaction;
  if (!connection.in_transaction()) transaction.emplace(connection);
  db::Result claimed = connection.execute(sql::kClaimExpired, {options.worker, locked_until, options.now_ms});
  const bool expired = !claimed.empty();
  if (!expired) claimed = connection.execute(sql::kClaimDue, {options.worker, locked_until, options.now_ms});
  if (transaction) transaction->commit();
  if (claimed.empty()) return std::nullopt;
  Claim claim{.job = job_from(claimed[0])};
  claim.exhausted = expired && claim.job.attempt > claim.job.max_attempts;
  return claim;
}

bool mark_succeeded(db::Connection& connection, const Job& job, std::string_view worker,
                    std::int64_t now_ms) {
  return connection.execute(sql::kSucceed, {job.id, worker, job.attempt, now_ms}).affected_rows() == 1;
}

bool mark_retry(db::Connection& connection, const Job& job, std::string_view worker, std::int64_t run_at_ms,
                std::string_view error, std::int64_t now_ms) {
  return connection
             .execute(sql::kRetryLater, {job.id, worker, job.attempt, run_at_ms, clean_error(error), now_ms})
             .affected_rows() == 1;
}

bool mark_dead(db::Connection& connection, const Job& job, std::string_view worker, std::string_view error,
               std::int64_t now_ms) {
  return connection.execute(sql::kBury, {job.id, worker, job.attempt, clean_error(error), now_ms})
             .affected_rows() == 1;
}

std::optional<JobRecord> find_job(db::Connection& connection, std::string_view id) {
  const db::Result result = connection.execute(sql::kById, {id});
  if (result.empty()) return std::nullopt;
  return record_from(result[0]);
}

std::vector<JobRecord> list_jobs(db::Connection& connection, std::optional<JobState> state, int limit) {
  const db::Result result = state ? connection.execute(sql::kListByState, {to_string(*state), limit})
                                  : connection.execute(sql::kListAll, {limit});
  std::vector<JobRecord> jobs;
  jobs.reserve(result.size());
  for (const db::Row& row : result) jobs.push_back(record_from(row));
  return jobs;
}

std::map<JobState, std::int64_t> depth_by_state(db::Connection& connection) {
  std::map<JobState, std::int64_t> depth{
      {JobState::queued, 0}, {JobState::running, 0}, {JobState::succeeded, 0}, {JobState::dead, 0}};
  for (const db::Row& row : connection.execute(sql::kCountByState)) {
    if (const auto state = parse_job_state(row.get<std::string>(0))) depth[*state] = row.get<std::int64_t>(1);
  }
  return depth;
}

bool requeue(db::Connection& connection, std::string_view id, std::int64_t now_ms) {
  const bool changed = connection.execute(sql::kRequeue, {id, now_ms}).affected_rows() == 1;
  if (changed) detail::wake_signal().notify();
  return changed;
}

std::int64_t purge(db::Connection& connection, JobState state, std::int64_t before_ms) {
  if (state != JobState::succeeded && state != JobState::dead) {
    throw std::invalid_argument("jobs::purge: only succeeded or dead jobs can be purged");
  }
  return connection.execute(sql::kPurge, {to_string(state), before_ms}).affected_rows();
}

}  // namespace keel::jobs
