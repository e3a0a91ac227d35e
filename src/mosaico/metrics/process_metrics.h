// The standard process metrics of Prometheus client libraries, read from Linux's /proc at render time:
//   process_cpu_seconds_total      user + system CPU time (counter)
//   process_resident_memory_bytes  resident set size
//   process_virtual_memory_bytes   virtual memory size
//   process_open_fds               open file descriptors (entries of /proc/self/fd)
//   process_max_fds                the RLIMIT_NOFILE soft limit
//   process_start_time_seconds     start time, seconds since the Unix epoch
// A figure /proc cannot give (another OS, a restricted /proc) is left out of the page, not reported as 0.
// Cost per scrape: two small /proc reads and one directory listing.
#pragma once

#include "mosaico/metrics/registry.h"

namespace mosaico::metrics {

// Registers (or re-registers) the callbacks above in `registry`. Idempotent.
void RegisterProcessMetrics(Registry& registry);

}  // namespace mosaico::metrics
