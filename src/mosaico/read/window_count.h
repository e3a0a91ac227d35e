// Exact number of a topic's rows inside a time window, with the first and last timestamp among them.
//
// Contract:
//  - Exact, never estimated. Chunks the window fully covers are answered from their ChunkRecord
//    (row_count, ts_min, ts_max) without I/O; inside boundary chunks, row groups fully covered (or missed) by
//    the window are answered from their Parquet statistics; only the row groups the window cuts are read,
//    and of those only the timestamp_ns column.
//  - first_ts/last_ts are unset when row_count is 0.
//  - Errors: invalid window -> Invalid; unreadable chunk -> IOError naming the object key.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/core/time_window.h"
#include "mosaico/read/read_options.h"
#include "mosaico/store/object_store.h"

namespace mosaico::read {

struct WindowCount {
  int64_t row_count = 0;
  std::optional<int64_t> first_ts;
  std::optional<int64_t> last_ts;
};

// `stats`, when given, receives what the count touched (chunks opened, row groups read/pruned, rows decoded).
arrow::Result<WindowCount> CountRowsInWindow(const std::shared_ptr<store::ObjectStore>& store,
                                             const std::vector<catalog::ChunkRecord>& chunks,
                                             const TimeWindow& window, const ReadOptions& options = {},
                                             ReadStats* stats = nullptr);

}  // namespace mosaico::read
