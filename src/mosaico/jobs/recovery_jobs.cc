#include "mosaico/jobs/recovery_jobs.h"

#include <spdlog/spdlog.h>

#include "mosaico/core/clock.h"
#include "mosaico/lifecycle/recovery_marks.h"
#include "mosaico/recovery/notification_sync.h"
#include "mosaico/recovery/startup_recovery.h"

namespace mosaico::jobs {
namespace {
constexpr int64_t kMinCreateAgeNs = 60LL * 1000000000;  // a younger create may still be writing its manifest
}  // namespace

arrow::Status RunRecoverSequenceJob(const catalog::JobRecord& job, catalog::Catalog& catalog,
                                    store::ObjectStore& store) {
  ARROW_ASSIGN_OR_RAISE(auto target, lifecycle::ParseMarkPayload(job.payload_json));
  std::vector<lifecycle::MarkTarget> notifications;
  ARROW_ASSIGN_OR_RAISE(auto report, recovery::RecoverSequences(catalog, store, {target.sequence}, &notifications,
                                                                kMinCreateAgeNs));
  for (const auto& f : report.done) {
    spdlog::warn("event=recovery_repair kind={} subject={} action={} detail=\"{}\"", f.kind, f.subject,
                 recovery::RepairActionName(f.action), f.detail);
  }
  for (const auto& n : notifications) {
    ARROW_RETURN_NOT_OK(lifecycle::MarkNotificationsPending(catalog, n.sequence, n.topic, NowNs(), 0));
  }
  for (const auto& f : report.left) {
    if (f.repairable && recovery::StartupRepairActions().count(f.action)) {
      return arrow::Status::IOError("repair of ", f.subject, " (", f.kind, ") failed: ", f.detail);
    }
  }
  return arrow::Status::OK();
}

arrow::Status RunSyncNotificationsJob(const catalog::JobRecord& job, catalog::Catalog& catalog,
                                      store::ObjectStore& store, std::function<bool()> cancelled) {
  ARROW_ASSIGN_OR_RAISE(auto target, lifecycle::ParseMarkPayload(job.payload_json));
  recovery::NotificationSyncOptions options;
  options.cancelled = std::move(cancelled);
  return recovery::SyncNotificationsOf(catalog, store, target.sequence, target.topic, options).status();
}

}  // namespace mosaico::jobs
