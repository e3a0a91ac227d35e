// Rebuild: recreates the catalog from the object store alone (`mosaicod rebuild`, and the daemon's
// --rebuild-if-missing start).
//
// Contract:
//  - Scans the store (recovery/store_scan.h), restores every readable sequence into a NEW catalog and only then
//    puts it in place: for a SQLite catalog the new file is built next to the old one and renamed over it, so a
//    crash mid-rebuild leaves the previous catalog (or none) untouched, never a half-built one.
//  - An existing catalog file is replaced only with `force`; it is kept as "<file>.bak-<unix seconds>".
//  - Store problems (unreadable manifests, interrupted uploads, ...) do not stop the rebuild: what can be restored
//    is, and the report lists the rest. Server-backed catalogs (PostgreSQL) are NotImplemented here until that
//    backend exists.
//  - Progress: `progress(phase, done, total)` for the scan phases and "restore".
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/result.h>

#include "mosaico/recovery/restore.h"
#include "mosaico/recovery/store_scan.h"
#include "mosaico/store/object_store.h"

namespace mosaico::recovery {

struct RebuildOptions {
  bool force = false;             // replace an existing catalog file
  bool verify_checksums = false;  // also re-read every chunk and compare its CRC32
  std::function<void(const std::string& phase, int64_t done, int64_t total)> progress;
};

struct RebuildReport {
  RestoreCounts counts;
  std::vector<ScanProblem> problems;
  std::string catalog_file;
  std::optional<std::string> backup_file;  // where the replaced catalog was moved
};

arrow::Result<RebuildReport> RebuildCatalog(const std::string& catalog_url, store::ObjectStore& store,
                                            const RebuildOptions& options = {});

// True when the store holds at least one sequence manifest (a missing catalog then means data to rebuild).
arrow::Result<bool> StoreHoldsSequences(store::ObjectStore& store);

}  // namespace mosaico::recovery
