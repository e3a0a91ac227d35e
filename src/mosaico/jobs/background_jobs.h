// BackgroundJobs: the event-queue work of one daemon (docs/JOBS.md): a JobRunner with every built-in handler
// registered, and a Scheduler enqueueing the periodic sweeps. server/server_runner starts it once the Flight server
// listens and stops it at shutdown, before the catalog closes.
//
// Built-in job kinds and their handlers:
//   sweep_abandoned_sessions   abandoned_sessions.h    scheduled every sweep_interval_ns (dedup key = kind)
//   gc_store                   gc.h                    the full store sweep: scheduled every gc_interval_ns
//                                                      (default 0: never; `mosaicod cleanup` runs it on demand)
//   gc_sequence                gc.h                    enqueued after each recovery mark ran, due when the garbage
//                                                      its operation may have left is old enough: one sequence
//   prune_jobs                 background_jobs.cc      scheduled every prune_jobs_interval_ns: finished jobs older
//                                                      than gc.job_retention_ns (an index range, not the queue)
//   delete_upload              delete_upload.h         enqueued by compaction, delayed
//   compact_topic              compaction.h            enqueued by finalize (lifecycle/compaction_request.h)
//   recover_sequence           recovery_jobs.h         recovery marks (lifecycle/recovery_marks.h): finalize, deletes,
//   sync_notifications         recovery_jobs.h         compaction / notify, purge enqueue them before acting
// Contract: Start() with runner.workers <= 0 starts nothing and returns nullptr: this daemon does no background
// work (other daemons sharing the catalog do). RequestStop() is non-blocking; Stop() joins everything (idempotent,
// also run by the destructor).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "mosaico/jobs/abandoned_sessions.h"
#include "mosaico/jobs/compaction.h"
#include "mosaico/jobs/gc.h"
#include "mosaico/jobs/job_runner.h"
#include "mosaico/jobs/scheduler.h"
#include "mosaico/lifecycle/lifecycle.h"

namespace mosaico::jobs {

struct BackgroundJobsConfig {
  JobRunnerOptions runner;
  AbandonedSessionsOptions abandoned;
  int64_t sweep_interval_ns = 300LL * 1000000000;  // <= 0: never scheduled here
  GcOptions gc;
  int64_t gc_interval_ns = 0;                           // the full sweep; <= 0: never scheduled here
  int64_t prune_jobs_interval_ns = 3600LL * 1000000000;  // <= 0: never scheduled here
  CompactionOptions compaction;
};

// Registers the handler of every built-in kind (see above) on `runner`.
void RegisterBuiltinHandlers(JobRunner& runner, std::shared_ptr<lifecycle::Lifecycle> lifecycle,
                             const BackgroundJobsConfig& config);
// The periodic jobs of `config`.
std::vector<ScheduledJob> BuiltinSchedule(const BackgroundJobsConfig& config);

class BackgroundJobs {
 public:
  static std::unique_ptr<BackgroundJobs> Start(std::shared_ptr<lifecycle::Lifecycle> lifecycle,
                                               const BackgroundJobsConfig& config);
  ~BackgroundJobs();

  void RequestStop();
  void Stop();
  JobRunner& runner() { return *runner_; }

 private:
  BackgroundJobs() = default;
  std::unique_ptr<JobRunner> runner_;
  std::unique_ptr<Scheduler> scheduler_;
};

}  // namespace mosaico::jobs
