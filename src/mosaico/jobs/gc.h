// Garbage collection of the store: the handler of job kind "gc_store" (docs/JOBS.md).
//
// Reuses recovery's Check/Repair (recovery/check.h) restricted to the garbage-removal actions -- never an action
// that changes the catalog or writes to the store:
//   delete_upload       an interrupted upload (chunks without upload.json) or a superseded one (a committed upload
//                       that lost to a newer one, e.g. the pre-compaction data), never one the catalog references;
//   delete_object       a leftover temporary object ("/.tmp-", a write cut by a crash);
//   drop_orphan_schema  a schema snapshot of a topic without data that the catalog never recorded.
// Everything younger than `min_age_ns` may be work in flight -- of this daemon or of another one sharing the store
// -- and is left alone. "Young" is judged on every clue there is: the upload id's ULID time (Check does that), the
// newest object of the upload directory, the object's own modification time, an upload stream this daemon has
// open in the topic's session; for a superseded upload, the id of the upload that superseded it (readers may
// still stream the old one for a while after the swap; Check judges that one).
// It also prunes done and failed jobs older than `job_retention_ns` from the queue (full runs only).
//
// Two scopes (issue 12: background work follows the operations, not the store's size):
//  - gc_sequence (the normal case): only_sequences = {one sequence}; Check looks its catalog rows up by name and
//    lists only its store directory. Enqueued (EnqueueSequenceGc) after each recovery mark of that sequence ran --
//    marks come before every protocol that can leave garbage behind (finalize, the deletes, compaction's commit,
//    notify, purge: lifecycle/recovery_marks.h) -- due once garbage of that operation is old enough to be taken
//    (min_age + 1 minute). Garbage still too young is taken by a follow-up job enqueued for later.
//  - gc_store (the full sweep: every sequence, every manifest): only when an operator asks -- `mosaicod cleanup`,
//    or a daemon started with --gc-interval-minutes > 0 (default 0).
//
// Contract: idempotent (each removal re-reads what it acts on: recovery/repair.cc), safe beside live uploads,
// reads, compactions and other daemons; a removal that fails is reported in `left` and retried at the next run.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <arrow/result.h>

#include "mosaico/lifecycle/lifecycle.h"
#include "mosaico/recovery/check.h"

namespace mosaico::jobs {

inline constexpr char kGcStoreJob[] = "gc_store";
inline constexpr char kGcSequenceJob[] = "gc_sequence";
inline constexpr char kPruneJobsJob[] = "prune_jobs";

struct GcOptions {
  int64_t min_age_ns = 3600LL * 1000000000;
  int64_t job_retention_ns = 7LL * 24 * 3600 * 1000000000;  // <= 0: finished jobs are kept
  // Set: only these sequences are looked at (store and catalog side), and no job is pruned.
  std::optional<std::set<std::string>> only_sequences;
};

struct GcReport {
  std::vector<recovery::Finding> removed;
  std::vector<recovery::Finding> failed;  // garbage whose removal failed (detail says why)
  int64_t deferred = 0;                   // garbage left for later: too young, or possibly in flight
  int64_t jobs_pruned = 0;
};

// The repair actions the store GC applies.
const std::set<recovery::RepairAction>& GcRepairActions();

arrow::Result<GcReport> CollectGarbage(lifecycle::Lifecycle& lifecycle, const GcOptions& options, int64_t now_ns);

// Enqueues a gc_sequence job for `sequence`, due at `due_ns` (payload {"sequence"}, dedup key
// "gc_sequence:<seq>:<due minute>": the operations of one minute share a job).
arrow::Status EnqueueSequenceGc(catalog::Catalog& catalog, const std::string& sequence, int64_t due_ns,
                                int64_t now_ns);

// The gc_sequence handler: CollectGarbage scoped to the payload's sequence; when garbage was left because it is
// still young, a follow-up job is enqueued min_age later.
arrow::Status RunGcSequenceJob(const catalog::JobRecord& job, lifecycle::Lifecycle& lifecycle,
                               const GcOptions& options, int64_t now_ns);

}  // namespace mosaico::jobs
