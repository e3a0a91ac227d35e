// Knobs and counters of the read path (read/topic_reader.h is the entry point).
//
// ReadOptions bounds what the reader holds and emits:
//  - an emitted batch has 1..max_batch_rows rows and roughly at most max_batch_bytes (estimated from the
//    decoded size of the source rows; a single row larger than the budget is still emitted, alone);
//  - a chunk is decoded max_decode_rows rows at a time (fewer when its rows are wide, so one decoded batch
//    stays near max_batch_bytes), one row group at a time.
// ReadStats counts what a read actually touched; benchmarks and logs use it, tests use it to prove pruning.
#pragma once

#include <cstdint>

#include <arrow/memory_pool.h>

namespace mosaico::read {

struct ReadOptions {
  int64_t max_batch_rows = 65536;
  int64_t max_batch_bytes = 8 << 20;
  int64_t max_decode_rows = 65536;
  // Parquet decoding of the columns of one batch on Arrow's CPU pool.
  bool use_threads = false;
  // OpenTopicReader: decode this many batches ahead on a background thread (0: on the caller's thread).
  int readahead_batches = 0;
  arrow::MemoryPool* pool = arrow::default_memory_pool();
};

struct ReadStats {
  int64_t chunks_selected = 0;      // chunks whose [ts_min, ts_max] overlaps the window
  int64_t chunks_opened = 0;        // Parquet objects actually opened
  int64_t chunks_counted_from_catalog = 0;  // CountRowsInWindow: chunks answered without I/O
  int64_t max_open_chunks = 0;      // peak number of chunks open at once (merge width)
  int64_t row_groups_total = 0;     // row groups of the opened chunks
  int64_t row_groups_read = 0;      // row groups decoded
  int64_t row_groups_pruned = 0;    // row groups skipped by their timestamp_ns statistics
  int64_t rows_decoded = 0;         // rows decoded from Parquet (before trimming to the window)
  int64_t rows_emitted = 0;
  int64_t batches_emitted = 0;
};

}  // namespace mosaico::read
