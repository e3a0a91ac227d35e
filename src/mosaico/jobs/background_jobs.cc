#include "mosaico/jobs/background_jobs.h"

#include <utility>

#include <spdlog/spdlog.h>

#include "mosaico/core/clock.h"
#include "mosaico/jobs/delete_upload.h"
#include "mosaico/jobs/recovery_jobs.h"
#include "mosaico/lifecycle/recovery_marks.h"
#include "mosaico/lifecycle/compaction_request.h"

namespace mosaico::jobs {

void RegisterBuiltinHandlers(JobRunner& runner, std::shared_ptr<lifecycle::Lifecycle> lifecycle,
                             const BackgroundJobsConfig& config) {
  JobRunner* r = &runner;
  runner.Register(kSweepAbandonedSessionsJob, [lifecycle, r, options = config.abandoned](const catalog::JobRecord&) {
    return SweepAbandonedSessions(*lifecycle, options, NowNs(), [r] { return r->stop_requested(); }).status();
  });
  runner.Register(kGcStoreJob, [lifecycle, options = config.gc](const catalog::JobRecord&) {
    return CollectGarbage(*lifecycle, options, NowNs()).status();
  });
  runner.Register(kDeleteUploadJob, [lifecycle](const catalog::JobRecord& job) {
    return RunDeleteUploadJob(job, *lifecycle->catalog(), *lifecycle->store());
  });
  runner.Register(kGcSequenceJob, [lifecycle, options = config.gc](const catalog::JobRecord& job) {
    return RunGcSequenceJob(job, *lifecycle, options, NowNs());
  });
  runner.Register(kPruneJobsJob, [lifecycle, retention = config.gc.job_retention_ns](const catalog::JobRecord&) {
    if (retention <= 0) return arrow::Status::OK();
    auto pruned = lifecycle->catalog()->PruneJobs(NowNs() - retention);
    if (pruned.ok() && *pruned > 0) spdlog::info("event=jobs_pruned count={}", *pruned);
    return pruned.status();
  });
  // After a recovery mark ran, the garbage its operation may have left (an interrupted upload, a temp object, an
  // orphan schema) is collected in that sequence alone once it is old enough (jobs/gc.h).
  auto gc_later = [lifecycle, min_age = config.gc.min_age_ns](const catalog::JobRecord& job) {
    auto target = lifecycle::ParseMarkPayload(job.payload_json);
    if (!target.ok()) return target.status();
    const int64_t now = NowNs();
    return EnqueueSequenceGc(*lifecycle->catalog(), target->sequence, now + min_age + 60LL * 1000000000, now);
  };
  runner.Register(lifecycle::kRecoverSequenceJob, [lifecycle, gc_later](const catalog::JobRecord& job) {
    ARROW_RETURN_NOT_OK(RunRecoverSequenceJob(job, *lifecycle->catalog(), *lifecycle->store()));
    return gc_later(job);
  });
  runner.Register(lifecycle::kSyncNotificationsJob, [lifecycle, r, gc_later](const catalog::JobRecord& job) {
    ARROW_RETURN_NOT_OK(
        RunSyncNotificationsJob(job, *lifecycle->catalog(), *lifecycle->store(), [r] { return r->stop_requested(); }));
    return gc_later(job);
  });
  CompactionOptions compaction = config.compaction;
  compaction.cancelled = [r] { return r->stop_requested(); };  // a shutdown does not wait for a long rewrite
  runner.Register(lifecycle::kCompactTopicJob,
                  [lifecycle, options = std::move(compaction)](const catalog::JobRecord& job) {
                    return RunCompactionJob(job, *lifecycle->catalog(), lifecycle->store(), options);
                  });
}

std::vector<ScheduledJob> BuiltinSchedule(const BackgroundJobsConfig& config) {
  return {
      {kSweepAbandonedSessionsJob, kSweepAbandonedSessionsJob, config.sweep_interval_ns},
      {kGcStoreJob, kGcStoreJob, config.gc_interval_ns},
      {kPruneJobsJob, kPruneJobsJob, config.prune_jobs_interval_ns},
  };
}

std::unique_ptr<BackgroundJobs> BackgroundJobs::Start(std::shared_ptr<lifecycle::Lifecycle> lifecycle,
                                                      const BackgroundJobsConfig& config) {
  if (config.runner.workers <= 0) return nullptr;
  std::unique_ptr<BackgroundJobs> jobs(new BackgroundJobs());
  jobs->runner_ = std::make_unique<JobRunner>(lifecycle->catalog(), config.runner);
  RegisterBuiltinHandlers(*jobs->runner_, lifecycle, config);
  JobRunner* runner = jobs->runner_.get();
  jobs->scheduler_ = std::make_unique<Scheduler>(lifecycle->catalog(), BuiltinSchedule(config),
                                                 [runner] { runner->Wake(); });
  jobs->runner_->Start();
  jobs->scheduler_->Start();
  return jobs;
}

BackgroundJobs::~BackgroundJobs() { Stop(); }

void BackgroundJobs::RequestStop() {
  if (scheduler_) scheduler_->Stop();
  if (runner_) runner_->RequestStop();
}

void BackgroundJobs::Stop() {
  if (scheduler_) scheduler_->Stop();
  if (runner_) runner_->Stop();
}

}  // namespace mosaico::jobs
