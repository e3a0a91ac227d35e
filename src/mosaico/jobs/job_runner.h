// JobRunner: the background workers of the event queue (catalog/catalog.h, JobRecord; docs/JOBS.md).
//
// Contract:
//  - Start() launches `workers` threads. Each loops: Catalog::ClaimJob(worker id, now, lease) -> the handler
//    registered for the job's kind -> CompleteJob when it returns OK; otherwise FailJob: back to the queue after
//    an exponential backoff (Backoff(): backoff_base * 2^(attempt-1), at most backoff_max), or given up (state
//    failed, logged at error level) when the job has been claimed max_attempts times. A kind with no handler
//    here fails the same way (another daemon may know it; if none does, it ends up failed, visibly).
//  - At-least-once: a job whose worker died is claimed again (by any daemon on the catalog) once its lease
//    expired; the attempt count says how often it was claimed. Handlers must therefore be idempotent. While a
//    handler runs, a heartbeat renews its lease every lease/3, so a live worker keeps its job however long it
//    takes and only a dead (or frozen) process loses it.
//  - Worker ids are "<hostname>:<pid>:<n>" (n = 0..workers-1).
//  - Logs one line per job step: event=job_started / job_done / job_failed / job_released, with kind= id=
//    attempt= worker= and ms= (handler time) once it ran; each run is counted by kind and outcome
//    (jobs/job_metrics.h: mosaicod_job_runs_total, mosaicod_job_duration_seconds).
//  - Crash point "job.after_claim" (core/crash_point.h): right after a claim, before the handler runs.
//  - RequestStop(): no new claims (cheap, non-blocking; handlers see stop_requested()). Stop(): RequestStop, then
//    waits for the in-flight handlers and joins every thread; idempotent, also run by the destructor. A handler
//    that notices stop_requested() may return Cancelled: its job goes back to the queue at once (no backoff).
//    A handler that is never told just finishes; a process killed meanwhile leaves its job to lease expiry.
//  - Register() before Start(); everything else is thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <arrow/status.h>

#include "mosaico/catalog/catalog.h"

namespace mosaico::jobs {

using JobHandler = std::function<arrow::Status(const catalog::JobRecord&)>;

struct JobRunnerOptions {
  int workers = 1;
  int64_t lease_ns = 300LL * 1000000000;
  int max_attempts = 5;
  int64_t backoff_base_ns = 30LL * 1000000000;
  int64_t backoff_max_ns = 3600LL * 1000000000;
  int64_t idle_poll_ns = 1000000000;  // an idle worker asks the queue again after this long (Wake() cuts it short)
  std::string worker_prefix;          // default "<hostname>:<pid>"
};

class JobRunner {
 public:
  JobRunner(std::shared_ptr<catalog::Catalog> catalog, JobRunnerOptions options);
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  void Register(const std::string& kind, JobHandler handler);
  void Start();
  void RequestStop();
  void Stop();
  // Idle workers look at the queue now (e.g. this process just enqueued a job).
  void Wake();

  bool stop_requested() const { return stop_.load(); }
  std::string WorkerId(int n) const;
  const JobRunnerOptions& options() const { return options_; }

  // The delay before a job that failed on its `attempt`-th claim may run again.
  static int64_t Backoff(const JobRunnerOptions& options, int32_t attempt);

 private:
  void WorkerLoop(int n);
  void RunJob(int n, const std::string& worker, const catalog::JobRecord& job);
  void HeartbeatLoop();
  // Waits up to `ns` for a Wake() or a stop request; `seen` tracks the wake generation this worker knows.
  void IdleWait(int64_t ns, uint64_t* seen);

  const std::shared_ptr<catalog::Catalog> catalog_;
  const JobRunnerOptions options_;
  std::string prefix_;
  std::map<std::string, JobHandler> handlers_;  // written only before Start

  std::atomic<bool> stop_{false};
  bool started_ = false;
  bool joined_ = false;

  std::mutex mu_;  // wake generation, heartbeat stop
  std::condition_variable cv_;
  uint64_t wake_generation_ = 0;
  bool heartbeat_stop_ = false;

  std::mutex flight_mu_;  // jobs in flight: worker index -> job id (renewed by the heartbeat)
  std::map<int, int64_t> in_flight_;

  std::vector<std::thread> workers_;
  std::thread heartbeat_;
};

}  // namespace mosaico::jobs
