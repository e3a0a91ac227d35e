// PostgresCatalog: the event queue (table `jobs`; semantics in catalog/catalog.h, JobRecord), mirroring
// catalog/sqlite/sqlite_catalog_jobs.cc: same states, dedup, lease ownership rules and error messages.
//
// Concurrency (several daemons on one database):
//  - ClaimJob selects its candidate with FOR UPDATE SKIP LOCKED: a row another claimer is about to take is
//    skipped instead of waited for, and a row claimed and committed meanwhile is re-checked against the WHERE
//    clause (READ COMMITTED), so no job is ever claimed twice for one lease.
//  - EnqueueJob inserts with ON CONFLICT DO NOTHING against the partial unique index jobs_active_dedup; when a
//    concurrent enqueue won, the winner's row is returned.
//  - Complete/Fail/Renew are single guarded UPDATEs ("running and owned by `owner`").
#include <utility>

#include "mosaico/catalog/postgres/pg_conn.h"
#include "mosaico/catalog/postgres/postgres_catalog.h"
#include "mosaico/core/errors.h"

namespace mosaico::catalog {

using postgres::PgConnection;
using postgres::PgParams;
using postgres::PgPool;
using postgres::PgResult;
using postgres::PgTransaction;

namespace {

constexpr size_t kMaxErrorChars = 4000;

constexpr char kJobColumns[] =
    "id, kind, payload, dedup_key, state, attempts, run_after_ns, lease_owner, lease_expires_ns, last_error, "
    "created_at_ns, updated_at_ns";


JobRecord ReadJob(const PgResult& res, int r) {
  JobRecord j;
  j.id = res.Int64(r, 0);
  j.kind = res.Text(r, 1);
  j.payload_json = res.Text(r, 2);
  j.dedup_key = res.OptText(r, 3).value_or("");
  j.state = ParseJobState(res.Text(r, 4));
  j.attempts = static_cast<int32_t>(res.Int64(r, 5));
  j.run_after_ns = res.Int64(r, 6);
  j.lease_owner = res.OptText(r, 7).value_or("");
  j.lease_expires_ns = res.OptInt64(r, 8).value_or(0);
  j.last_error = res.Text(r, 9);
  j.created_at_ns = res.Int64(r, 10);
  j.updated_at_ns = res.Int64(r, 11);
  return j;
}

std::string SelectJobs() { return std::string("SELECT ") + kJobColumns + " FROM jobs"; }

arrow::Status NotHeld(PgConnection* conn, int64_t job_id, const std::string& owner) {
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec(SelectJobs() + " WHERE id = $1", PgParams::Of(job_id)));
  if (res.rows() == 0) return NotFound("job " + std::to_string(job_id) + " not found");
  JobRecord job = ReadJob(res, 0);
  return FailedPrecondition("job " + std::to_string(job_id) + " is not held by '" + owner + "' (state " +
                            JobStateName(job.state) + ", lease owner '" + job.lease_owner + "')");
}

}  // namespace

arrow::Result<JobRecord> PostgresCatalog::EnqueueJob(const std::string& kind, const std::string& payload_json,
                                                     const std::string& dedup_key, int64_t run_after_ns,
                                                     int64_t now_ns) {
  if (kind.empty()) return InvalidArgument("a job needs a kind");
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  std::optional<std::string> key;
  if (!dedup_key.empty()) key = dedup_key;
  // One statement: the new row, or else the active job already holding the key (a mark enqueued again within its
  // minute, the common case: two round trips as insert-then-lookup). The lookup sees the statement's snapshot, so a
  // holder committed by a concurrent enqueue after it began (ON CONFLICT still waited for it) is not seen: no row,
  // and the next round finds it. A few rounds: the active holder may also finish between conflict and lookup.
  for (int round = 0; round < 5; ++round) {
    ARROW_ASSIGN_OR_RAISE(
        PgResult res,
        conn->Exec("WITH ins AS (INSERT INTO jobs (kind, payload, dedup_key, state, attempts, run_after_ns, "
                   "created_at_ns, updated_at_ns) VALUES ($1, $2, $3, 'pending', 0, $4, $5, $5) "
                   "ON CONFLICT (dedup_key) WHERE dedup_key IS NOT NULL AND state IN ('pending', 'running') "
                   "DO NOTHING RETURNING " + std::string(kJobColumns) + ") "
                   "SELECT " + std::string(kJobColumns) + " FROM ins UNION ALL " +
                   SelectJobs() + " WHERE $3::text IS NOT NULL AND dedup_key = $3 AND state IN ('pending', 'running') "
                   "AND NOT EXISTS (SELECT 1 FROM ins)",
                   PgParams::Of(kind, payload_json, key, run_after_ns, now_ns)));
    if (res.rows() > 0) return ReadJob(res, 0);
  }
  return arrow::Status::IOError("postgresql: could not enqueue job '", kind, "' (dedup key kept changing hands)");
}

arrow::Result<std::optional<JobRecord>> PostgresCatalog::ClaimJob(const std::string& owner, int64_t now_ns,
                                                                  int64_t lease_ns) {
  if (owner.empty()) return InvalidArgument("a job claim needs an owner");
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(
      PgResult res,
      // Two probes, each the first row of its partial index, then the earlier of the two. One OR'ed query was
      // answered by a bitmap of every due job, sorted: a claim cost O(backlog), 34 ms at 15k due jobs, and the
      // further behind the queue, the slower it was worked off. (The candidate not taken is locked only until
      // this statement commits; a concurrent claimer skips it meanwhile, as SKIP LOCKED always allows.)
      conn->Exec("WITH p AS (SELECT id, run_after_ns FROM jobs WHERE state = 'pending' AND run_after_ns <= $1 "
                 "ORDER BY run_after_ns, id LIMIT 1 FOR UPDATE SKIP LOCKED), "
                 "r AS (SELECT id, run_after_ns FROM jobs WHERE state = 'running' AND lease_expires_ns <= $1 "
                 "ORDER BY run_after_ns, id LIMIT 1 FOR UPDATE SKIP LOCKED), "
                 "pick AS (SELECT id FROM (SELECT id, run_after_ns FROM p UNION ALL SELECT id, run_after_ns FROM r) c "
                 "ORDER BY run_after_ns, id LIMIT 1) "
                 "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $2, "
                 "lease_expires_ns = $3, updated_at_ns = $1 FROM pick WHERE jobs.id = pick.id RETURNING " +
                     [] {
                       std::string cols;
                       for (const char* c : {"id", "kind", "payload", "dedup_key", "state", "attempts",
                                             "run_after_ns", "lease_owner", "lease_expires_ns", "last_error",
                                             "created_at_ns", "updated_at_ns"}) {
                         cols += (cols.empty() ? "jobs." : ", jobs.") + std::string(c);
                       }
                       return cols;
                     }(),
                 PgParams::Of(now_ns, owner, now_ns + lease_ns)));
  if (res.rows() == 0) return std::nullopt;
  return ReadJob(res, 0);
}

arrow::Result<std::optional<JobRecord>> PostgresCatalog::ClaimJobByKey(const std::string& dedup_key,
                                                                       const std::string& owner, int64_t now_ns,
                                                                       int64_t lease_ns) {
  if (owner.empty() || dedup_key.empty()) return InvalidArgument("a job claim by key needs an owner and a key");
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  std::string cols;
  for (const char* c : {"id", "kind", "payload", "dedup_key", "state", "attempts", "run_after_ns", "lease_owner",
                        "lease_expires_ns", "last_error", "created_at_ns", "updated_at_ns"}) {
    cols += (cols.empty() ? "jobs." : ", jobs.") + std::string(c);
  }
  ARROW_ASSIGN_OR_RAISE(
      PgResult res,
      conn->Exec("WITH pick AS (SELECT id FROM jobs WHERE dedup_key = $4 AND (state = 'pending' OR "
                 "(state = 'running' AND lease_expires_ns <= $1)) LIMIT 1 FOR UPDATE SKIP LOCKED) "
                 "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $2, "
                 "lease_expires_ns = $3, updated_at_ns = $1 FROM pick WHERE jobs.id = pick.id RETURNING " + cols,
                 PgParams::Of(now_ns, owner, now_ns + lease_ns, dedup_key)));
  if (res.rows() == 0) return std::nullopt;
  return ReadJob(res, 0);
}

arrow::Status PostgresCatalog::CompleteJob(int64_t job_id, const std::string& owner, int64_t now_ns) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgResult res,
                        conn->Exec("UPDATE jobs SET state = 'done', lease_expires_ns = NULL, updated_at_ns = $1 "
                                   "WHERE id = $2 AND state = 'running' AND lease_owner = $3",
                                   PgParams::Of(now_ns, job_id, owner)));
  if (res.affected() == 0) return NotHeld(conn.get(), job_id, owner);
  return arrow::Status::OK();
}

arrow::Status PostgresCatalog::FailJob(int64_t job_id, const std::string& owner, const std::string& error,
                                       int64_t retry_at_ns, bool give_up, int64_t now_ns) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  const std::string message = error.size() > kMaxErrorChars ? error.substr(0, kMaxErrorChars) + "..." : error;
  arrow::Result<PgResult> res =
      give_up ? conn->Exec("UPDATE jobs SET state = 'failed', lease_expires_ns = NULL, last_error = $1, "
                           "updated_at_ns = $2 WHERE id = $3 AND state = 'running' AND lease_owner = $4",
                           PgParams::Of(message, now_ns, job_id, owner))
              : conn->Exec("UPDATE jobs SET state = 'pending', lease_owner = NULL, lease_expires_ns = NULL, "
                           "last_error = $1, run_after_ns = $2, updated_at_ns = $3 "
                           "WHERE id = $4 AND state = 'running' AND lease_owner = $5",
                           PgParams::Of(message, retry_at_ns, now_ns, job_id, owner));
  ARROW_RETURN_NOT_OK(res.status());
  if (res->affected() == 0) return NotHeld(conn.get(), job_id, owner);
  return arrow::Status::OK();
}

arrow::Status PostgresCatalog::RenewJobLease(int64_t job_id, const std::string& owner, int64_t lease_expires_ns,
                                             int64_t now_ns) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgResult res,
                        conn->Exec("UPDATE jobs SET lease_expires_ns = $1, updated_at_ns = $2 "
                                   "WHERE id = $3 AND state = 'running' AND lease_owner = $4",
                                   PgParams::Of(lease_expires_ns, now_ns, job_id, owner)));
  if (res.affected() == 0) return NotHeld(conn.get(), job_id, owner);
  return arrow::Status::OK();
}

arrow::Result<std::vector<JobRecord>> PostgresCatalog::ListJobs(std::optional<JobRecord::State> state,
                                                                int64_t limit) {
  std::vector<JobRecord> out;
  if (limit <= 0) return out;
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  arrow::Result<PgResult> res =
      state ? conn->Exec(SelectJobs() + " WHERE state = $1 ORDER BY id DESC LIMIT $2",
                         PgParams::Of(JobStateName(*state), limit))
            : conn->Exec(SelectJobs() + " ORDER BY id DESC LIMIT $1", PgParams::Of(limit));
  ARROW_RETURN_NOT_OK(res.status());
  for (int r = 0; r < res->rows(); ++r) out.push_back(ReadJob(*res, r));
  return out;
}

arrow::Result<int64_t> PostgresCatalog::PruneJobs(int64_t finished_before_ns) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgResult res,
                        conn->Exec("DELETE FROM jobs WHERE state IN ('done', 'failed') AND updated_at_ns < $1",
                                   PgParams::Of(finished_before_ns)));
  return res.affected();
}

}  // namespace mosaico::catalog
