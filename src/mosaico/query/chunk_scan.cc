#include "mosaico/query/chunk_scan.h"

#include <algorithm>

#include <arrow/array/array_primitive.h>
#include <arrow/compute/api.h>
#include <arrow/record_batch.h>

#include "mosaico/core/errors.h"
#include "mosaico/read/read_plan.h"
#include "mosaico/query/stats_pruning.h"

namespace mosaico::query {

arrow::Result<ChunkScan> ChunkScan::Open(store::ObjectStore& store, const catalog::ChunkRecord& chunk,
                                         std::vector<ConditionEvaluator>* conditions,
                                         const std::optional<TsRange>& ts_range, bool use_statistics,
                                         const read::ReadOptions& options, EvalCounters* counters) {
  ChunkScan scan;
  scan.chunk_ = &chunk;
  scan.conditions_ = conditions;
  scan.ts_range_ = ts_range;
  scan.use_statistics_ = use_statistics;
  scan.counters_ = counters;
  ARROW_ASSIGN_OR_RAISE(scan.file_, read::OpenChunkFile(store, chunk, options));
  ++counters->chunks_read;
  ARROW_RETURN_NOT_OK(WithContext(scan.Plan(), "chunk '" + chunk.object_key + "'"));
  return scan;
}

arrow::Status ChunkScan::Plan() {
  const auto& manifest = file_.reader->manifest();
  const auto& md = *file_.metadata;
  leaves_.push_back(file_.ts_leaf);
  std::vector<const parquet::arrow::SchemaField*> stat_leaves;
  for (const auto& c : *conditions_) {
    CollectLeafColumns(manifest, c.condition().path, &leaves_);
    stat_leaves.push_back(FindLeafField(manifest, c.condition().path));
  }
  std::sort(leaves_.begin(), leaves_.end());
  leaves_.erase(std::unique(leaves_.begin(), leaves_.end()), leaves_.end());

  counters_->row_groups_total += md.num_row_groups();
  for (int rg = 0; rg < md.num_row_groups(); ++rg) {
    auto meta = md.RowGroup(rg);
    const int64_t rows = meta->num_rows();
    bool keep = rows > 0;
    if (keep && ts_range_) {
      auto range = read::RowGroupTimestampRange(md, rg, file_.ts_leaf);
      keep = !range || ts_range_->Overlaps(range->first, range->second);
    }
    for (size_t i = 0; keep && use_statistics_ && i < conditions_->size(); ++i) {
      const parquet::arrow::SchemaField* leaf = stat_leaves[i];
      if (!leaf) continue;
      auto stats = FromParquetStats(*meta->ColumnChunk(leaf->column_index), *leaf->field->type(), rows);
      if (stats && !MayMatch((*conditions_)[i].condition().predicate, *stats)) keep = false;
    }
    if (keep) {
      row_groups_.push_back(rg);
    } else {
      ++counters_->row_groups_pruned;
    }
  }
  return arrow::Status::OK();
}

arrow::Result<std::vector<int64_t>> ChunkScan::EvalRowGroup(int row_group) {
  const std::string where = "chunk '" + chunk_->object_key + "'";
  auto reader_result = file_.reader->GetRecordBatchReader({row_group}, leaves_);
  if (!reader_result.ok()) return WithContext(reader_result.status(), where);
  auto reader = std::move(*reader_result);
  ++counters_->row_groups_read;
  std::vector<int64_t> out;
  bool has_last = false;
  int64_t last = 0;
  while (true) {
    auto next = reader->Next();
    if (!next.ok()) return WithContext(next.status(), where);
    std::shared_ptr<arrow::RecordBatch> batch = std::move(*next);
    if (!batch) break;
    const int64_t n = batch->num_rows();
    if (n == 0) continue;
    auto ts_column = batch->GetColumnByName(read::kTimestampColumn);
    if (!ts_column || ts_column->type_id() != arrow::Type::INT64 || ts_column->null_count() > 0) {
      return arrow::Status::IOError("corrupt chunk '", chunk_->object_key, "': bad timestamp_ns column");
    }
    const int64_t* ts = static_cast<const arrow::Int64Array&>(*ts_column).raw_values();
    if (has_last && ts[0] < last) return arrow::Status::IOError("corrupt chunk '", chunk_->object_key, "': unsorted");
    for (int64_t i = 1; i < n; ++i) {
      if (ts[i] < ts[i - 1]) return arrow::Status::IOError("corrupt chunk '", chunk_->object_key, "': unsorted");
    }
    has_last = true;
    last = ts[n - 1];

    int64_t begin = 0, end = n;
    if (ts_range_) {
      begin = std::lower_bound(ts, ts + n, ts_range_->start_ns) - ts;
      end = std::upper_bound(ts + begin, ts + n, ts_range_->end_ns) - ts;
    }
    if (begin >= end) continue;
    std::shared_ptr<arrow::RecordBatch> rows = (begin == 0 && end == n) ? batch : batch->Slice(begin, end - begin);
    counters_->rows_evaluated += end - begin;

    std::shared_ptr<arrow::BooleanArray> mask;
    for (auto& c : *conditions_) {
      ARROW_ASSIGN_OR_RAISE(auto m, c.Evaluate(*rows));
      if (!mask) {
        mask = std::move(m);
      } else {
        ARROW_ASSIGN_OR_RAISE(auto d, arrow::compute::And(mask, m));
        mask = std::static_pointer_cast<arrow::BooleanArray>(d.make_array());
      }
      if (mask->true_count() == 0) break;  // no row left to satisfy the rest
    }
    const int64_t* row_ts = ts + begin;
    const int64_t len = end - begin;
    if (!mask) {
      out.insert(out.end(), row_ts, row_ts + len);
      counters_->rows_matched += len;
      continue;
    }
    for (int64_t i = 0; i < len; ++i) {
      if (mask->Value(i)) out.push_back(row_ts[i]);
    }
    counters_->rows_matched += mask->true_count();
  }
  return out;
}

}  // namespace mosaico::query
