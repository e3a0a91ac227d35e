// Process-wide allocator settings for a daemon that holds hundreds of upload streams at once (docs/SECURITY.md
// "Limits", the ingest memory budget).
//
// With a fleet of 100 concurrent 3-topic SDK sessions against --ingest-memory-mb 64, peak RSS grew by about twice
// what the budget and the streams themselves hold, through allocator retention rather than data
// (tests/integration/test_ingest_memory.py):
//  - Arrow's default pool in the pyarrow wheel is mimalloc. Arrow Flight's gRPC server runs every call on its own
//    thread and decodes each message there (allocating from the pool); mimalloc's per-thread heaps then keep the
//    freed pages of each of the hundreds of handler threads. jemalloc (shared arenas, decay purging) does not.
//    -> ARROW_DEFAULT_MEMORY_POOL=jemalloc, unless the environment already names a pool.
//  - glibc malloc, which gRPC's buffers come from, keeps freed space of its arenas resident; the retention grows
//    with the number of arenas (by default 8 per core, and gRPC runs every call on a thread of its own).
//    -> M_ARENA_MAX = half the cores, clamped to [2, 8], unless MALLOC_ARENA_MAX is set.
//    -> M_MMAP_THRESHOLD fixed at 32 MiB (fixing it also stops glibc's dynamic raising), unless
//    MALLOC_MMAP_THRESHOLD_ is set: message-sized buffers (a 64k-row IMU batch is ~6 MB, 8 camera frames ~8 MB)
//    are reused from the arenas instead of being mapped, page-faulted, zeroed and unmapped for every message.
//    Until 2026-12-06 the threshold was 64 KiB with unbounded arenas: that kept the fleet's RSS lowest (+136 MiB
//    in test_ingest_memory.py against +175..205 MiB now, allowed +239) but cost a third of the CPU of a blob
//    upload and ~25 % of an IMU one in page faults (bench/README.md, issue 12).
// Both are applied by a static initializer of process_memory.cc: before main, while the process has one thread,
// and before anything asks Arrow for its default pool. RequestFreedMemoryRelease() trims the arenas after a stream. ProcessMemoryDefaults() says what is in effect (logged at
// start with the ingest budget).
#pragma once

#include <string>

namespace mosaico::server {

// "arrow_pool=<backend> (<why>) malloc_mmap_threshold=<bytes|env> malloc_arena_max=<n|env>" for the start-up log.
std::string ProcessMemoryDefaults();

// Asks a background thread to hand the freed space of glibc's arenas back to the system (malloc_trim), at most
// once a second. Called when an upload or a read ends: with the 32 MiB mmap threshold, message buffers freed by a
// finished stream would otherwise stay resident in the arenas until the next stream reuses them. Never blocks.
void RequestFreedMemoryRelease();

}  // namespace mosaico::server
