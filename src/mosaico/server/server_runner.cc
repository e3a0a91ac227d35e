#include "mosaico/server/server_runner.h"

#include <csignal>
#include <pthread.h>
#include <thread>

#include <spdlog/spdlog.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/console/console_api.h"
#include "mosaico/jobs/background_jobs.h"
#include "mosaico/server/auth_setup.h"
#include "mosaico/server/flight_service.h"
#include "mosaico/server/monitoring.h"
#include "mosaico/server/peer_directory.h"
#include "mosaico/server/service_metrics.h"
#include "mosaico/server/startup_checks.h"
#include "mosaico/server/tls_files.h"
#include "mosaico/store/object_store.h"

namespace mosaico::server {

namespace {
constexpr double kNsPerSecond = 1e9;

jobs::BackgroundJobsConfig JobsConfig(const ServerConfig& config) {
  jobs::BackgroundJobsConfig jobs;
  jobs.runner.workers = config.job_workers;
  jobs.runner.lease_ns = config.job_lease_seconds * 1000000000LL;
  jobs.runner.max_attempts = config.job_max_attempts;
  jobs.abandoned.idle_ns = static_cast<int64_t>(config.abandon_after_hours * 3600 * kNsPerSecond);
  jobs.sweep_interval_ns = static_cast<int64_t>(config.sweep_interval_seconds * kNsPerSecond);
  jobs.gc_interval_ns = static_cast<int64_t>(config.gc_interval_minutes * 60 * kNsPerSecond);
  jobs.gc.min_age_ns = config.gc_min_age_seconds * 1000000000LL;
  jobs.compaction.writer.target_chunk_bytes = config.ResolvedCompactionChunkBytes();
  jobs.compaction.min_chunk_bytes = config.ResolvedCompactBelowBytes();
  jobs.compaction.old_data_grace_ns = static_cast<int64_t>(config.compaction_grace_seconds * kNsPerSecond);
  jobs.compaction.writer.row_group_rows = config.row_group_rows;
  return jobs;
}

sigset_t ShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
}
}  // namespace

void BlockShutdownSignals() {
  sigset_t signals = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

arrow::Status RunServer(const ServerConfig& config) {
  // The shutdown signals stay blocked in every thread (threads inherit the mask); one thread waits for them.
  BlockShutdownSignals();
  sigset_t signals = ShutdownSignals();

  ARROW_ASSIGN_OR_RAISE(auto tls, LoadTlsCertificates(config.tls_cert_path, config.tls_key_path));
  ARROW_ASSIGN_OR_RAISE(auto catalog, catalog::OpenCatalog(config.ResolvedCatalogUrl(),
                                                                  {.pool_size = config.catalog_pool_size}));
  ARROW_ASSIGN_OR_RAISE(auto store, store::ObjectStore::Open(config.ResolvedStoreUri(), config.store_s3));
  ARROW_ASSIGN_OR_RAISE(auto authenticator, SetUpAuth(config, catalog, store));  // logs the mode
  // The monitoring port is bound before Flight starts: an explicit --http-port that is taken stops the start here.
  RegisterServiceMetrics();
  auto lifecycle = std::make_shared<lifecycle::Lifecycle>(catalog, store);
  // The web console shares the monitoring listener and the Flight service's Lifecycle (deletes see the uploads).
  console::ConsoleOptions console_options{config.host, config.port, !tls.empty()};
  ARROW_ASSIGN_OR_RAISE(auto monitoring,
                        Monitoring::Bind(config, catalog, store,
                                         console::ConsoleRoutes(catalog, store, lifecycle, authenticator,
                                                                console_options)));  // null: disabled
  MosaicoFlightService service(config, lifecycle);
  std::shared_ptr<PeerDirectory> peers;  // several daemons: registered once listening (peer_directory.h)
  if (!config.advertise_uri.empty()) {
    ARROW_ASSIGN_OR_RAISE(peers, PeerDirectory::Make(catalog, {config.advertise_uri, config.heartbeat_seconds}));
    service.set_peers(peers);
  }

  ARROW_ASSIGN_OR_RAISE(auto location, tls.empty() ? arrow::flight::Location::ForGrpcTcp(config.host, config.port)
                                                    : arrow::flight::Location::ForGrpcTls(config.host, config.port));
  arrow::flight::FlightServerOptions options(location);
  options.tls_certificates = std::move(tls);
  InstallAuth(authenticator, &options);
  InstallRpcMetrics(&options);  // first in line: it also counts the calls auth refuses
  ARROW_RETURN_NOT_OK(DescribeListenFailure(service.Init(options), config.host, config.port));
  spdlog::info("event=listening uri={}://{}:{} catalog={} store={}", options.tls_certificates.empty() ? "grpc" : "grpc+tls",
               config.host, service.port(), config.ResolvedCatalogUrl(), config.ResolvedStoreUri());
  if (options.tls_certificates.empty() && config.host != "127.0.0.1" && config.host != "localhost" &&
      config.host != "::1") {
    spdlog::warn("event=plaintext_listener host={} hint=\"traffic is unencrypted; give --tls-cert/--tls-key\"",
                 config.host);
  }

  if (monitoring) monitoring->Start();  // /healthz answering means Flight listens
  if (peers) {
    if (auto st = peers->Start(); !st.ok()) {
      (void)service.Shutdown();
      return st;
    }
  }

  // Background jobs once the server listens (start-up recovery ran before: apps/mosaicod PrepareCatalog).
  auto background = jobs::BackgroundJobs::Start(lifecycle, JobsConfig(config));

  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("event=shutdown_requested signal={} open_uploads={}", sig == SIGINT ? "SIGINT" : "SIGTERM",
                 lifecycle->uploads().open_uploads());
    if (background) background->RequestStop();  // no new jobs; the one in flight finishes below
    if (peers) peers->Stop();  // leave the daemon registry: other daemons stop routing reads here
    if (monitoring) monitoring->SetShuttingDown();  // /readyz: 503 while in-flight calls drain
    auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(config.shutdown_grace_seconds);
    auto st = service.Shutdown(&deadline);
    if (!st.ok()) spdlog::error("event=shutdown_failed status=\"{}\"", st.ToString());
  });
  auto st = service.Wait();
  waiter.join();
  if (background) background->Stop();  // before the catalog closes
  if (peers) peers->Stop();  // (a no-op after the waiter's) before the catalog closes
  if (monitoring) monitoring->Stop();   // answered health checks until here; its probes use the catalog
  spdlog::info("event=stopped open_uploads={}", lifecycle->uploads().open_uploads());
  return st;
}

}  // namespace mosaico::server
