// Shared by check.cc and repair.cc (not part of the recovery interface): one Check run that also hands back the
// store snapshot it compared, so Repair acts on exactly what was checked.
#pragma once

#include "mosaico/recovery/check.h"
#include "mosaico/recovery/store_scan.h"

namespace mosaico::recovery::internal {

arrow::Status CheckWithSnapshot(catalog::Catalog& catalog, store::ObjectStore& store, const CheckOptions& options,
                                StoreSnapshot* snapshot, CheckReport* report);

// The notifications of `in_store` missing from `in_catalog` and the reverse, compared by (time, type, message).
struct NotificationDiff {
  std::vector<catalog::NotificationRecord> store_only;
  std::vector<catalog::NotificationRecord> catalog_only;
  bool empty() const { return store_only.empty() && catalog_only.empty(); }
};
NotificationDiff DiffNotifications(const std::vector<catalog::NotificationRecord>& in_catalog,
                                   const std::vector<lifecycle::ParsedNotification>& in_store);

// Whether `manifest` (a newer committed upload of a locked topic) holds the rows of the catalog's current data:
// same row count and time range -- what a compaction of it keeps (adopt_upload).
bool SameRowsAndRange(const catalog::TopicDataSummary& in_catalog, const ingest::UploadManifest& manifest);

}  // namespace mosaico::recovery::internal
