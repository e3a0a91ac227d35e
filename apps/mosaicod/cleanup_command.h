// `mosaicod cleanup`: the daemon's garbage work as a command, like the reference's `cleanup`, on the catalog and
// store the daemon uses: the abandoned-session sweep (jobs/abandoned_sessions.h; sessions idle longer than
// cleanup.abandon_after_hours are deleted with an error notification on their sequence), then the store GC
// (jobs/gc.h; interrupted and superseded uploads, temporary objects, orphan schemas older than
// cleanup.gc_min_age_seconds -- the reference's cleanup.retention_duration -- and old finished jobs).
//
// Safe beside running daemons: both jobs are idempotent and leave young work alone (an upload in flight on a
// daemon keeps its session active through its objects' times; garbage younger than the minimum age may be work in
// flight). Once when `interval_seconds` is 0 (cleanup.time_interval, --interval); otherwise a run every
// `interval_seconds` until SIGTERM or SIGINT (a sweep in progress stops between sessions).
// Each run logs event=progress lines per phase, one line per removal and event=cleanup_done with the counts, and
// prints a summary on stdout.
// Exit codes: 0 done (or stopped by a signal); 1 a run left failures behind (the rest was done; the next run
// retries them); 2 a missing data directory (existing_storage.h) or a catalog / store that cannot be opened.
#pragma once

#include "mosaico/server/server_config.h"

namespace mosaicod {

int RunCleanup(const mosaico::server::ServerConfig& config, double interval_seconds);

}  // namespace mosaicod
