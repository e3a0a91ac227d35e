#include "mosaico/server/monitoring.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "mosaico/core/errors.h"
#include "mosaico/http/http_listener.h"
#include "mosaico/metrics/registry.h"

namespace mosaico::server {
namespace {

using Clock = std::chrono::steady_clock;

std::string Seconds(std::chrono::milliseconds ms) { return metrics::FormatValue(ms.count() / 1000.0); }

// One thread running the probes of one backend in turn (see monitoring.h). Probes queue (at most kMaxQueued); one
// whose caller gave up before it started is skipped. Shared with the thread, which may outlive the Monitor when a
// probe is stuck in its backend.
class ProbeWorker {
 public:
  static constexpr size_t kMaxQueued = 8;

  struct Ticket {
    uint64_t id = 0;
    std::shared_ptr<arrow::Status> result;       // written by the worker, possibly after the caller gave up
    std::shared_ptr<std::atomic<bool>> abandoned;  // the caller gave up: skip it if it has not started
  };

  static std::shared_ptr<ProbeWorker> Start() {
    auto worker = std::shared_ptr<ProbeWorker>(new ProbeWorker());
    worker->thread_ = std::thread([worker] { worker->Loop(); });
    return worker;
  }

  // Queues `fn`; never waits. Unavailable when the queue is full (probes stuck in the backend) or stopping.
  arrow::Result<Ticket> Submit(std::function<arrow::Status()> fn) {
    Ticket ticket{0, std::make_shared<arrow::Status>(), std::make_shared<std::atomic<bool>>(false)};
    std::lock_guard lock(mu_);
    if (stop_) return Unavailable("shutting down");
    if (queue_.size() >= kMaxQueued) return Unavailable("no answer (earlier probes are still waiting)");
    ticket.id = ++submitted_;
    queue_.push_back(Task{std::move(fn), ticket.result, ticket.abandoned});
    cv_.notify_all();
    return ticket;
  }

  // The result of a submitted probe, or Unavailable("no answer within N s") when it has not finished by `deadline`
  // (a probe already running keeps running).
  arrow::Status Wait(const Ticket& ticket, Clock::time_point deadline, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_until(lock, deadline, [&] { return finished_ >= ticket.id; })) {
      ticket.abandoned->store(true);
      return Unavailable("no answer within " + Seconds(timeout) + " s");
    }
    return *ticket.result;
  }

  arrow::Status Run(std::function<arrow::Status()> fn, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    ARROW_ASSIGN_OR_RAISE(Ticket ticket, Submit(std::move(fn)));
    return Wait(ticket, deadline, timeout);
  }

  // Stops the thread: joined when it is idle within `wait`, otherwise detached (it ends after its probe).
  void Stop(std::chrono::milliseconds wait) {
    {
      std::unique_lock lock(mu_);
      stop_ = true;
      for (auto& task : queue_) task.abandoned->store(true);
      cv_.notify_all();
      if (!cv_.wait_for(lock, wait, [&] { return exited_; })) {
        lock.unlock();
        thread_.detach();
        return;
      }
    }
    thread_.join();
  }

 private:
  struct Task {
    std::function<arrow::Status()> fn;
    std::shared_ptr<arrow::Status> result;
    std::shared_ptr<std::atomic<bool>> abandoned;
  };

  ProbeWorker() = default;

  void Loop() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping, nothing left
      Task task = std::move(queue_.front());
      queue_.pop_front();
      if (!task.abandoned->load()) {
        lock.unlock();
        arrow::Status st;
        try {
          st = task.fn();
        } catch (const std::exception& e) {
          st = arrow::Status::UnknownError("probe threw: ", e.what());
        }
        lock.lock();
        *task.result = std::move(st);
      }
      ++finished_;  // tasks finish in submission order
      cv_.notify_all();
    }
    exited_ = true;
    cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;  // guarded by mu_
  bool stop_ = false;       // guarded by mu_
  bool exited_ = false;     // guarded by mu_
  uint64_t submitted_ = 0;  // guarded by mu_
  uint64_t finished_ = 0;   // guarded by mu_
  std::thread thread_;
};

// The last catalog figures read, for the callback metrics.
struct StatsCache {
  std::mutex mu;
  std::optional<catalog::CatalogStats> stats;  // guarded by mu
  Clock::time_point read_at;                   // guarded by mu
  std::set<std::pair<std::string, catalog::JobRecord::State>> seen_jobs;  // guarded by mu: shown at 0 once gone
};

std::vector<metrics::Sample> JobSamples(StatsCache& cache, bool failed) {
  std::lock_guard lock(cache.mu);
  std::vector<metrics::Sample> out;
  if (!cache.stats) return out;
  std::map<std::pair<std::string, catalog::JobRecord::State>, int64_t> counts;
  for (const auto& key : cache.seen_jobs) counts[key] = 0;
  for (const auto& j : cache.stats->jobs) counts[{j.kind, j.state}] = j.count;
  for (const auto& [key, n] : counts) {
    const bool is_failed = key.second == catalog::JobRecord::State::kFailed;
    if (is_failed != failed) continue;
    if (failed) {
      out.push_back({{key.first}, static_cast<double>(n)});
    } else {
      out.push_back({{key.first, catalog::JobStateName(key.second)}, static_cast<double>(n)});
    }
  }
  return out;
}

void RegisterCatalogMetrics(const std::shared_ptr<StatsCache>& cache) {
  auto& r = metrics::Default();
  auto scalar = [cache](int64_t catalog::CatalogStats::*field) {
    return [cache, field]() -> std::vector<metrics::Sample> {
      std::lock_guard lock(cache->mu);
      if (!cache->stats) return {};
      return {{{}, static_cast<double>((*cache->stats).*field)}};
    };
  };
  r.AddCallback("mosaicod_catalog_sequences",
                "Sequences in the catalog (cached; the same on every daemon of a catalog).",
                metrics::MetricType::kGauge, {}, scalar(&catalog::CatalogStats::sequences));
  r.AddCallback("mosaicod_catalog_topics", "Topics in the catalog (cached; the same on every daemon of a catalog).",
                metrics::MetricType::kGauge, {}, scalar(&catalog::CatalogStats::topics));
  r.AddCallback("mosaicod_job_queue_depth",
                "Background jobs in the catalog's queue by kind and state (pending, running); cached, catalog-wide.",
                metrics::MetricType::kGauge, {"kind", "state"}, [cache] { return JobSamples(*cache, false); });
  r.AddCallback("mosaicod_jobs_failed",
                "Jobs given up (state failed) still in the catalog, by kind; cached, catalog-wide, until the GC "
                "prunes them.",
                metrics::MetricType::kGauge, {"kind"}, [cache] { return JobSamples(*cache, true); });
  r.AddCallback("mosaicod_catalog_stats_age_seconds",
                "Age of the cached catalog figures (mosaicod_catalog_*, mosaicod_job_queue_depth, "
                "mosaicod_jobs_failed) in seconds.",
                metrics::MetricType::kGauge, {}, [cache]() -> std::vector<metrics::Sample> {
                  std::lock_guard lock(cache->mu);
                  if (!cache->stats) return {};
                  return {{{}, std::chrono::duration<double>(Clock::now() - cache->read_at).count()}};
                });
}

metrics::Counter& StatsErrors() {
  static metrics::Counter& c =
      metrics::Default()
          .AddCounter("mosaicod_catalog_stats_errors_total",
                      "Failed or timed-out reads of the catalog figures (the page then shows the previous ones).")
          .Get();
  return c;
}

}  // namespace

struct Monitor::State {
  std::shared_ptr<catalog::Catalog> catalog;
  std::shared_ptr<store::ObjectStore> store;
  MonitorOptions options;
  std::shared_ptr<ProbeWorker> catalog_worker;  // Ping and GetStats
  std::shared_ptr<ProbeWorker> store_worker;    // CheckAvailable
  std::shared_ptr<StatsCache> cache = std::make_shared<StatsCache>();
  std::atomic<bool> shutting_down{false};
  std::timed_mutex refresh_mu;  // one refresh at a time; scrapes meanwhile wait for it (bounded by the probe timeout)
  bool stats_supported = true;  // guarded by refresh_mu
  bool last_refresh_ok = true;  // guarded by refresh_mu: a failing catalog warns once, not on every scrape
};

Monitor::Monitor(std::shared_ptr<catalog::Catalog> catalog, std::shared_ptr<store::ObjectStore> store,
                 MonitorOptions options)
    : state_(std::make_shared<State>()) {
  state_->catalog = std::move(catalog);
  state_->store = std::move(store);
  state_->options = options;
  state_->catalog_worker = ProbeWorker::Start();
  state_->store_worker = ProbeWorker::Start();
  RegisterCatalogMetrics(state_->cache);
  (void)StatsErrors();
}

Monitor::~Monitor() {
  state_->catalog_worker->Stop(state_->options.probe_timeout);
  state_->store_worker->Stop(state_->options.probe_timeout);
}

void Monitor::SetShuttingDown() { state_->shutting_down = true; }

arrow::Status Monitor::CheckReady() {
  if (state_->shutting_down) return Unavailable("shutting down");
  // Both probes run at once, within one time budget.
  const auto timeout = state_->options.probe_timeout;
  const auto deadline = Clock::now() + timeout;
  auto catalog = state_->catalog;
  auto store = state_->store;
  auto catalog_ticket = state_->catalog_worker->Submit([catalog] { return catalog->Ping(); });
  auto store_ticket = state_->store_worker->Submit([store] { return store->CheckAvailable(); });
  const arrow::Status catalog_st = catalog_ticket.ok()
                                       ? state_->catalog_worker->Wait(*catalog_ticket, deadline, timeout)
                                       : catalog_ticket.status();
  const arrow::Status store_st =
      store_ticket.ok() ? state_->store_worker->Wait(*store_ticket, deadline, timeout) : store_ticket.status();
  std::string problems;
  if (!catalog_st.ok()) problems += "catalog: " + catalog_st.message() + "\n";
  if (!store_st.ok()) problems += "store: " + store_st.message() + "\n";
  if (problems.empty()) return arrow::Status::OK();
  return Unavailable(problems);
}

std::string Monitor::RenderMetrics() {
  {
    std::unique_lock lock(state_->refresh_mu, std::defer_lock);
    if (lock.try_lock_for(state_->options.probe_timeout) && state_->stats_supported) {
      bool stale;
      {
        std::lock_guard cache_lock(state_->cache->mu);
        stale = !state_->cache->stats || Clock::now() - state_->cache->read_at >= state_->options.stats_ttl;
      }
      if (stale) {
        auto catalog = state_->catalog;
        auto cache = state_->cache;
        auto st = state_->catalog_worker->Run(
            [catalog, cache]() -> arrow::Status {
              ARROW_ASSIGN_OR_RAISE(auto stats, catalog->GetStats());
              std::lock_guard cache_lock(cache->mu);
              for (const auto& j : stats.jobs) cache->seen_jobs.insert({j.kind, j.state});
              cache->stats = std::move(stats);
              cache->read_at = Clock::now();
              return arrow::Status::OK();
            },
            state_->options.probe_timeout);
        if (st.IsNotImplemented()) {
          state_->stats_supported = false;
        } else if (!st.ok()) {
          StatsErrors().Inc();
          if (state_->last_refresh_ok) spdlog::warn("event=catalog_stats_failed status=\"{}\"", st.ToString());
        }
        state_->last_refresh_ok = st.ok();
      }
    }
  }
  return metrics::Default().Render();
}

// -------------------------------------------------------------------------------------------------- Monitoring

Monitoring::Monitoring(std::unique_ptr<Monitor> monitor, std::unique_ptr<http::HttpListener> listener)
    : monitor_(std::move(monitor)), listener_(std::move(listener)) {}

Monitoring::~Monitoring() { Stop(); }

arrow::Result<std::unique_ptr<Monitoring>> Monitoring::Bind(const ServerConfig& config,
                                                            std::shared_ptr<catalog::Catalog> catalog,
                                                            std::shared_ptr<store::ObjectStore> store,
                                                            std::vector<http::PrefixRoute> extra_routes) {
  if (config.http_port == 0) {
    spdlog::info("event=http_disabled note=\"--http-port 0: no /healthz, /readyz, /metrics\"");
    return nullptr;
  }
  const bool explicit_port = config.http_port > 0;
  const int port = explicit_port ? config.http_port : kDefaultHttpPort;
  auto monitor = std::make_unique<Monitor>(std::move(catalog), std::move(store));
  Monitor* m = monitor.get();
  std::map<std::string, http::Handler> routes;
  routes["/healthz"] = [] { return http::Response{200, "text/plain; charset=utf-8", "ok\n", {}}; };
  routes["/readyz"] = [m] {
    auto st = m->CheckReady();
    if (st.ok()) return http::Response{200, "text/plain; charset=utf-8", "ready\n", {}};
    std::string body = st.message();
    if (body.empty() || body.back() != '\n') body += "\n";
    return http::Response{503, "text/plain; charset=utf-8", "not ready\n" + body, {}};
  };
  routes["/metrics"] = [m] { return http::Response{200, metrics::kTextContentType, m->RenderMetrics(), {}}; };
  auto listener = http::HttpListener::Bind(config.http_host, port, std::move(routes), std::move(extra_routes));
  if (!listener.ok()) {
    if (explicit_port) {
      return arrow::Status::IOError(listener.status().message(),
                                    " (--http-port / MOSAICOD_HTTP_PORT; 0 disables the monitoring listener)");
    }
    spdlog::warn("event=http_unavailable address={}:{} status=\"{}\" note=\"serving without /healthz, /readyz, "
                 "/metrics; give --http-port N (or 0 to silence this)\"",
                 config.http_host, port, listener.status().message());
    return nullptr;
  }
  return std::unique_ptr<Monitoring>(new Monitoring(std::move(monitor), std::move(*listener)));
}

void Monitoring::Start() {
  listener_->Start();
  spdlog::info("event=http_listening uri=http://{}:{} endpoints=/healthz,/readyz,/metrics,/console/",
               listener_->host(), listener_->port());
}

void Monitoring::Stop() {
  if (listener_) listener_->Stop();  // first: its handlers use the monitor
  listener_.reset();
  monitor_.reset();
}

void Monitoring::SetShuttingDown() {
  if (monitor_) monitor_->SetShuttingDown();
}

int Monitoring::port() const { return listener_ ? listener_->port() : 0; }

}  // namespace mosaico::server
