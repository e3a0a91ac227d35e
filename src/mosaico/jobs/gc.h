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
// It also prunes done and failed jobs older than `job_retention_ns` from the queue.
//
// Contract: idempotent (each removal re-reads what it acts on: recovery/repair.cc), safe beside live uploads,
// reads, compactions and other daemons; a removal that fails is reported in `left` and retried at the next run.
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include <arrow/result.h>

#include "mosaico/lifecycle/lifecycle.h"
#include "mosaico/recovery/check.h"

namespace mosaico::jobs {

inline constexpr char kGcStoreJob[] = "gc_store";

struct GcOptions {
  int64_t min_age_ns = 3600LL * 1000000000;
  int64_t job_retention_ns = 7LL * 24 * 3600 * 1000000000;  // <= 0: finished jobs are kept
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

}  // namespace mosaico::jobs
