// Check (`mosaicod check`, fsck): every disagreement between the catalog and the store, and what can be repaired.
//
// Contract:
//  - Read-only unless Repair is called. Compares, sequence by sequence, what the catalog holds with what the store
//    says (recovery/store_scan.h): sequences, sessions (uuid, times, lock), topics (tag, format, metadata, schema,
//    committed upload, chunk list with sizes/checksums/stats), notifications. Store-side problems found by the scan
//    are findings too.
//  - Each Finding says whether Repair can fix it safely:
//      * a sequence in the store but not in the catalog      -> restored into the catalog (RestoreSequence);
//      * an interrupted or superseded upload directory older than `min_upload_age_ns` (age from the ULID upload
//        id, so a stream still running on a live daemon is left alone) -> deleted from the store;
//      * a leftover temp object ("/.tmp-")                     -> deleted;
//    everything else (field mismatches, a catalog entry whose store objects vanished, checksum mismatches) is
//    reported only: the store is the source of truth, and `mosaicod rebuild --force` realigns the catalog to it.
//  - Findings are ordered by subject; `clean()` is true when there is none.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/store/object_store.h"

namespace mosaico::recovery {

struct Finding {
  std::string kind;     // e.g. "missing_in_catalog", "field_mismatch", "interrupted_upload", "checksum_mismatch"
  std::string subject;  // locator ("seq", "seq/topic", "seq:session") or object key
  std::string detail;
  bool repairable = false;
};

struct CheckOptions {
  bool verify_checksums = false;
  int64_t min_upload_age_ns = 3600LL * 1000000000;  // younger interrupted uploads may still be streaming
  int64_t now_ns = 0;                               // 0: the wall clock
  std::function<void(const std::string& phase, int64_t done, int64_t total)> progress;
};

struct CheckReport {
  std::vector<Finding> findings;
  int64_t sequences_checked = 0;
  int64_t chunks_verified = 0;
  bool clean() const { return findings.empty(); }
};

arrow::Result<CheckReport> Check(catalog::Catalog& catalog, store::ObjectStore& store, const CheckOptions& options = {});

struct RepairReport {
  int64_t repaired = 0;
  std::vector<Finding> left;  // findings not repairable, or whose repair failed (detail says why)
};

// Re-runs Check and fixes every repairable finding.
arrow::Result<RepairReport> Repair(catalog::Catalog& catalog, store::ObjectStore& store,
                                   const CheckOptions& options = {});

}  // namespace mosaico::recovery
