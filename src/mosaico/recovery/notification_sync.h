// Notification sync: realigns the catalog's notifications of ONE sequence or topic to the store's (the store is
// the truth). The handler of the "sync_notifications" job (lifecycle/recovery_marks.h, jobs/recovery_jobs.h),
// which notify and purge enqueue before they act and which start-up recovery claims for the resources it finds
// out of step.
//
// Contract:
//  - Settles what an interrupted notify (store object, no catalog row) or purge (rows whose objects are gone)
//    left: store-only notifications get their row; catalog-only rows are dropped (purge, then the store's added).
//  - Never races a notify in flight on another daemon: a store-only notification younger than `in_flight_ns` may
//    be one whose row is about to be written, so the sync waits until every such one is that old (re-reading both
//    sides each round); after `max_rounds` it gives up with an error (the job is retried later).
//  - An unknown sequence or topic (deleted meanwhile) is nothing to do. Idempotent.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/store/object_store.h"

namespace mosaico::recovery {

struct NotificationSyncOptions {
  int64_t in_flight_ns = 3LL * 1000000000;
  int max_rounds = 5;
  std::function<bool()> cancelled;  // checked while waiting
};

struct NotificationSyncResult {
  int64_t added = 0;    // rows added from the store
  int64_t dropped = 0;  // rows whose object is gone
};

arrow::Result<NotificationSyncResult> SyncNotificationsOf(catalog::Catalog& catalog, store::ObjectStore& store,
                                                          const std::string& sequence,
                                                          const std::optional<std::string>& topic,
                                                          const NotificationSyncOptions& options = {});

}  // namespace mosaico::recovery
