// Background-job metrics of this process's workers (metrics::Default(); docs/OPERATIONS.md "Metrics"):
//   mosaicod_job_runs_total{kind,outcome}   handler runs ended: outcome done (completed), retry (failed, back to the
//                                           queue after a backoff), failed (given up after the last attempt),
//                                           released (interrupted by shutdown, back to the queue at once)
//   mosaicod_job_duration_seconds{kind}     handler time of each run, whatever its outcome
// The queue itself (jobs pending/running/failed in the catalog, shared by every daemon) is reported by the server's
// cached catalog figures (server/monitoring.h).
#pragma once

#include <string>

namespace mosaico::jobs {

// Registers both families (so /metrics lists them before the first job). Idempotent.
void RegisterJobMetrics();
// Records one run of a job of `kind`.
void RecordJobRun(const std::string& kind, const char* outcome, double seconds);

}  // namespace mosaico::jobs
