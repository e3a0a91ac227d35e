// SqliteCatalog: the event queue (the `jobs` table of migration 3; semantics in catalog/catalog.h, JobRecord).
//
// Each method is one transaction; the writers take the write lock up front (BEGIN IMMEDIATE), so a claim's "find
// the next runnable job" and "mark it running" cannot interleave with another connection's claim, even from
// another process: two claimers serialize on sqlite's write lock and the second sees the first one's lease.
// Dedup is enforced twice: Enqueue looks for an active job with the key inside its transaction, and the partial
// unique index jobs_active_dedup refuses a second pending/running row whatever writes it.
// Ownership is the lease_owner column: Complete/Fail/Renew by anyone else is FailedPrecondition, whether or not
// the lease has expired (an expired lease that nobody reclaimed yet still belongs to its owner).
#include <utility>

#include "mosaico/catalog/sqlite/sqlite_catalog.h"
#include "mosaico/catalog/sqlite/sqlite_util.h"
#include "mosaico/core/errors.h"

namespace mosaico::catalog {

using sqlite::Connection;
using sqlite::Statement;
using sqlite::Transaction;

namespace {

constexpr size_t kMaxErrorChars = 4000;  // last_error is for operators, not a log

constexpr char kSelectJob[] =
    "SELECT id, kind, payload, dedup_key, state, attempts, run_after_ns, lease_owner, lease_expires_ns, "
    "last_error, created_at_ns, updated_at_ns FROM jobs";

JobRecord ReadJob(const Statement& row) {
  JobRecord j;
  j.id = row.Int64(0);
  j.kind = row.Text(1);
  j.payload_json = row.Text(2);
  j.dedup_key = row.OptText(3).value_or("");
  j.state = ParseJobState(row.Text(4));
  j.attempts = static_cast<int32_t>(row.Int64(5));
  j.run_after_ns = row.Int64(6);
  j.lease_owner = row.OptText(7).value_or("");
  j.lease_expires_ns = row.OptInt64(8).value_or(0);
  j.last_error = row.Text(9);
  j.created_at_ns = row.Int64(10);
  j.updated_at_ns = row.Int64(11);
  return j;
}

arrow::Result<std::optional<JobRecord>> FindJob(Connection* conn, int64_t id) {
  ARROW_ASSIGN_OR_RAISE(Statement stmt, conn->Prepare(std::string(kSelectJob) + " WHERE id = ?"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(id));
  ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
  if (!row) return std::nullopt;
  return ReadJob(stmt);
}

arrow::Result<std::optional<JobRecord>> FindActiveByKey(Connection* conn, const std::string& dedup_key) {
  ARROW_ASSIGN_OR_RAISE(Statement stmt, conn->Prepare(std::string(kSelectJob) +
                                                      " WHERE dedup_key = ? AND state IN ('pending', 'running')"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(dedup_key));
  ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
  if (!row) return std::nullopt;
  return ReadJob(stmt);
}

// After an UPDATE guarded by "running and owned by `owner`" touched no row: why not.
arrow::Status NotHeld(Connection* conn, int64_t job_id, const std::string& owner) {
  ARROW_ASSIGN_OR_RAISE(auto job, FindJob(conn, job_id));
  if (!job) return NotFound("job " + std::to_string(job_id) + " not found");
  return FailedPrecondition("job " + std::to_string(job_id) + " is not held by '" + owner + "' (state " +
                            JobStateName(job->state) + ", lease owner '" + job->lease_owner + "')");
}

// Takes `job` for `owner` (inside the caller's write transaction): running, one more attempt, leased until
// now + lease; `job` is updated to match the row.
arrow::Status MarkClaimed(Connection* conn, JobRecord* job, const std::string& owner, int64_t now_ns,
                          int64_t lease_ns) {
  ARROW_ASSIGN_OR_RAISE(Statement update,
                        conn->Prepare("UPDATE jobs SET state = 'running', attempts = attempts + 1, "
                                      "lease_owner = ?, lease_expires_ns = ?, updated_at_ns = ? WHERE id = ?"));
  ARROW_RETURN_NOT_OK(update.BindAll(owner, now_ns + lease_ns, now_ns, job->id));
  ARROW_RETURN_NOT_OK(update.Run());
  job->state = JobRecord::State::kRunning;
  job->attempts += 1;
  job->lease_owner = owner;
  job->lease_expires_ns = now_ns + lease_ns;
  job->updated_at_ns = now_ns;
  return arrow::Status::OK();
}

// The runnable job with the smallest (run_after_ns, id) among `sql`'s single candidate row, if any.
arrow::Result<std::optional<JobRecord>> Candidate(Connection* conn, const std::string& sql, int64_t now_ns) {
  ARROW_ASSIGN_OR_RAISE(Statement stmt, conn->Prepare(sql));
  ARROW_RETURN_NOT_OK(stmt.BindAll(now_ns));
  ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
  if (!row) return std::nullopt;
  return ReadJob(stmt);
}

bool Before(const JobRecord& a, const JobRecord& b) {
  return a.run_after_ns != b.run_after_ns ? a.run_after_ns < b.run_after_ns : a.id < b.id;
}

}  // namespace

arrow::Result<JobRecord> SqliteCatalog::EnqueueJob(const std::string& kind, const std::string& payload_json,
                                                   const std::string& dedup_key, int64_t run_after_ns,
                                                   int64_t now_ns) {
  if (kind.empty()) return InvalidArgument("a job needs a kind");
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kWrite));
  if (!dedup_key.empty()) {
    ARROW_ASSIGN_OR_RAISE(auto existing, FindActiveByKey(conn_.get(), dedup_key));
    if (existing) {
      ARROW_RETURN_NOT_OK(txn.Commit());
      return *existing;
    }
  }
  {
    ARROW_ASSIGN_OR_RAISE(
        Statement insert,
        conn_->Prepare("INSERT INTO jobs (kind, payload, dedup_key, state, attempts, run_after_ns, created_at_ns, "
                       "updated_at_ns) VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)"));
    std::optional<std::string> key;
    if (!dedup_key.empty()) key = dedup_key;
    ARROW_RETURN_NOT_OK(insert.BindAll(kind, payload_json, key, run_after_ns, now_ns, now_ns));
    ARROW_RETURN_NOT_OK(insert.Run());
  }
  ARROW_ASSIGN_OR_RAISE(auto created, FindJob(conn_.get(), conn_->LastInsertId()));
  ARROW_RETURN_NOT_OK(txn.Commit());
  if (!created) return arrow::Status::IOError("sqlite: the job just inserted vanished");
  return *created;
}

arrow::Result<std::optional<JobRecord>> SqliteCatalog::ClaimJob(const std::string& owner, int64_t now_ns,
                                                                int64_t lease_ns) {
  if (owner.empty()) return InvalidArgument("a job claim needs an owner");
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kWrite));
  // Two probes, each served by its partial index, instead of one OR the planner could only answer by a scan.
  // INDEXED BY: left to itself the planner takes jobs_by_state (state = ?) and sorts every pending job to find
  // the first -- a claim then cost O(pending jobs) (tens of thousands of recovery marks waiting for their minute
  // under a steady stream of finalizes); the partial index hands the first due job over in one probe.
  ARROW_ASSIGN_OR_RAISE(
      auto pending,
      Candidate(conn_.get(),
                std::string(kSelectJob) +
                    " INDEXED BY jobs_pending_by_run_after"
                    " WHERE state = 'pending' AND run_after_ns <= ?1 ORDER BY run_after_ns, id LIMIT 1",
                now_ns));
  // Only the expired leases (a few running jobs at most) are read and sorted.
  ARROW_ASSIGN_OR_RAISE(
      auto expired,
      Candidate(conn_.get(),
                std::string(kSelectJob) +
                    " INDEXED BY jobs_running_by_lease"
                    " WHERE state = 'running' AND lease_expires_ns <= ?1 ORDER BY run_after_ns, id LIMIT 1",
                now_ns));
  std::optional<JobRecord> pick = pending;
  if (expired && (!pick || Before(*expired, *pick))) pick = expired;
  if (!pick) {
    ARROW_RETURN_NOT_OK(txn.Commit());
    return std::nullopt;
  }
  ARROW_RETURN_NOT_OK(MarkClaimed(conn_.get(), &*pick, owner, now_ns, lease_ns));
  ARROW_RETURN_NOT_OK(txn.Commit());
  return pick;
}

arrow::Result<std::optional<JobRecord>> SqliteCatalog::ClaimJobByKey(const std::string& dedup_key,
                                                                     const std::string& owner, int64_t now_ns,
                                                                     int64_t lease_ns) {
  if (owner.empty() || dedup_key.empty()) return InvalidArgument("a job claim by key needs an owner and a key");
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kWrite));
  std::optional<JobRecord> pick;
  {
    // Through jobs_active_dedup (one probe); the OR alone made the planner walk every pending job.
    ARROW_ASSIGN_OR_RAISE(Statement stmt,
                          conn_->Prepare(std::string(kSelectJob) +
                                         " INDEXED BY jobs_active_dedup WHERE dedup_key = ?1 AND state IN ('pending', "
                                         "'running') AND (state = 'pending' OR lease_expires_ns <= ?2) LIMIT 1"));
    ARROW_RETURN_NOT_OK(stmt.BindAll(dedup_key, now_ns));
    ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
    if (row) pick = ReadJob(stmt);
  }
  if (!pick) {
    ARROW_RETURN_NOT_OK(txn.Commit());
    return std::nullopt;
  }
  ARROW_RETURN_NOT_OK(MarkClaimed(conn_.get(), &*pick, owner, now_ns, lease_ns));
  ARROW_RETURN_NOT_OK(txn.Commit());
  return pick;
}

arrow::Status SqliteCatalog::CompleteJob(int64_t job_id, const std::string& owner, int64_t now_ns) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kWrite));
  {
    ARROW_ASSIGN_OR_RAISE(Statement update,
                          conn_->Prepare("UPDATE jobs SET state = 'done', lease_expires_ns = NULL, updated_at_ns = ? "
                                         "WHERE id = ? AND state = 'running' AND lease_owner = ?"));
    ARROW_RETURN_NOT_OK(update.BindAll(now_ns, job_id, owner));
    ARROW_RETURN_NOT_OK(update.Run());
  }
  if (conn_->Changes() == 0) return NotHeld(conn_.get(), job_id, owner);
  return txn.Commit();
}

arrow::Status SqliteCatalog::FailJob(int64_t job_id, const std::string& owner, const std::string& error,
                                     int64_t retry_at_ns, bool give_up, int64_t now_ns) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kWrite));
  const std::string message = error.size() > kMaxErrorChars ? error.substr(0, kMaxErrorChars) + "..." : error;
  if (give_up) {  // keeps its last owner: who gave up
    ARROW_ASSIGN_OR_RAISE(Statement update,
                          conn_->Prepare("UPDATE jobs SET state = 'failed', lease_expires_ns = NULL, last_error = ?, "
                                         "updated_at_ns = ? WHERE id = ? AND state = 'running' AND lease_owner = ?"));
    ARROW_RETURN_NOT_OK(update.BindAll(message, now_ns, job_id, owner));
    ARROW_RETURN_NOT_OK(update.Run());
  } else {  // back in the queue: nobody's
    ARROW_ASSIGN_OR_RAISE(Statement update,
                          conn_->Prepare("UPDATE jobs SET state = 'pending', lease_owner = NULL, lease_expires_ns = NULL, "
                                         "last_error = ?, run_after_ns = ?, updated_at_ns = ? "
                                         "WHERE id = ? AND state = 'running' AND lease_owner = ?"));
    ARROW_RETURN_NOT_OK(update.BindAll(message, retry_at_ns, now_ns, job_id, owner));
    ARROW_RETURN_NOT_OK(update.Run());
  }
  if (conn_->Changes() == 0) return NotHeld(conn_.get(), job_id, owner);
  return txn.Commit();
}

arrow::Status SqliteCatalog::RenewJobLease(int64_t job_id, const std::string& owner, int64_t lease_expires_ns,
                                           int64_t now_ns) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kWrite));
  {
    ARROW_ASSIGN_OR_RAISE(Statement update,
                          conn_->Prepare("UPDATE jobs SET lease_expires_ns = ?, updated_at_ns = ? "
                                         "WHERE id = ? AND state = 'running' AND lease_owner = ?"));
    ARROW_RETURN_NOT_OK(update.BindAll(lease_expires_ns, now_ns, job_id, owner));
    ARROW_RETURN_NOT_OK(update.Run());
  }
  if (conn_->Changes() == 0) return NotHeld(conn_.get(), job_id, owner);
  return txn.Commit();
}

arrow::Result<std::vector<JobRecord>> SqliteCatalog::ListJobs(std::optional<JobRecord::State> state, int64_t limit) {
  std::lock_guard lock(mu_);
  std::vector<JobRecord> out;
  if (limit <= 0) return out;
  ARROW_ASSIGN_OR_RAISE(Statement stmt,
                        conn_->Prepare(std::string(kSelectJob) + (state ? " WHERE state = ? ORDER BY id DESC LIMIT ?"
                                                                        : " ORDER BY id DESC LIMIT ?")));
  if (state) {
    ARROW_RETURN_NOT_OK(stmt.BindAll(JobStateName(*state), limit));
  } else {
    ARROW_RETURN_NOT_OK(stmt.BindAll(limit));
  }
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
    if (!row) break;
    out.push_back(ReadJob(stmt));
  }
  return out;
}

arrow::Result<int64_t> SqliteCatalog::PruneJobs(int64_t finished_before_ns) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Statement stmt,
                        conn_->Prepare("DELETE FROM jobs INDEXED BY jobs_finished_by_updated "
                                       "WHERE state IN ('done', 'failed') AND updated_at_ns < ?"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(finished_before_ns));
  ARROW_RETURN_NOT_OK(stmt.Run());
  return conn_->Changes();
}

}  // namespace mosaico::catalog
