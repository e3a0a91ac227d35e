// ProcessMallocPool: an Arrow memory pool over the process's own malloc (in the daemon Debian's jemalloc,
// server/process_memory.h) whose Reallocate resizes in place when the allocator can.
//
// Why: the wide-row (blob) read decodes into the process malloc (b600a91), and Arrow's own "system" pool never uses
// realloc (it cannot be sure of the alignment), so every resize is allocate + memcpy + free. Parquet's binary
// decoding resizes a batch's value buffer as it grows, and shrinks it to fit when the batch is finished: a blob
// batch's bytes were copied about twice more on top of the decode copy itself (29 % of a blob read's CPU, perf,
// bench/README.md 2026-12-07 12:00). jemalloc grows large allocations in place when the next pages are free and
// always shrinks them in place (glibc uses mremap for mapped blocks), and both return page-aligned large blocks.
//
// Contract:
//  - A MemoryPool like arrow::system_memory_pool(): every allocation is aligned as asked (at least 64 bytes), the
//    memory comes from and returns to malloc/free, statistics count this pool's own allocations only.
//  - Reallocate keeps the contents (the first min(old, new) bytes) and the alignment; it calls realloc and, only
//    when the result is not aligned as asked (small blocks), moves the data to an aligned block (one copy, as before).
//    If that block cannot be had, the error is returned and *ptr still owns the data (to be freed as before).
//  - Zero-size allocations return a static aligned area, never passed to free.
//  - Thread-safe; the pool lives for the whole process.
#pragma once

#include <arrow/memory_pool.h>

namespace mosaico::read {

arrow::MemoryPool* ProcessMallocPool();

}  // namespace mosaico::read
