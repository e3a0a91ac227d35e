#include "mosaico/jobs/scheduler.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include <spdlog/spdlog.h>

#include "mosaico/core/clock.h"

namespace mosaico::jobs {

Scheduler::Scheduler(std::shared_ptr<catalog::Catalog> catalog, std::vector<ScheduledJob> jobs,
                     std::function<void()> on_enqueued)
    : catalog_(std::move(catalog)), jobs_(std::move(jobs)), on_enqueued_(std::move(on_enqueued)) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { Loop(); });
}

void Scheduler::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void Scheduler::Enqueue(const ScheduledJob& job) {
  const int64_t now = NowNs();
  auto queued = catalog_->EnqueueJob(job.kind, job.payload_json, job.dedup_key, now, now);
  if (!queued.ok()) {
    spdlog::warn("event=job_schedule_failed kind={} status=\"{}\"", job.kind, queued.status().ToString());
    return;
  }
  spdlog::debug("event=job_scheduled kind={} id={} new={}", job.kind, queued->id, queued->created_at_ns == now);
  if (on_enqueued_) on_enqueued_();
}

void Scheduler::Loop() {
  using Clock = std::chrono::steady_clock;
  std::vector<Clock::time_point> due(jobs_.size(), Clock::now());
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    const auto now = Clock::now();
    auto next = Clock::time_point::max();
    for (size_t i = 0; i < jobs_.size(); ++i) {
      if (jobs_[i].interval_ns <= 0) continue;
      if (due[i] <= now) {
        Enqueue(jobs_[i]);
        due[i] = now + std::chrono::nanoseconds(jobs_[i].interval_ns);
      }
      next = std::min(next, due[i]);
    }
    std::unique_lock lock(mu_);
    if (next == Clock::time_point::max()) {
      cv_.wait(lock, [&] { return stop_; });
    } else {
      cv_.wait_until(lock, next, [&] { return stop_; });
    }
  }
}

}  // namespace mosaico::jobs
