#include "mosaico/recovery/startup_recovery.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "mosaico/core/clock.h"
#include "mosaico/recovery/notification_sync.h"

namespace mosaico::recovery {
namespace {

constexpr int64_t kStartupLeaseNs = 300LL * 1000000000;
constexpr int64_t kSyncRetryNs = 30LL * 1000000000;

std::string StartupOwner() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return std::string(host[0] ? host : "host") + ":" + std::to_string(getpid()) + ":startup";
}

}  // namespace

const std::set<RepairAction>& StartupRepairActions() {
  static const std::set<RepairAction> actions = {
      RepairAction::kFinishDeletion, RepairAction::kDropStaleTombstone, RepairAction::kWriteManifest,
      RepairAction::kWriteSchema,    RepairAction::kWriteFinalizedMarker, RepairAction::kCommitUpload,
      RepairAction::kLockSession,    RepairAction::kAdoptUpload,
  };
  return actions;
}

arrow::Result<PendingWork> FindPendingWork(catalog::Catalog& catalog) {
  PendingWork work;
  for (auto state : {catalog::JobRecord::State::kPending, catalog::JobRecord::State::kRunning}) {
    auto jobs = catalog.ListJobs(state, 1000000);
    if (!jobs.ok()) {
      if (jobs.status().IsNotImplemented()) break;
      return jobs.status();
    }
    for (const auto& job : *jobs) {
      const bool recover = job.kind == lifecycle::kRecoverSequenceJob;
      if (!recover && job.kind != lifecycle::kSyncNotificationsJob) continue;
      auto target = lifecycle::ParseMarkPayload(job.payload_json);
      if (!target.ok()) continue;  // the job itself fails on it, visibly
      if (recover) {
        work.sequences.insert(target->sequence);
      } else {
        work.notifications.push_back(*target);
      }
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto open, catalog.ListOpenSequences());
  work.sequences.insert(open.begin(), open.end());
  return work;
}

arrow::Result<RepairReport> RecoverSequences(catalog::Catalog& catalog, store::ObjectStore& store,
                                             const std::set<std::string>& sequences,
                                             std::vector<lifecycle::MarkTarget>* notifications,
                                             int64_t min_create_age_ns) {
  if (sequences.empty()) return RepairReport{};
  CheckOptions check;
  check.compare_chunks = false;
  check.min_upload_age_ns = min_create_age_ns;  // only the kinds above are acted on; each is safe beside work
                                                // in flight, a manifest written for a young create nearly so
  check.only_sequences = sequences;
  RepairOptions repair;
  repair.only = StartupRepairActions();
  ARROW_ASSIGN_OR_RAISE(auto report, Repair(catalog, store, check, repair));
  for (const auto& f : report.left) {
    if (f.action != RepairAction::kSyncNotifications || notifications == nullptr) continue;
    lifecycle::MarkTarget t{f.sequence, std::nullopt};
    if (!f.topic.empty()) t.topic = f.topic;
    notifications->push_back(std::move(t));
  }
  std::erase_if(report.left, [](const Finding& f) { return f.action == RepairAction::kSyncNotifications; });
  return report;
}

arrow::Status SyncNotificationsOnce(catalog::Catalog& catalog, store::ObjectStore& store,
                                    const lifecycle::MarkTarget& target, const std::string& owner,
                                    std::vector<Finding>* done) {
  const int64_t now = NowNs();
  ARROW_RETURN_NOT_OK(lifecycle::MarkNotificationsPending(catalog, target.sequence, target.topic, now, 0));
  auto job = catalog.ClaimJobByKey(lifecycle::SyncNotificationsDedupKey(target.sequence, target.topic), owner, now,
                                   kStartupLeaseNs);
  const bool queued = job.ok();
  if (!job.ok() && !job.status().IsNotImplemented()) return job.status();
  if (queued && !job->has_value()) return arrow::Status::OK();  // another worker runs it
  auto synced = SyncNotificationsOf(catalog, store, target.sequence, target.topic);
  if (queued) {
    const auto& j = **job;
    if (synced.ok()) {
      ARROW_RETURN_NOT_OK(catalog.CompleteJob(j.id, owner, NowNs()));
    } else {
      ARROW_RETURN_NOT_OK(
          catalog.FailJob(j.id, owner, synced.status().ToString(), NowNs() + kSyncRetryNs, false, NowNs()));
    }
  }
  ARROW_RETURN_NOT_OK(synced.status());
  if (done != nullptr && (synced->added > 0 || synced->dropped > 0)) {
    Finding f;
    f.kind = "notifications_mismatch";
    f.subject = target.sequence + (target.topic ? "/" + *target.topic : "");
    f.detail = std::to_string(synced->added) + " added, " + std::to_string(synced->dropped) + " dropped";
    f.repairable = true;
    f.action = RepairAction::kSyncNotifications;
    f.sequence = target.sequence;
    f.topic = target.topic.value_or("");
    done->push_back(std::move(f));
  }
  return arrow::Status::OK();
}

arrow::Result<RepairReport> RecoverAtStartup(catalog::Catalog& catalog, store::ObjectStore& store) {
  ARROW_ASSIGN_OR_RAISE(auto work, FindPendingWork(catalog));
  spdlog::info("event=startup_recovery_scope sequences={} notification_targets={}", work.sequences.size(),
               work.notifications.size());
  ARROW_ASSIGN_OR_RAISE(auto report, RecoverSequences(catalog, store, work.sequences, &work.notifications));
  const std::string owner = StartupOwner();
  std::set<std::string> seen;
  for (const auto& target : work.notifications) {
    if (!seen.insert(target.sequence + "\x1f" + target.topic.value_or("")).second) continue;
    size_t before = report.done.size();
    auto st = SyncNotificationsOnce(catalog, store, target, owner, &report.done);
    if (!st.ok()) {
      Finding f;
      f.kind = "notifications_mismatch";
      f.subject = target.sequence + (target.topic ? "/" + *target.topic : "");
      f.detail = "sync failed: " + st.ToString();
      f.repairable = true;
      f.action = RepairAction::kSyncNotifications;
      f.sequence = target.sequence;
      report.left.push_back(std::move(f));
    }
    report.repaired += static_cast<int64_t>(report.done.size() - before);
  }
  return report;
}

}  // namespace mosaico::recovery
