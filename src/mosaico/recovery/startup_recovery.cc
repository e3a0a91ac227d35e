#include "mosaico/recovery/startup_recovery.h"

namespace mosaico::recovery {

const std::set<RepairAction>& StartupRepairActions() {
  static const std::set<RepairAction> actions = {
      RepairAction::kFinishDeletion, RepairAction::kDropStaleTombstone, RepairAction::kWriteManifest,
      RepairAction::kWriteSchema,    RepairAction::kWriteFinalizedMarker, RepairAction::kCommitUpload,
      RepairAction::kLockSession,    RepairAction::kSyncNotifications,    RepairAction::kAdoptUpload,
  };
  return actions;
}

arrow::Result<RepairReport> RecoverAtStartup(catalog::Catalog& catalog, store::ObjectStore& store) {
  CheckOptions check;
  check.compare_chunks = false;
  check.min_upload_age_ns = 0;  // only the kinds above are acted on; none of them can be in flight before serving
  RepairOptions repair;
  repair.only = StartupRepairActions();
  return Repair(catalog, store, check, repair);
}

}  // namespace mosaico::recovery
