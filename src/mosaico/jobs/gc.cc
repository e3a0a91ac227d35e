#include "mosaico/jobs/gc.h"

#include <string>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "mosaico/core/ids.h"
#include "mosaico/jobs/store_times.h"
#include "mosaico/lifecycle/recovery_marks.h"
#include "mosaico/store/layout.h"

namespace mosaico::jobs {
namespace {

namespace layout = store::layout;
using recovery::Finding;
using recovery::RepairAction;

// The extra guards on top of Check's (which only knows upload ids' ULID times).
class Guard {
 public:
  Guard(lifecycle::Lifecycle& lifecycle, int64_t cutoff_ns) : lc_(lifecycle), cutoff_(cutoff_ns) {}

  bool Accept(const Finding& f) {
    bool ok = false;
    switch (f.action) {
      case RepairAction::kDeleteUpload: ok = UploadIsGarbage(f); break;
      case RepairAction::kDeleteObject: ok = OldEnough(ObjectTimeNs(*lc_.store(), f.subject)); break;
      case RepairAction::kDropOrphanSchema:
        ok = OldEnough(ObjectTimeNs(*lc_.store(), layout::TopicSchema(f.sequence, f.topic)));
        break;
      default: break;
    }
    if (!ok) deferred.insert(f.subject);
    return ok;
  }

  std::set<std::string> deferred;  // subjects refused (Repair asks again on every pass)

 private:
  bool OldEnough(const arrow::Result<std::optional<int64_t>>& t) const {
    return t.ok() && t->has_value() && **t <= cutoff_;
  }

  bool UploadIsGarbage(const Finding& f) {
    if (!OldEnough(NewestObjectTimeNs(*lc_.store(), f.subject))) return false;  // still being written?
    const auto ref = layout::ParseKey(f.subject + "/upload.json");
    if (ref.kind != layout::ObjectRef::Kind::kUploadManifest) return false;
    auto topic = lc_.catalog()->GetTopic(ref.sequence, ref.topic);
    if (!topic.ok()) return topic.status().IsKeyError();  // topic gone: its leftovers are garbage
    if (topic->upload_id == ref.upload_id) return false;  // live data (e.g. a newer upload not swapped in yet)
    // (A superseded upload is aged by Check itself, by the upload that replaced it: recovery/check.h.)
    if (f.kind == "superseded_upload") return true;
    // An interrupted upload in a session that streams here right now could be that very stream.
    return !lc_.uploads().SessionHasOpenUploads(topic->session_id);
  }

  lifecycle::Lifecycle& lc_;
  const int64_t cutoff_;
};

}  // namespace

const std::set<RepairAction>& GcRepairActions() {
  static const std::set<RepairAction> actions = {RepairAction::kDeleteUpload, RepairAction::kDeleteObject,
                                                 RepairAction::kDropOrphanSchema};
  return actions;
}

arrow::Result<GcReport> CollectGarbage(lifecycle::Lifecycle& lifecycle, const GcOptions& options, int64_t now_ns) {
  recovery::CheckOptions check;
  check.min_upload_age_ns = options.min_age_ns;
  check.now_ns = now_ns;
  check.compare_chunks = false;
  check.compare_notifications = false;
  check.only_sequences = options.only_sequences;
  Guard guard(lifecycle, now_ns - options.min_age_ns);
  recovery::RepairOptions repair;
  repair.only = GcRepairActions();
  repair.accept = [&guard](const Finding& f) { return guard.Accept(f); };
  ARROW_ASSIGN_OR_RAISE(auto result, recovery::Repair(*lifecycle.catalog(), *lifecycle.store(), check, repair));

  GcReport report;
  report.removed = std::move(result.done);
  for (auto& f : result.left) {
    if (f.repairable && GcRepairActions().count(f.action) && !guard.deferred.count(f.subject)) {
      report.failed.push_back(std::move(f));
    }
  }
  report.deferred = static_cast<int64_t>(guard.deferred.size());
  for (const auto& f : report.removed) {
    spdlog::info("event=gc_removed kind={} subject={} action={}", f.kind, f.subject, RepairActionName(f.action));
  }
  for (const auto& f : report.failed) {
    spdlog::warn("event=gc_remove_failed kind={} subject={} detail=\"{}\"", f.kind, f.subject, f.detail);
  }
  if (options.job_retention_ns > 0 && !options.only_sequences) {
    ARROW_ASSIGN_OR_RAISE(report.jobs_pruned, lifecycle.catalog()->PruneJobs(now_ns - options.job_retention_ns));
  }
  spdlog::log(options.only_sequences && report.removed.empty() && report.failed.empty() ? spdlog::level::debug
                                                                                         : spdlog::level::info,
              "event=gc_done scope={} removed={} failed={} deferred={} jobs_pruned={}",
              options.only_sequences ? "sequence" : "store", report.removed.size(), report.failed.size(),
              report.deferred, report.jobs_pruned);
  return report;
}

arrow::Status EnqueueSequenceGc(catalog::Catalog& catalog, const std::string& sequence, int64_t due_ns,
                                int64_t now_ns) {
  constexpr int64_t kMinuteNs = 60LL * 1000000000;
  const std::string key = std::string(kGcSequenceJob) + ":" + sequence + ":" + std::to_string(due_ns / kMinuteNs);
  const std::string payload = nlohmann::json{{"sequence", sequence}}.dump();
  return catalog.EnqueueJob(kGcSequenceJob, payload, key, due_ns, now_ns).status();
}

arrow::Status RunGcSequenceJob(const catalog::JobRecord& job, lifecycle::Lifecycle& lifecycle,
                               const GcOptions& options, int64_t now_ns) {
  ARROW_ASSIGN_OR_RAISE(auto target, lifecycle::ParseMarkPayload(job.payload_json));
  GcOptions scoped = options;
  scoped.only_sequences = std::set<std::string>{target.sequence};
  ARROW_ASSIGN_OR_RAISE(GcReport report, CollectGarbage(lifecycle, scoped, now_ns));
  if (report.deferred > 0 || !report.failed.empty()) {
    // Young garbage (or a removal that failed): look again once it is old enough.
    ARROW_RETURN_NOT_OK(
        EnqueueSequenceGc(*lifecycle.catalog(), target.sequence, now_ns + options.min_age_ns + 60LL * 1000000000,
                          now_ns));
  }
  return arrow::Status::OK();
}

}  // namespace mosaico::jobs
