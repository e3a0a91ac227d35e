#include "cleanup_command.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <iostream>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "existing_storage.h"
#include "mosaico/catalog/catalog.h"
#include "mosaico/core/clock.h"
#include "mosaico/core/progress_log.h"
#include "mosaico/jobs/abandoned_sessions.h"
#include "mosaico/jobs/gc.h"
#include "mosaico/lifecycle/lifecycle.h"
#include "mosaico/server/server_runner.h"
#include "mosaico/store/object_store.h"

namespace mosaicod {
namespace {

using mosaico::server::ServerConfig;
constexpr double kNsPerSecond = 1e9;

// SIGTERM / SIGINT as a flag and a wake-up, for the interval mode.
// REQUIRES: the signals blocked in every thread (BlockShutdownSignals before any other thread started).
class StopSignal {
 public:
  StopSignal() {
    waiter_ = std::thread([this] {
      sigset_t signals;
      sigemptyset(&signals);
      sigaddset(&signals, SIGINT);
      sigaddset(&signals, SIGTERM);
      int sig = 0;
      sigwait(&signals, &sig);
      spdlog::info("event=shutdown_requested signal={}", sig == SIGINT ? "SIGINT" : "SIGTERM");
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      cv_.notify_all();
    });
  }
  ~StopSignal() { waiter_.join(); }  // the loop ends only after the signal came

  bool stopped() const { return stop_.load(); }
  // Sleeps up to `seconds`; true when stopped meanwhile.
  bool WaitFor(double seconds) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return stop_.load(); });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
  std::thread waiter_;
};

// One cleanup run; true when it left no failure behind.
bool RunOnce(mosaico::lifecycle::Lifecycle& lifecycle, const ServerConfig& config, int run,
             const std::function<bool()>& should_stop) {
  namespace jobs = mosaico::jobs;
  const auto started = std::chrono::steady_clock::now();
  spdlog::info("event=cleanup_started run={} abandon_after_hours={} gc_min_age_seconds={}", run,
               config.abandon_after_hours, config.gc_min_age_seconds);
  mosaico::ProgressLog progress("cleanup");
  bool ok = true;

  progress.Update("abandoned_sessions", 0, 1);
  jobs::AbandonedSessionsOptions sweep_options;
  sweep_options.idle_ns = static_cast<int64_t>(config.abandon_after_hours * 3600 * kNsPerSecond);
  auto sweep = jobs::SweepAbandonedSessions(lifecycle, sweep_options, mosaico::NowNs(), should_stop);
  int64_t sessions_checked = 0;
  size_t sessions_removed = 0;
  if (sweep.ok()) {
    sessions_checked = sweep->sessions_checked;
    sessions_removed = sweep->removed.size();
    for (const auto& s : sweep->removed) {
      spdlog::info("event=cleanup_session_removed session={}", s);
      std::cout << "  removed abandoned session " << s << "\n";
    }
  } else if (!sweep.status().IsCancelled()) {
    ok = false;
    spdlog::error("event=cleanup_sweep_failed status=\"{}\"", sweep.status().ToString());
    std::cout << "  abandoned-session sweep failed: " << sweep.status().ToString() << "\n";
  }
  progress.Update("abandoned_sessions", 1, 1);
  if (should_stop()) return ok;

  progress.Update("store_garbage", 0, 1);
  jobs::GcOptions gc_options;
  gc_options.min_age_ns = config.gc_min_age_seconds * 1000000000LL;
  auto gc = jobs::CollectGarbage(lifecycle, gc_options, mosaico::NowNs());
  jobs::GcReport report;
  if (gc.ok()) {
    report = std::move(*gc);
    for (const auto& f : report.removed) {
      spdlog::info("event=cleanup_garbage_removed kind={} subject={}", f.kind, f.subject);
      std::cout << "  removed " << f.kind << "  " << f.subject << "\n";
    }
    for (const auto& f : report.failed) {
      spdlog::error("event=cleanup_garbage_failed kind={} subject={} detail=\"{}\"", f.kind, f.subject, f.detail);
      std::cout << "  FAILED  " << f.kind << "  " << f.subject << "  " << f.detail << "\n";
    }
    ok = ok && report.failed.empty();
  } else {
    ok = false;
    spdlog::error("event=cleanup_gc_failed status=\"{}\"", gc.status().ToString());
    std::cout << "  store GC failed: " << gc.status().ToString() << "\n";
  }
  progress.Update("store_garbage", 1, 1);

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("event=cleanup_done run={} sessions_checked={} sessions_removed={} garbage_removed={} "
               "garbage_failed={} garbage_deferred={} jobs_pruned={} ok={} seconds={:.3f}",
               run, sessions_checked, sessions_removed, report.removed.size(), report.failed.size(), report.deferred,
               report.jobs_pruned, ok, seconds);
  std::cout << "cleanup: " << sessions_removed << " abandoned session(s) removed (" << sessions_checked
            << " idle candidate(s)), " << report.removed.size() << " garbage item(s) removed, " << report.deferred
            << " left for later (younger than " << config.gc_min_age_seconds << " s or in flight), "
            << report.failed.size() << " failed, " << report.jobs_pruned << " finished job(s) pruned\n"
            << std::flush;
  return ok;
}

}  // namespace

int RunCleanup(const ServerConfig& config, double interval_seconds) {
  if (int code = RequireExistingStorage(config, "cleanup"); code != 0) return code;
  // A repeated run waits for SIGTERM/SIGINT: blocked before the store's and catalog's threads start.
  if (interval_seconds > 0) mosaico::server::BlockShutdownSignals();
  auto fail = [&](const arrow::Status& st) {
    spdlog::error("event=cleanup_failed status=\"{}\"", st.ToString());
    std::cerr << "mosaicod cleanup: " << st.ToString() << "\n";
    return 2;
  };
  auto catalog =
      mosaico::catalog::OpenCatalog(config.ResolvedCatalogUrl(), {.pool_size = config.catalog_pool_size});
  if (!catalog.ok()) return fail(catalog.status());
  auto store = mosaico::store::ObjectStore::Open(config.ResolvedStoreUri(), config.store_s3);
  if (!store.ok()) return fail(store.status());
  mosaico::lifecycle::Lifecycle lifecycle(*catalog, *store);
  spdlog::info("event=cleanup catalog={} store={} interval_seconds={}", config.ResolvedCatalogUrl(),
               config.ResolvedStoreUri(), interval_seconds);
  if (interval_seconds <= 0) return RunOnce(lifecycle, config, 1, [] { return false; }) ? 0 : 1;
  auto stop = std::make_unique<StopSignal>();
  for (int run = 1; !stop->stopped(); ++run) {
    RunOnce(lifecycle, config, run, [&] { return stop->stopped(); });
    if (stop->WaitFor(interval_seconds)) break;
  }
  spdlog::info("event=cleanup_stopped");
  return 0;
}

}  // namespace mosaicod
