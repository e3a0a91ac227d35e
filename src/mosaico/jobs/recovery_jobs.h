// Handlers of the recovery marks (lifecycle/recovery_marks.h), run by any daemon's workers:
//   recover_sequence    the start-up repairs on one sequence (recovery/startup_recovery.h, RecoverSequences);
//                       resources whose notifications are out of step get a sync_notifications job (due now).
//   sync_notifications  realigns one resource's notifications (recovery/notification_sync.h), waiting out notifies
//                       that may be in flight on another daemon.
// Both are idempotent; a repair that fails fails the job (retried with backoff, docs/JOBS.md).
#pragma once

#include <functional>

#include <arrow/status.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/store/object_store.h"

namespace mosaico::jobs {

arrow::Status RunRecoverSequenceJob(const catalog::JobRecord& job, catalog::Catalog& catalog,
                                    store::ObjectStore& store);
arrow::Status RunSyncNotificationsJob(const catalog::JobRecord& job, catalog::Catalog& catalog,
                                      store::ObjectStore& store, std::function<bool()> cancelled);

}  // namespace mosaico::jobs
