// Check (`mosaicod check`, fsck): every disagreement between the catalog and the store, and what can be repaired.
//
// Contract:
//  - Read-only unless Repair is called. Compares, sequence by sequence, what the catalog holds with what the store
//    says (recovery/store_scan.h): sequences, sessions (uuid, times, lock), topics (tag, format, metadata, schema,
//    committed upload, chunk list with sizes/checksums/stats), notifications. Store-side problems found by the scan
//    are findings too.
//  - Each Finding names the RepairAction that fixes it safely, or kNone. Repairable are exactly the states the
//    write protocols (lifecycle/lifecycle.h, lifecycle/deletion.h, ingest/topic_upload.h) can leave behind when a
//    process dies part-way, each finished in the direction the protocol fixes (docs/STORE_LAYOUT.md, "Crash
//    safety"), plus garbage:
//      * a tombstone                                   -> finish that deletion (store, catalog, tombstone);
//      * a tombstone of an earlier incarnation         -> remove the tombstone;
//      * a catalog sequence/session/topic whose manifest is absent (no tombstone: a create cut short)
//                                                      -> write the manifest from the catalog row (and the
//                                                         schema snapshot / finalize marker the row implies);
//      * a store finalize marker the catalog has not applied -> lock the session with the marker's time;
//      * a store-committed upload (upload.json) an unlocked catalog topic lacks -> commit it to the catalog;
//      * a store-committed upload of a locked catalog topic, newer than the catalog's and holding the same rows and
//        time range (a compaction cut between its store commit and its catalog swap, jobs/compaction.h) -> swap the
//        catalog to it (Catalog::ReplaceTopicData); the replaced upload is then a superseded one;
//      * a schema snapshot of a topic without data that the catalog does not hold -> remove it (an upload cut
//        before it recorded the schema);
//      * notifications that differ                     -> realign the catalog's to the store's;
//      * a sequence in the store but not in the catalog -> restored into the catalog (RestoreSequence);
//      * an interrupted or superseded upload directory, a leftover temp object ("/.tmp-") -> deleted.
//    Entities created (notifications, uploads: their ULID/ns time) less than `min_upload_age_ns` ago are left
//    alone, since a daemon may still be working on them; a superseded upload is aged by the upload that replaced
//    it (readers may still stream the old data for a while after a compaction's swap). Everything else (field
//    mismatches, committed data whose objects vanished, checksum mismatches) is reported only: the store is the
//    source of truth, and `mosaicod rebuild --force` realigns the catalog to it.
//  - Findings are ordered by subject; `clean()` is true when there is none.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/store/object_store.h"

namespace mosaico::recovery {

enum class RepairAction {
  kNone,
  kFinishDeletion,
  kDropStaleTombstone,
  kRestoreSequence,
  kWriteManifest,
  kWriteSchema,
  kWriteFinalizedMarker,
  kDropOrphanSchema,
  kCommitUpload,
  kAdoptUpload,
  kLockSession,
  kSyncNotifications,
  kDeleteUpload,
  kDeleteObject,
};
const char* RepairActionName(RepairAction action);

struct Finding {
  std::string kind;     // e.g. "missing_in_catalog", "field_mismatch", "pending_deletion", "interrupted_upload"
  std::string subject;  // locator ("seq", "seq/topic", "seq:session") or object key
  std::string detail;
  bool repairable = false;  // action != kNone
  RepairAction action = RepairAction::kNone;
  // What the finding is about: the sequence always, the session or topic when it concerns one.
  std::string sequence, session_key, topic;
};

struct CheckOptions {
  bool verify_checksums = false;
  int64_t min_upload_age_ns = 3600LL * 1000000000;  // younger uploads/notifications/creates may still be in flight
  int64_t now_ns = 0;                               // 0: the wall clock
  bool compare_chunks = true;         // compare chunk lists (with statistics) of committed uploads
  bool compare_notifications = true;  // compare notifications
  // When set, only these sequences are checked (store side and catalog side); the rest is not looked at: their
  // catalog rows are looked up by name and only their store directories are listed, so the run costs what these
  // sequences hold, whatever the catalog holds (the recover_sequence job runs one after every finalize and delete).
  std::optional<std::set<std::string>> only_sequences;
  std::function<void(const std::string& phase, int64_t done, int64_t total)> progress;
};

struct CheckReport {
  std::vector<Finding> findings;
  int64_t sequences_checked = 0;
  int64_t chunks_verified = 0;
  bool clean() const { return findings.empty(); }
};

arrow::Result<CheckReport> Check(catalog::Catalog& catalog, store::ObjectStore& store, const CheckOptions& options = {});

struct RepairOptions {
  std::set<RepairAction> only;  // empty: every repairable finding; otherwise only findings with these actions
  // When set, a finding is repaired only if this also accepts it (the store GC's extra guards, jobs/gc.h); a
  // finding it refuses is left as it is, like one outside `only`.
  std::function<bool(const Finding&)> accept;
  int max_passes = 6;           // a repair can uncover more (e.g. a rewritten sequence manifest makes its
                                // sessions visible): Check and repair again until nothing is left to do
};

struct RepairReport {
  int64_t repaired = 0;
  std::vector<Finding> done;  // every repair applied, in order
  std::vector<Finding> left;  // findings not repairable (or not in `only`), or whose repair failed (detail says why)
};

// Checks and fixes every repairable finding, pass after pass (see RepairOptions).
arrow::Result<RepairReport> Repair(catalog::Catalog& catalog, store::ObjectStore& store,
                                   const CheckOptions& options = {}, const RepairOptions& repair = {});

}  // namespace mosaico::recovery
