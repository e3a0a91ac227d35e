#include "mosaico/jobs/background_jobs.h"

#include <utility>

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
  runner.Register(lifecycle::kRecoverSequenceJob, [lifecycle](const catalog::JobRecord& job) {
    return RunRecoverSequenceJob(job, *lifecycle->catalog(), *lifecycle->store());
  });
  runner.Register(lifecycle::kSyncNotificationsJob, [lifecycle, r](const catalog::JobRecord& job) {
    return RunSyncNotificationsJob(job, *lifecycle->catalog(), *lifecycle->store(), [r] { return r->stop_requested(); });
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
