// Scheduler: enqueues the periodic jobs (the sweeps of docs/JOBS.md) into the event queue.
//
// Contract:
//  - Every ScheduledJob with interval_ns > 0 is enqueued (Catalog::EnqueueJob, run_after = now) when Start() runs
//    and then every interval_ns, always with its dedup key: however many daemons schedule it, at most one such
//    job is pending or running at a time, and a tick that finds one waiting adds nothing. Jobs with
//    interval_ns <= 0 are never scheduled.
//  - `on_enqueued` (optional) runs after each enqueue, e.g. JobRunner::Wake so local workers look right away.
//  - A failed enqueue (catalog busy, ...) is logged and retried at the next tick.
//  - Stop() wakes the thread and joins it; idempotent, also run by the destructor.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mosaico/catalog/catalog.h"

namespace mosaico::jobs {

struct ScheduledJob {
  std::string kind;
  std::string dedup_key;
  int64_t interval_ns = 0;
  std::string payload_json = "{}";
};

class Scheduler {
 public:
  Scheduler(std::shared_ptr<catalog::Catalog> catalog, std::vector<ScheduledJob> jobs,
            std::function<void()> on_enqueued = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void Start();
  void Stop();

 private:
  void Loop();
  void Enqueue(const ScheduledJob& job);

  const std::shared_ptr<catalog::Catalog> catalog_;
  const std::vector<ScheduledJob> jobs_;
  const std::function<void()> on_enqueued_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace mosaico::jobs
