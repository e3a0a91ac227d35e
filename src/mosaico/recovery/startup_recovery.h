// Start-up recovery: before the daemon serves, it finishes every write protocol a crash cut short, in the
// direction the protocol fixes (docs/STORE_LAYOUT.md, "Crash safety"):
//   - deletions with a tombstone are finished; stale tombstones removed;
//   - catalog entities whose manifest never reached the store get it (written from the catalog row), with the
//     schema snapshot / finalize marker the row implies;
//   - store-committed uploads (upload.json) an unlocked catalog topic lacks are committed;
//   - a compaction's upload committed in the store but not yet swapped into the catalog is swapped in;
//   - finalize markers the catalog has not applied lock their session;
//   - notifications out of step (a notify cut between its store object and its catalog row; a purge cut between
//     the two) are realigned by their "sync_notifications" job (recovery/notification_sync.h), which start-up
//     claims and runs itself -- claimed once, whichever daemon gets it, and guarded against notifies in flight.
//
// Cost proportional to pending work, not to the store: only the sequences where an interrupted protocol can have
// left something are scanned (one listing of the sequence's directory plus its manifests):
//   - sequences named by a pending or running recovery mark (lifecycle/recovery_marks.h: finalize, deletes,
//     compaction enqueue one before their first step);
//   - sequences with an unlocked session or with no session at all (creates, uploads and a finalize cut before
//     its lock only ever happen there): one catalog query (Catalog::ListOpenSequences), no store access;
//   - the resources of pending "sync_notifications" marks.
// Everything else -- and anything a store written before marks existed may hold -- is `mosaicod check --repair`'s
// (and the gc_store job's, for garbage).
// These repairs are unambiguous and the same whoever runs them, so they are safe with other daemons working on
// the same sequences. Not done here, because it would hit work in flight elsewhere: deleting interrupted uploads
// and temp objects, restoring store-only sequences (a running import), dropping orphan schema snapshots.
//
// Contract: a store that cannot be listed is an error (the daemon should not serve then); a repair that fails is
// reported in `left` and does not stop the others.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/lifecycle/recovery_marks.h"
#include "mosaico/recovery/check.h"
#include "mosaico/store/object_store.h"

namespace mosaico::recovery {

// The repair actions the start-up recovery (and the recover_sequence job) applies.
const std::set<RepairAction>& StartupRepairActions();

// Where start-up must look (see above).
struct PendingWork {
  std::set<std::string> sequences;
  std::vector<lifecycle::MarkTarget> notifications;
};
arrow::Result<PendingWork> FindPendingWork(catalog::Catalog& catalog);

// The start-up repairs on `sequences` only. Resources whose notifications are out of step are appended to
// `notifications` (not repaired here: see SyncNotificationsOnce / the sync_notifications job).
// `min_create_age_ns`: catalog entities younger than this are not given a manifest (their create may still be
// running on a live daemon; 0 at start-up, a minute for the background job).
arrow::Result<RepairReport> RecoverSequences(catalog::Catalog& catalog, store::ObjectStore& store,
                                             const std::set<std::string>& sequences,
                                             std::vector<lifecycle::MarkTarget>* notifications,
                                             int64_t min_create_age_ns = 0);

// Runs the sync_notifications job of `target` now, claimed once (Catalog::ClaimJobByKey): enqueued if missing;
// skipped when another worker is running it. `done` gets a finding for a sync that changed something.
arrow::Status SyncNotificationsOnce(catalog::Catalog& catalog, store::ObjectStore& store,
                                    const lifecycle::MarkTarget& target, const std::string& owner,
                                    std::vector<Finding>* done);

// `left`: everything else the targeted check found (interrupted uploads, ...), for a summary line.
arrow::Result<RepairReport> RecoverAtStartup(catalog::Catalog& catalog, store::ObjectStore& store);

}  // namespace mosaico::recovery
