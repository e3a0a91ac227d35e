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
//  - glibc malloc, which gRPC's buffers come from, raises its mmap threshold as large blocks are freed (up to
//    32 MiB); message-sized buffers then come from the arenas, where freed space stays resident and fragmented.
//    -> M_MMAP_THRESHOLD fixed at 64 KiB, unless MALLOC_MMAP_THRESHOLD_ is set: larger blocks are mapped and
//    returned to the system when freed.
// Both are applied by a static initializer of process_memory.cc: before main, while the process has one thread,
// and before anything asks Arrow for its default pool. ProcessMemoryDefaults() says what is in effect (logged at
// start with the ingest budget).
#pragma once

#include <string>

namespace mosaico::server {

// "arrow_pool=<backend> (<why>) malloc_mmap_threshold=<bytes|env>" for the start-up log.
std::string ProcessMemoryDefaults();

}  // namespace mosaico::server
