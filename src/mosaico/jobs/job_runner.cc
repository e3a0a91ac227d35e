#include "mosaico/jobs/job_runner.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <utility>

#include <spdlog/spdlog.h>

#include "mosaico/core/clock.h"
#include "mosaico/core/crash_point.h"
#include "mosaico/jobs/job_metrics.h"

namespace mosaico::jobs {
namespace {

constexpr int64_t kMaxClaimRetryNs = 30LL * 1000000000;

std::string DefaultPrefix() {
  char host[256] = {0};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof(host), "unknown");
  return std::string(host) + ":" + std::to_string(::getpid());
}

int64_t ElapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

JobRunner::JobRunner(std::shared_ptr<catalog::Catalog> catalog, JobRunnerOptions options)
    : catalog_(std::move(catalog)), options_(std::move(options)) {
  prefix_ = options_.worker_prefix.empty() ? DefaultPrefix() : options_.worker_prefix;
}

JobRunner::~JobRunner() { Stop(); }

void JobRunner::Register(const std::string& kind, JobHandler handler) { handlers_[kind] = std::move(handler); }

std::string JobRunner::WorkerId(int n) const { return prefix_ + ":" + std::to_string(n); }

int64_t JobRunner::Backoff(const JobRunnerOptions& options, int32_t attempt) {
  int64_t delay = std::max<int64_t>(options.backoff_base_ns, 0);
  for (int32_t i = 1; i < attempt && delay < options.backoff_max_ns; ++i) delay *= 2;
  return std::min(delay, options.backoff_max_ns);
}

void JobRunner::Start() {
  std::lock_guard lock(mu_);
  if (started_) return;
  started_ = true;
  for (int n = 0; n < options_.workers; ++n) workers_.emplace_back([this, n] { WorkerLoop(n); });
  heartbeat_ = std::thread([this] { HeartbeatLoop(); });
  spdlog::info("event=job_runner_started workers={} lease_ms={} worker_prefix={}", options_.workers,
               options_.lease_ns / 1000000, prefix_);
}

void JobRunner::RequestStop() {
  stop_ = true;
  std::lock_guard lock(mu_);
  cv_.notify_all();
}

void JobRunner::Stop() {
  RequestStop();
  {
    std::lock_guard lock(mu_);
    if (!started_ || joined_) return;
    joined_ = true;
  }
  for (auto& w : workers_) w.join();
  {
    std::lock_guard lock(mu_);
    heartbeat_stop_ = true;
    cv_.notify_all();
  }
  heartbeat_.join();
  spdlog::info("event=job_runner_stopped");
}

void JobRunner::Wake() {
  std::lock_guard lock(mu_);
  ++wake_generation_;
  cv_.notify_all();
}

void JobRunner::IdleWait(int64_t ns, uint64_t* seen) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::nanoseconds(ns), [&] { return stop_.load() || wake_generation_ != *seen; });
  *seen = wake_generation_;
}

void JobRunner::WorkerLoop(int n) {
  const std::string worker = WorkerId(n);
  uint64_t seen = 0;
  {
    std::lock_guard lock(mu_);
    seen = wake_generation_;
  }
  int64_t failure_wait = std::max<int64_t>(options_.idle_poll_ns, 10000000);  // grows while the queue cannot be read (catalog down, ...)
  while (!stop_) {
    auto claimed = catalog_->ClaimJob(worker, NowNs(), options_.lease_ns);
    if (!claimed.ok()) {
      spdlog::warn("event=job_claim_failed worker={} retry_in_ms={} status=\"{}\"", worker, failure_wait / 1000000,
                   claimed.status().ToString());
      IdleWait(failure_wait, &seen);
      failure_wait = std::min(failure_wait * 2, kMaxClaimRetryNs);
      continue;
    }
    failure_wait = std::max<int64_t>(options_.idle_poll_ns, 10000000);
    if (!claimed->has_value()) {
      IdleWait(options_.idle_poll_ns, &seen);
      continue;
    }
    RunJob(n, worker, **claimed);
  }
}

void JobRunner::RunJob(int n, const std::string& worker, const catalog::JobRecord& job) {
  CrashPoint("job.after_claim");
  {
    std::lock_guard lock(flight_mu_);
    in_flight_[n] = job.id;
  }
  spdlog::info("event=job_started kind={} id={} attempt={} worker={}", job.kind, job.id, job.attempts, worker);
  const auto started = std::chrono::steady_clock::now();
  arrow::Status st;
  auto handler = handlers_.find(job.kind);
  if (handler == handlers_.end()) {
    st = arrow::Status::NotImplemented("no handler for job kind '", job.kind, "' on this daemon");
  } else {
    try {
      st = handler->second(job);
    } catch (const std::exception& e) {
      st = arrow::Status::UnknownError("job handler threw: ", e.what());
    } catch (...) {
      st = arrow::Status::UnknownError("job handler threw");
    }
  }
  {
    std::lock_guard lock(flight_mu_);  // no renewal after this: the heartbeat renews under the same lock
    in_flight_.erase(n);
  }
  const int64_t ms = ElapsedMs(started);
  const int64_t now = NowNs();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (st.ok()) {
    RecordJobRun(job.kind, "done", seconds);
    auto done = catalog_->CompleteJob(job.id, worker, now);
    if (done.ok()) {
      spdlog::info("event=job_done kind={} id={} attempt={} worker={} ms={}", job.kind, job.id, job.attempts, worker,
                   ms);
    } else {  // the lease was lost (this process stalled past it): someone else runs it again
      spdlog::warn("event=job_complete_failed kind={} id={} attempt={} worker={} ms={} status=\"{}\"", job.kind,
                   job.id, job.attempts, worker, ms, done.ToString());
    }
    return;
  }
  if (stop_ && st.IsCancelled()) {
    RecordJobRun(job.kind, "released", seconds);
    auto released = catalog_->FailJob(job.id, worker, "interrupted by shutdown: " + st.message(), now, false, now);
    spdlog::info("event=job_released kind={} id={} attempt={} worker={} ms={} recorded={}", job.kind, job.id,
                 job.attempts, worker, ms, released.ok());
    return;
  }
  const bool give_up = job.attempts >= options_.max_attempts;
  const int64_t delay = Backoff(options_, job.attempts);
  RecordJobRun(job.kind, give_up ? "failed" : "retry", seconds);
  auto failed = catalog_->FailJob(job.id, worker, st.ToString(), now + delay, give_up, now);
  if (give_up) {
    spdlog::error("event=job_failed kind={} id={} attempt={} worker={} ms={} gave_up=true error=\"{}\"", job.kind,
                  job.id, job.attempts, worker, ms, st.ToString());
  } else {
    spdlog::warn("event=job_failed kind={} id={} attempt={} worker={} ms={} retry_in_ms={} error=\"{}\"", job.kind,
                 job.id, job.attempts, worker, ms, delay / 1000000, st.ToString());
  }
  if (!failed.ok()) {
    spdlog::warn("event=job_fail_record_failed kind={} id={} worker={} status=\"{}\"", job.kind, job.id, worker,
                 failed.ToString());
  }
}

void JobRunner::HeartbeatLoop() {
  const int64_t period = std::max<int64_t>(options_.lease_ns / 3, 10000000);
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::nanoseconds(period), [&] { return heartbeat_stop_; });
      if (heartbeat_stop_) return;
    }
    std::lock_guard lock(flight_mu_);
    for (const auto& [n, job_id] : in_flight_) {
      const int64_t now = NowNs();
      auto st = catalog_->RenewJobLease(job_id, WorkerId(n), now + options_.lease_ns, now);
      if (!st.ok()) {
        spdlog::warn("event=job_lease_renew_failed id={} worker={} status=\"{}\"", job_id, WorkerId(n), st.ToString());
      }
    }
  }
}

}  // namespace mosaico::jobs
