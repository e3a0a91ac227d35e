// Monitoring endpoints of the daemon (docs/OPERATIONS.md): a plain-HTTP listener (http/http_listener.h) serving
//   /healthz  200 "ok": the process is up and serving (it is started once the Flight server listens).
//   /readyz   200 "ready" when the catalog answers a query (Catalog::Ping) and the store is there
//             (ObjectStore::CheckAvailable), each within kProbeTimeout; otherwise 503 with one line per failing
//             check ("catalog: ...", "store: ..."); 503 "shutting down" once a shutdown signal arrived.
//   /metrics  metrics::Default() in the Prometheus text format, plus the catalog figures (CatalogStats: sequences,
//             topics, the job queue), which are cached: re-read when older than stats_ttl, at most kProbeTimeout
//             per scrape (a slow catalog makes the page show the last figures, not wait).
// Backend probes run on two worker threads owned by the Monitor, one per backend (catalog: Ping and the figures;
// store: CheckAvailable), in turn, at most ProbeWorker::kMaxQueued waiting: a backend that hangs holds its one
// thread, and calls meanwhile answer "no answer within N s" when their time is up instead of piling up threads.
//
// Address (ServerConfig::http_host / http_port): port kHttpPortDefault (-1) is 6727 when free -- if that port is
// taken (another daemon on this machine) the daemon warns once (event=http_unavailable) and serves Flight without
// the listener; 0 disables the listener; any other port must be free, or the daemon refuses to start, naming the
// address. The host defaults to 127.0.0.1 whatever --host is. There is no TLS on this listener, and no API key
// on the monitoring endpoints: keep it on loopback or a monitoring network. The web console's routes
// (console/console_api.h) share it and check API keys themselves when auth is on.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <arrow/result.h>
#include <arrow/status.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/server/server_config.h"
#include "mosaico/store/object_store.h"

#include "mosaico/http/http_listener.h"

namespace mosaico::server {

inline constexpr int kDefaultHttpPort = 6727;
inline constexpr std::chrono::milliseconds kProbeTimeout{2000};

struct MonitorOptions {
  std::chrono::milliseconds probe_timeout = kProbeTimeout;
  std::chrono::milliseconds stats_ttl{10000};  // catalog figures are re-read when older than this
};

class Monitor {
 public:
  Monitor(std::shared_ptr<catalog::Catalog> catalog, std::shared_ptr<store::ObjectStore> store,
          MonitorOptions options = {});
  ~Monitor();  // waits briefly for a probe in flight; one stuck in a backend is left to finish on its own
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // OK, or Unavailable whose message has one line per failing check.
  arrow::Status CheckReady();
  // The /metrics page (refreshes the catalog figures first when they are stale).
  std::string RenderMetrics();
  void SetShuttingDown();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// The listener with its Monitor, bound to the configured address (see above). Null when disabled, or when the
// default port is taken (warned). IOError naming the address and the flag when an explicit port cannot be bound.
class Monitoring {
 public:
  // `extra_routes`: more routes on the same listener (the web console, console/console_api.h).
  static arrow::Result<std::unique_ptr<Monitoring>> Bind(const ServerConfig& config,
                                                         std::shared_ptr<catalog::Catalog> catalog,
                                                         std::shared_ptr<store::ObjectStore> store,
                                                         std::vector<http::PrefixRoute> extra_routes = {});
  ~Monitoring();  // Stop()

  void Start();  // serves; logs event=http_listening uri=http://host:port
  void SetShuttingDown();  // /readyz answers 503 "shutting down" from now on
  void Stop();   // stops the listener (requests in progress finish), then the probe worker
  int port() const;

 private:
  Monitoring(std::unique_ptr<Monitor> monitor, std::unique_ptr<http::HttpListener> listener);
  std::unique_ptr<Monitor> monitor_;
  std::unique_ptr<http::HttpListener> listener_;
};

}  // namespace mosaico::server
