// Process-wide allocator settings for a daemon that holds hundreds of upload streams at once (docs/SECURITY.md
// "Limits", the ingest memory budget) and should still ingest at the speed of its transport (issue 12).
//
// With a fleet of 100 concurrent 3-topic SDK sessions against --ingest-memory-mb 64, peak RSS grew by about twice
// what the budget and the streams themselves hold, through allocator retention rather than data
// (tests/integration/test_ingest_memory.py); and on a single fast stream, page faults in gRPC's receive buffers were
// a large part of the ingest CPU (bench/README.md, 2026-12-07 notes). The policy:
//  - malloc is Debian's jemalloc (libjemalloc2), linked into the mosaicod executable only (not into the libraries,
//    the client or the unit tests). gRPC's message and read-slice buffers come from it: freed extents are reused
//    while hot (few page faults), and handed back to the system by decay instead of staying in glibc's arenas.
//    Its settings are kDaemonJemallocConf, read through the `malloc_conf` symbol (apps/mosaicod/jemalloc_conf.cc);
//    a MALLOC_CONF environment variable is applied after them and wins:
//      background_thread:true   purging runs on jemalloc's own thread, also while the daemon is idle
//      dirty_decay_ms:250       freed pages stay reusable for ~250 ms, then are purged (1000 ms: the fleet test's
//                               settled RSS +366 MiB on SQLite, allowed +239)
//      muzzy_decay_ms:0         purged pages are returned at once (MADV_DONTNEED), not kept lazily-freed
//      tcache:false             no per-thread caches: Arrow Flight runs each of the hundreds of streams on its own
//                               gRPC handler thread, and their caches held the fleet's RSS at +183..323 MiB on
//                               PostgreSQL + S3 (allowed +279; with tcache_max:4096), +142..151 without them
//    Measured in bench/README.md (2026-12-07 03:30-04:30): the daemon's CPU per MB ingested ~1.1x lower than with
//    glibc and the 64 KiB mmap threshold below.
//    Allocations of at least opt.oversize_threshold (8 MiB) come from jemalloc's dedicated huge arena, which frees
//    their pages the moment they are freed. In the daemon those are gRPC's contiguous copies of large received
//    messages (blob batches, the SDK's default batches of images), so every such message was faulted in page by page
//    on the handler thread (half the faults of a 1 MiB-blob upload). That arena alone keeps its freed pages (dirty
//    decay -1) while large messages keep coming, and StartHugeArenaReclaim's thread returns them once it served no
//    allocation for kHugeArenaReclaimIdleMs (a stream left open and idle), or at once when a DoPut ends
//    (ReleaseHugeArenaPages): a blob upload reuses its own message buffers from its second chunk on, and the pages
//    are returned when it ends. Smaller streams (the fleet: 30 kB messages) never reach that
//    arena (bench/README.md, 2026-12-07 09:00).
//  - Arrow's default pool in the pyarrow wheel is mimalloc. Arrow Flight's gRPC server runs every call on its own
//    thread and decodes each message there (allocating from the pool); mimalloc's per-thread heaps then keep the
//    freed pages of each of the hundreds of handler threads. The wheel's own jemalloc (je_arrow_ symbols, separate
//    from Debian's; JE_ARROW_MALLOC_CONF) does not.
//    -> ARROW_DEFAULT_MEMORY_POOL=jemalloc, unless the environment already names a pool. ('system', i.e. Debian's
//    jemalloc for Arrow too, settled the fleet at +260 MiB against +210 on PostgreSQL + S3: not chosen.)
//  - Without jemalloc as the process malloc (a binary linking mosaico_server without it): glibc malloc raises its
//    mmap threshold as large blocks are freed (up to 32 MiB); message-sized buffers then come from the arenas, where
//    freed space stays resident and fragmented.
//    -> M_MMAP_THRESHOLD fixed at 64 KiB, unless MALLOC_MMAP_THRESHOLD_ is set: larger blocks are mapped and
//    returned to the system when freed (at the cost of a page fault per touched page of every large buffer).
// The Arrow pool and the glibc fallback are applied by a static initializer of process_memory.cc: before main,
// while the process has one thread, and before anything asks Arrow for its default pool. ProcessMemoryDefaults()
// says what is in effect (logged at start with the ingest budget).
#pragma once

#include <string>

namespace mosaico::server {

// jemalloc's options for the daemon (see above); constant so that jemalloc can read it before any constructor runs.
inline constexpr char kDaemonJemallocConf[] =
    "background_thread:true,dirty_decay_ms:250,muzzy_decay_ms:0,tcache:false";

// How long jemalloc's huge arena (see the header comment) must serve no allocation before its freed pages are returned.
inline constexpr int kHugeArenaReclaimIdleMs = 5000;

// Starts (once) the thread that returns the huge arena's freed pages after kHugeArenaReclaimIdleMs without a large
// allocation. Does nothing when the process's malloc is not jemalloc. Called by the server at start.
void StartHugeArenaReclaim();

// Returns the huge arena's freed pages now (an upload ended: its message buffers are free). No-op without jemalloc.
void ReleaseHugeArenaPages();

// For the start-up log: "malloc=jemalloc-<version> (background_thread=.. dirty_decay_ms=.. muzzy_decay_ms=..
// oversize_threshold=.. [huge_arena_reclaim_idle_ms=..]
// tcache=.., MALLOC_CONF)" or "malloc=glibc malloc_mmap_threshold=<bytes|MALLOC_MMAP_THRESHOLD_>", then
// " arrow_pool=<backend> (<why>)".
std::string ProcessMemoryDefaults();

}  // namespace mosaico::server
