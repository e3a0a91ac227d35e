// Runs mosaicod's Flight server until SIGINT/SIGTERM.
//
// Opens the catalog and the store named by the config, serves on grpc://host:port, and on a signal stops
// accepting calls, gives in-flight calls `shutdown_grace_seconds` to finish and then cancels them. A cancelled
// upload is aborted (its objects removed, nothing committed), so nothing half-written ever looks finalized.
// Once listening it starts the background jobs (jobs/background_jobs.h: workers + scheduler, unless
// job_workers is 0); at shutdown they stop taking jobs when the signal arrives and are joined (the job in flight
// finishes) after the server stopped, before the catalog closes.
// Monitoring (server/monitoring.h): the HTTP port is bound before the Flight server starts (an explicit
// --http-port that is taken fails the start), served once Flight listens, /readyz turns 503 on the signal, and the
// listener stops last, after the background jobs. Every RPC passes the metrics middleware (service_metrics.h).
// REQUIRES: SIGINT/SIGTERM blocked in every thread of the process, which BlockShutdownSignals() does when called
// from the main thread before any other thread starts (the S3 client, arrow's pools and gRPC start threads that
// inherit the mask); RunServer then waits for them on a dedicated thread.
#pragma once

#include <arrow/status.h>

#include "mosaico/server/server_config.h"

namespace mosaico::server {

void BlockShutdownSignals();
arrow::Status RunServer(const ServerConfig& config);

}  // namespace mosaico::server
