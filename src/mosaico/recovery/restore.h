// Restore: writes what a StoreSnapshot holds into a catalog, through the ordinary Catalog interface, so every
// backend supports it. Used by `rebuild` (whole store into an empty catalog) and `import` (one sequence at a time).
//
// Contract:
//  - RestoreSequence inserts one sequence with its sessions, topics (schema snapshot, committed chunk list and
//    statistics), lock state and completion times, and notifications, exactly as the store records them. Ids are
//    new; everything observable through the API (names, uuids, keys, times, metadata, data) is the store's.
//  - The sequence must not exist in the catalog (AlreadyExists otherwise). On any error the partly restored
//    sequence is deleted again, so a sequence is restored whole or not at all.
//  - Sessions are locked last, after their topics and data are in, the same order the daemon uses.
#pragma once

#include <cstdint>
#include <functional>

#include <arrow/result.h>
#include <arrow/status.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/recovery/store_scan.h"

namespace mosaico::recovery {

struct RestoreCounts {
  int64_t sequences = 0, sessions = 0, topics = 0, uploads = 0, chunks = 0, rows = 0, notifications = 0;
  RestoreCounts& operator+=(const RestoreCounts& other);
};

arrow::Result<RestoreCounts> RestoreSequence(const SequenceSnapshot& seq, catalog::Catalog& catalog);

// Restores every sequence of `snapshot`; `progress(done, total)` after each.
arrow::Result<RestoreCounts> RestoreAll(const StoreSnapshot& snapshot, catalog::Catalog& catalog,
                                        const std::function<void(int64_t, int64_t)>& progress = {});

}  // namespace mosaico::recovery
