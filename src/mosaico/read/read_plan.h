// Read planning: which chunks, and which row groups inside a chunk, can hold rows of a time window.
//
// Contract:
//  - SelectChunks keeps the chunks whose [ts_min, ts_max] overlaps the window (chunks with no rows are
//    dropped) and orders them by ts_min; chunks with equal ts_min keep their input order (stable).
//  - PruneRowGroups keeps, in ascending order, the row groups whose timestamp_ns statistics overlap the
//    window. A group without usable min/max statistics is kept (pruning never loses rows); an empty group
//    is dropped.
//  - Pure functions over metadata: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include <arrow/result.h>
#include <arrow/type_fwd.h>
#include <parquet/metadata.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/core/time_window.h"

namespace mosaico::read {

// The sort key of every topic: int64, non-null, sorted inside each chunk.
inline constexpr char kTimestampColumn[] = "timestamp_ns";

std::vector<catalog::ChunkRecord> SelectChunks(const std::vector<catalog::ChunkRecord>& chunks,
                                               const TimeWindow& window);

// Index of the top-level int64 timestamp_ns field of a topic schema; Invalid if missing or mistyped.
arrow::Result<int> TimestampFieldIndex(const arrow::Schema& schema);

// Parquet leaf-column index of timestamp_ns in a chunk; IOError (corrupt chunk) if missing or not INT64.
arrow::Result<int> TimestampLeafIndex(const parquet::FileMetaData& metadata);

// [min, max] of timestamp_ns in row group `row_group`, from its statistics; unset when they are missing.
std::optional<std::pair<int64_t, int64_t>> RowGroupTimestampRange(const parquet::FileMetaData& metadata,
                                                                   int row_group, int ts_leaf);

std::vector<int> PruneRowGroups(const parquet::FileMetaData& metadata, int ts_leaf, const TimeWindow& window);

}  // namespace mosaico::read
