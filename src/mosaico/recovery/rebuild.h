// Rebuild: recreates the catalog from the object store alone (`mosaicod rebuild`, and the daemon's
// --rebuild-if-missing start).
//
// Contract:
//  - Scans the store (recovery/store_scan.h), restores every readable sequence into a NEW, empty catalog and only
//    then puts it in place, so readers never see a half-built catalog and a crash or failure mid-rebuild leaves the
//    previous catalog (or none) untouched:
//      SQLite: the new file is built next to the old one and renamed over it.
//      PostgreSQL: the new catalog is built in a staging schema of the same database and swapped in by one
//      transaction that moves the old catalog's objects to a backup schema and the new ones into the catalog's
//      schema (catalog/postgres/pg_staging.h says why a schema and not one big transaction). The migrations run
//      in the staging schema, so its schema_migrations table is the current one.
//  - An existing catalog is replaced only with `force` (SQLite: the file exists; PostgreSQL: its schema holds at
//    least one sequence); the old one is kept: "<file>.bak-<unix seconds>", or the schema
//    "mosaico_backup_<unix seconds>". Without `force` a PostgreSQL catalog that is empty is replaced and dropped.
//  - Store problems (unreadable manifests, interrupted uploads, ...) do not stop the rebuild: what can be restored
//    is, and the report lists the rest.
//  - Progress: `progress(phase, done, total)` for the scan phases, "restore", and "publish".
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
  bool force = false;             // replace an existing, non-empty catalog
  bool verify_checksums = false;  // also re-read every chunk and compare its CRC32
  std::function<void(const std::string& phase, int64_t done, int64_t total)> progress;
};

struct RebuildReport {
  RestoreCounts counts;
  std::vector<ScanProblem> problems;
  std::string catalog;                // the SQLite file, or "postgresql schema <name>"
  std::optional<std::string> backup;  // where the replaced catalog was kept (a file, or "postgresql schema <name>")
};

arrow::Result<RebuildReport> RebuildCatalog(const std::string& catalog_url, store::ObjectStore& store,
                                            const RebuildOptions& options = {});

// Whether the catalog at `catalog_url` exists, without creating anything: the SQLite file exists, or the
// PostgreSQL catalog's schema holds a catalog (the daemon migrated it once). A server that cannot be reached is an
// error, never "missing".
arrow::Result<bool> CatalogExists(const std::string& catalog_url);

// True when the store holds at least one sequence manifest (a missing catalog then means data to rebuild).
arrow::Result<bool> StoreHoldsSequences(store::ObjectStore& store);

}  // namespace mosaico::recovery
