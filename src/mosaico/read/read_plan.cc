#include "mosaico/read/read_plan.h"

#include <algorithm>
#include <memory>

#include <arrow/type.h>
#include <parquet/schema.h>
#include <parquet/statistics.h>

namespace mosaico::read {

std::vector<catalog::ChunkRecord> SelectChunks(const std::vector<catalog::ChunkRecord>& chunks,
                                               const TimeWindow& window) {
  std::vector<catalog::ChunkRecord> out;
  for (const auto& c : chunks) {
    if (c.row_count > 0 && window.Overlaps(c.ts_min, c.ts_max)) out.push_back(c);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const catalog::ChunkRecord& a, const catalog::ChunkRecord& b) { return a.ts_min < b.ts_min; });
  return out;
}

arrow::Result<int> TimestampFieldIndex(const arrow::Schema& schema) {
  const int i = schema.GetFieldIndex(kTimestampColumn);
  if (i < 0) {
    return arrow::Status::Invalid("topic schema has no single '", kTimestampColumn, "' column: ", schema.ToString());
  }
  if (schema.field(i)->type()->id() != arrow::Type::INT64) {
    return arrow::Status::Invalid("topic column '", kTimestampColumn, "' must be int64, not ",
                                  schema.field(i)->type()->ToString());
  }
  return i;
}

arrow::Result<int> TimestampLeafIndex(const parquet::FileMetaData& metadata) {
  const int leaf = metadata.schema()->ColumnIndex(kTimestampColumn);
  if (leaf < 0) return arrow::Status::IOError("corrupt chunk: no '", kTimestampColumn, "' column");
  if (metadata.schema()->Column(leaf)->physical_type() != parquet::Type::INT64) {
    return arrow::Status::IOError("corrupt chunk: '", kTimestampColumn, "' is not stored as INT64");
  }
  return leaf;
}

std::optional<std::pair<int64_t, int64_t>> RowGroupTimestampRange(const parquet::FileMetaData& metadata,
                                                                   int row_group, int ts_leaf) {
  auto column = metadata.RowGroup(row_group)->ColumnChunk(ts_leaf);
  if (!column->is_stats_set()) return std::nullopt;
  auto stats = std::dynamic_pointer_cast<parquet::Int64Statistics>(column->statistics());
  if (!stats || !stats->HasMinMax()) return std::nullopt;
  return std::make_pair(stats->min(), stats->max());
}

std::vector<int> PruneRowGroups(const parquet::FileMetaData& metadata, int ts_leaf, const TimeWindow& window) {
  std::vector<int> keep;
  for (int rg = 0; rg < metadata.num_row_groups(); ++rg) {
    if (metadata.RowGroup(rg)->num_rows() == 0) continue;
    auto range = RowGroupTimestampRange(metadata, rg, ts_leaf);
    if (!range || window.Overlaps(range->first, range->second)) keep.push_back(rg);
  }
  return keep;
}

}  // namespace mosaico::read
