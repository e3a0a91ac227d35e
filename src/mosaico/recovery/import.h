// Import (`mosaicod import --from <store>`): brings the sequences of another store into this one (store and
// catalog), verifying every chunk against the CRC32 its upload.json recorded at write time.
//
// Contract:
//  - Source sequences are taken as the source store describes them (recovery/store_scan.h): committed uploads
//    only (interrupted or superseded uploads stay behind). A source sequence with a damaged part (unreadable
//    manifest below it, missing or resized chunk, CRC32 mismatch found while copying) is not imported at all and
//    is reported as failed; the others still are.
//  - A name already taken here (catalog or store) is handled by OnDuplicate: kFail reports it as failed, kSkip
//    leaves it out, kRename imports it as "<name>_imported", "<name>_imported_2", ... with every manifest and
//    object key rewritten to the new name and new session/topic write tokens (uuids are unique secrets).
//  - Per sequence, objects are written first (data, then manifests, sequence.json last), then the catalog rows
//    (recovery/restore.h, all or nothing). A failure removes what was written for that sequence, so a crash or
//    error never leaves a half-imported sequence visible through the API. After a crash: a copy cut before its
//    sequence.json stays invisible (rebuild skips it; `check` reports it as missing_manifest, to remove by hand);
//    one cut after it is a store-only sequence that `check --repair` restores into the catalog.
//  - Works while a daemon serves the destination: it only adds new sequences.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/recovery/restore.h"
#include "mosaico/recovery/store_scan.h"
#include "mosaico/store/object_store.h"

namespace mosaico::recovery {

enum class OnDuplicate { kFail, kSkip, kRename };

struct ImportOptions {
  OnDuplicate on_duplicate = OnDuplicate::kFail;
  std::function<void(const std::string& phase, int64_t done, int64_t total)> progress;
};

struct ImportedSequence {
  enum class Outcome { kImported, kRenamed, kSkipped, kFailed };
  std::string source_name;
  std::string name;  // the name here (differs from source_name when renamed)
  Outcome outcome = Outcome::kImported;
  std::string detail;  // why it was skipped or failed
};

const char* ImportOutcomeName(ImportedSequence::Outcome outcome);

struct ImportReport {
  std::vector<ImportedSequence> sequences;
  RestoreCounts counts;
  int64_t bytes_copied = 0;
  bool all_ok() const;  // nothing failed (skips are fine)
};

arrow::Result<ImportReport> ImportSequences(store::ObjectStore& from, store::ObjectStore& to,
                                            catalog::Catalog& catalog, const ImportOptions& options = {});

}  // namespace mosaico::recovery
