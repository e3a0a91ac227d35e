// Start-up recovery: before the daemon serves, it finishes every write protocol a crash of the previous process
// cut short, in the direction the protocol fixes (docs/STORE_LAYOUT.md, "Crash safety"):
//   - deletions with a tombstone are finished; stale tombstones removed;
//   - catalog entities whose manifest never reached the store get it (written from the catalog row), with the
//     schema snapshot / finalize marker the row implies;
//   - store-committed uploads (upload.json) an unlocked catalog topic lacks are committed;
//   - a compaction's upload committed in the store but not yet swapped into the catalog is swapped in;
//   - finalize markers the catalog has not applied lock their session;
//   - notifications are realigned to the store (a notify cut between its store object and its catalog row; a
//     purge cut between the two), so the outcome of an interrupted call is settled before anyone can look.
// These are unambiguous and the same whoever runs them, so they are safe even with another process (a
// `check --repair`) doing the same. What is NOT done here, because with several daemons sharing a store it would
// hit work still in flight elsewhere: deleting interrupted uploads and temp objects, restoring store-only
// sequences (a running import), dropping orphan schema snapshots. Those stay with `mosaicod check --repair`,
// age-guarded. (With several daemons, notification realignment must move to the future event queue too.)
//
// Contract: one store scan plus one catalog pass (no chunk lists); a second scan only when something was
// repaired. A store that cannot be listed is an error (the daemon should not serve then); a
// repair that fails is reported in `left` and does not stop the others.
#pragma once

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/recovery/check.h"
#include "mosaico/store/object_store.h"

namespace mosaico::recovery {

// The repair actions the start-up recovery applies.
const std::set<RepairAction>& StartupRepairActions();

// `left`: everything else Check found (interrupted uploads, ...), for a summary line.
arrow::Result<RepairReport> RecoverAtStartup(catalog::Catalog& catalog, store::ObjectStore& store);

}  // namespace mosaico::recovery
