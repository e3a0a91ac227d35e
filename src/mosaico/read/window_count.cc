#include "mosaico/read/window_count.h"

#include <algorithm>

#include <arrow/array/array_primitive.h>
#include <arrow/record_batch.h>

#include "mosaico/core/errors.h"
#include "mosaico/read/chunk_file.h"
#include "mosaico/read/read_plan.h"

namespace mosaico::read {
namespace {

void Add(WindowCount* out, int64_t rows, int64_t first, int64_t last) {
  if (rows <= 0) return;
  out->row_count += rows;
  out->first_ts = out->first_ts ? std::min(*out->first_ts, first) : first;
  out->last_ts = out->last_ts ? std::max(*out->last_ts, last) : last;
}

// Counts the in-window rows of one row group by decoding its timestamp_ns column only.
arrow::Status CountRowGroup(ChunkFile& file, int rg, const TimeWindow& window, WindowCount* out, ReadStats* stats) {
  ARROW_ASSIGN_OR_RAISE(auto reader, file.reader->GetRecordBatchReader({rg}, {file.ts_leaf}));
  ++stats->row_groups_read;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(auto batch, reader->Next());
    if (!batch) return arrow::Status::OK();
    stats->rows_decoded += batch->num_rows();
    const auto& ts = static_cast<const arrow::Int64Array&>(*batch->column(0));
    if (ts.null_count() > 0) return arrow::Status::IOError("corrupt chunk: null timestamp_ns");
    const int64_t* v = ts.raw_values();
    int64_t n = 0, lo = 0, hi = 0;
    for (int64_t i = 0; i < ts.length(); ++i) {
      if (!window.Contains(v[i])) continue;
      lo = n == 0 ? v[i] : std::min(lo, v[i]);
      hi = n == 0 ? v[i] : std::max(hi, v[i]);
      ++n;
    }
    Add(out, n, lo, hi);
  }
}

arrow::Status CountBoundaryChunk(store::ObjectStore& store, const catalog::ChunkRecord& chunk,
                                 const TimeWindow& window, const ReadOptions& options, WindowCount* out,
                                 ReadStats* stats) {
  ARROW_ASSIGN_OR_RAISE(auto file, OpenChunkFile(store, chunk, options));
  ++stats->chunks_opened;
  const auto& md = *file.metadata;
  stats->row_groups_total += md.num_row_groups();
  for (int rg = 0; rg < md.num_row_groups(); ++rg) {
    const int64_t rows = md.RowGroup(rg)->num_rows();
    auto range = RowGroupTimestampRange(md, rg, file.ts_leaf);
    if (rows == 0 || (range && !window.Overlaps(range->first, range->second))) {
      ++stats->row_groups_pruned;
    } else if (range && window.Covers(range->first, range->second)) {
      Add(out, rows, range->first, range->second);
    } else {
      ARROW_RETURN_NOT_OK(WithContext(CountRowGroup(file, rg, window, out, stats),
                                      "chunk '" + chunk.object_key + "'"));
    }
  }
  return arrow::Status::OK();
}

}  // namespace

arrow::Result<WindowCount> CountRowsInWindow(const std::shared_ptr<store::ObjectStore>& store,
                                             const std::vector<catalog::ChunkRecord>& chunks,
                                             const TimeWindow& window, const ReadOptions& options,
                                             ReadStats* stats) {
  ARROW_RETURN_NOT_OK(window.Validate());
  ReadStats local;
  if (!stats) stats = &local;
  WindowCount out;
  const auto selected = SelectChunks(chunks, window);
  stats->chunks_selected += static_cast<int64_t>(selected.size());
  for (const auto& chunk : selected) {
    if (window.Covers(chunk.ts_min, chunk.ts_max)) {
      ++stats->chunks_counted_from_catalog;
      Add(&out, chunk.row_count, chunk.ts_min, chunk.ts_max);
    } else {
      ARROW_RETURN_NOT_OK(CountBoundaryChunk(*store, chunk, window, options, &out, stats));
    }
  }
  return out;
}

}  // namespace mosaico::read
