#include "mosaico/read/topic_stripes.h"

#include "mosaico/read/chunk_file.h"
#include "mosaico/read/read_plan.h"

namespace mosaico::read {
namespace {

constexpr int kChunksPerStripeForChunkUnits = 4;

arrow::Status AppendRowGroupUnits(store::ObjectStore& store, const catalog::ChunkRecord& chunk,
                                  const ReadOptions& options, std::vector<StripeUnit>* units) {
  ARROW_ASSIGN_OR_RAISE(auto file, OpenChunkFile(store, chunk, options));
  const parquet::FileMetaData& meta = *file.metadata;
  for (int rg = 0; rg < meta.num_row_groups(); ++rg) {
    auto group = meta.RowGroup(rg);
    if (group->num_rows() == 0) continue;
    int64_t bytes = 0;
    for (int c = 0; c < group->num_columns(); ++c) bytes += group->ColumnChunk(c)->total_compressed_size();
    StripeUnit unit{chunk.ts_min, chunk.ts_max, bytes};
    if (auto range = RowGroupTimestampRange(meta, rg, file.ts_leaf)) {
      unit.ts_min = range->first;
      unit.ts_max = range->second;
    }
    units->push_back(unit);
  }
  return arrow::Status::OK();
}

}  // namespace

arrow::Result<std::vector<Stripe>> PlanTopicStripes(store::ObjectStore& store,
                                                    const std::vector<catalog::ChunkRecord>& chunks,
                                                    const TimeWindow& window, int max_stripes,
                                                    int64_t row_group_rows, const ReadOptions& options) {
  const auto selected = SelectChunks(chunks, window);
  if (max_stripes <= 1 || selected.empty()) return std::vector<Stripe>{Stripe{window, 0}};
  std::vector<StripeUnit> units;
  if (selected.size() >= static_cast<size_t>(kChunksPerStripeForChunkUnits) * max_stripes) {
    units.reserve(selected.size());
    for (const auto& c : selected) units.push_back({c.ts_min, c.ts_max, c.size_bytes});
  } else {
    for (const auto& c : selected) {
      if (row_group_rows > 0 && c.row_count <= row_group_rows) {
        units.push_back({c.ts_min, c.ts_max, c.size_bytes});  // one row group: nothing to cut inside
      } else {
        ARROW_RETURN_NOT_OK(AppendRowGroupUnits(store, c, options, &units));
      }
    }
  }
  return PlanStripes(std::move(units), window, max_stripes);
}

}  // namespace mosaico::read
