#include "mosaico/read/chunk_cursor.h"

#include <algorithm>

#include <arrow/array/array_primitive.h>
#include <arrow/array/data.h>

#include "mosaico/core/errors.h"
#include "mosaico/read/read_plan.h"

namespace mosaico::read {
namespace {

// True when ts[0..n) is non-decreasing. Checked in blocks without an exit per row, so that the compiler vectorizes
// it: the per-row early-exit loop was 2-3 % of an IMU read's CPU (perf, bench/README.md 2026-12-07 12:00).
bool NonDecreasing(const int64_t* ts, int64_t n) {
  constexpr int64_t kBlock = 1024;
  for (int64_t from = 1; from < n; from += kBlock) {
    const int64_t to = std::min(n, from + kBlock);
    bool descends = false;
    for (int64_t i = from; i < to; ++i) descends |= ts[i] < ts[i - 1];
    if (descends) return false;
  }
  return true;
}

// Bytes of the buffers of a freshly decoded array (nothing shared between its buffers, so no de-duplication, unlike
// arrow::util::TotalBufferSize, whose hash set of buffers cost ~1 % of an IMU read).
int64_t DecodedBytes(const arrow::ArrayData& data) {
  int64_t bytes = 0;
  for (const auto& buffer : data.buffers) {
    if (buffer) bytes += buffer->size();
  }
  for (const auto& child : data.child_data) bytes += DecodedBytes(*child);
  if (data.dictionary) bytes += DecodedBytes(*data.dictionary);
  return bytes;
}

}  // namespace

ChunkCursor::ChunkCursor(catalog::ChunkRecord chunk, int ordinal, const ReadContext* ctx)
    : chunk_(std::move(chunk)), ordinal_(ordinal), ctx_(ctx) {
  lower_bound_ = ctx_->window.start_ns ? std::max(chunk_.ts_min, *ctx_->window.start_ns) : chunk_.ts_min;
}

arrow::Status ChunkCursor::Open() {
  ReadStats& stats = *ctx_->stats;
  ARROW_ASSIGN_OR_RAISE(file_, OpenChunkFile(*ctx_->store, chunk_, ctx_->options));
  opened_ = true;
  ++stats.chunks_opened;
  std::shared_ptr<arrow::Schema> schema;
  ARROW_RETURN_NOT_OK(WithContext(file_.reader->GetSchema(&schema), "chunk '" + chunk_.object_key + "'"));
  auto match = CompareChunkSchema(*schema, *ctx_->topic_schema);
  if (!match.ok()) return WithContext(match.status(), "chunk '" + chunk_.object_key + "'");
  schema_match_ = *match;

  row_groups_ = PruneRowGroups(*file_.metadata, file_.ts_leaf, ctx_->window);
  stats.row_groups_total += file_.metadata->num_row_groups();
  stats.row_groups_pruned += file_.metadata->num_row_groups() - static_cast<int64_t>(row_groups_.size());
  return LoadNextBatch();
}

int64_t ChunkCursor::CountUpTo(int64_t bound, bool inclusive) const {
  const int64_t* first = ts_ + pos_;
  const int64_t* last = ts_ + end_;
  const int64_t back = *(last - 1);
  if (inclusive ? back <= bound : back < bound) return end_ - pos_;  // the whole rest: the common case
  // Galloping search: O(log run) instead of O(log batch), since interleaved chunks give short runs.
  auto before = [&](int64_t t) { return inclusive ? t <= bound : t < bound; };
  int64_t lo = 0, step = 1;  // first[lo] is known to be in the run (or lo == 0)
  const int64_t n = last - first;
  while (lo + step < n && before(first[lo + step])) {
    lo += step;
    step *= 2;
  }
  const int64_t* from = first + lo;
  const int64_t* to = first + std::min(n, lo + step + 1);
  const int64_t* cut = inclusive ? std::upper_bound(from, to, bound) : std::lower_bound(from, to, bound);
  return cut - first;
}

arrow::Status ChunkCursor::Advance(int64_t rows) {
  pos_ += rows;
  if (pos_ < end_) return arrow::Status::OK();
  return LoadNextBatch();
}

// Decode wide rows in smaller batches so one decoded batch stays within max_batch_bytes, and split the row group
// evenly: 65536 rows that fit 46000 per batch are decoded as 2 x 32768, not 46000 + 19536 (a short batch the merge
// would emit alone or copy into the next one).
int64_t ChunkCursor::DecodeBatchRows(const parquet::RowGroupMetaData& meta) const {
  const ReadOptions& options = ctx_->options;
  const int64_t rows = std::max<int64_t>(1, meta.num_rows());
  const int64_t row_bytes = std::max<int64_t>({1, meta.total_byte_size() / rows, ctx_->decoded_row_bytes});
  const int64_t most = std::clamp<int64_t>(options.max_batch_bytes / row_bytes, 1, options.max_decode_rows);
  const int64_t batches = (rows + most - 1) / most;
  return (rows + batches - 1) / batches;
}

arrow::Status ChunkCursor::LoadNextBatch() {
  ReadStats& stats = *ctx_->stats;
  while (!past_window_end_) {
    if (!row_group_reader_) {
      if (next_row_group_ == row_groups_.size()) break;
      const int rg = row_groups_[next_row_group_++];
      file_.reader->set_batch_size(DecodeBatchRows(*file_.metadata->RowGroup(rg)));
      auto reader = file_.reader->GetRecordBatchReader({rg});
      if (!reader.ok()) return WithContext(reader.status(), "chunk '" + chunk_.object_key + "'");
      row_group_reader_ = std::move(*reader);
      ++stats.row_groups_read;
    }
    auto next = row_group_reader_->Next();
    if (!next.ok()) return WithContext(next.status(), "chunk '" + chunk_.object_key + "'");
    if (!*next) {
      row_group_reader_.reset();
      continue;
    }
    bool has_rows = false;
    ARROW_RETURN_NOT_OK(AcceptBatch(std::move(*next), &has_rows));
    if (has_rows) return arrow::Status::OK();
  }
  Release();
  return arrow::Status::OK();
}

arrow::Status ChunkCursor::AcceptBatch(std::shared_ptr<arrow::RecordBatch> batch, bool* has_rows) {
  const int64_t n = batch->num_rows();
  *has_rows = false;
  if (n == 0) return arrow::Status::OK();
  ctx_->stats->rows_decoded += n;

  const auto& ts_array = static_cast<const arrow::Int64Array&>(*batch->column(ctx_->ts_field));
  if (ts_array.null_count() > 0) return Corrupt("null timestamp_ns");
  const int64_t* ts = ts_array.raw_values();
  if (has_last_ts_ && ts[0] < last_ts_) return Corrupt("timestamp_ns not sorted across row groups");
  if (!NonDecreasing(ts, n)) return Corrupt("timestamp_ns not sorted");
  has_last_ts_ = true;
  last_ts_ = ts[n - 1];

  // Trim to the window by binary search: rows are sorted.
  const TimeWindow& w = ctx_->window;
  int64_t begin = 0, end = n;
  if (w.start_ns && ts[0] < *w.start_ns) begin = std::lower_bound(ts, ts + n, *w.start_ns) - ts;
  if (w.end_ns && ts[n - 1] >= *w.end_ns) {
    end = std::lower_bound(ts + begin, ts + n, *w.end_ns) - ts;
    past_window_end_ = true;
  }
  if (begin >= end) return arrow::Status::OK();

  batch_ = ConformBatch(batch, ctx_->topic_schema, schema_match_);
  ts_ = ts;  // the conformed batch shares the buffers
  pos_ = begin;
  end_ = end;
  int64_t bytes = 0;
  for (const auto& column : batch_->column_data()) bytes += DecodedBytes(*column);
  bytes_per_row_ = std::max<int64_t>(1, (bytes + n - 1) / n);
  ctx_->decoded_row_bytes = bytes_per_row_;
  *has_rows = true;
  return arrow::Status::OK();
}

void ChunkCursor::Release() {
  done_ = true;
  row_group_reader_.reset();
  file_ = ChunkFile{};
  batch_.reset();
  ts_ = nullptr;
  pos_ = end_ = 0;
}

arrow::Status ChunkCursor::Corrupt(const std::string& what) const {
  return arrow::Status::IOError("corrupt chunk '", chunk_.object_key, "': ", what);
}

}  // namespace mosaico::read
