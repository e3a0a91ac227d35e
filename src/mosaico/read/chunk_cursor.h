// ChunkCursor: sequential, window-trimmed access to the rows of ONE chunk; the unit the merge works on.
//
// Contract:
//  - Lazy: the object is opened by Open(), not before; once the last in-window row has been consumed the file,
//    its reader and its buffers are released.
//  - Only row groups whose timestamp_ns statistics overlap the window are decoded, one row group at a time.
//  - Rows are exposed in chunk order (= timestamp_ns order) as [position(), position() + available()) of
//    batch(); only rows inside the window are exposed (trimmed by binary search, never by a full filter).
//  - Exposed batches carry the topic's Schema object (schema_conform.h).
//  - Memory: one row group's column chunks plus one decoded batch of at most max_decode_rows rows (fewer when
//    rows are wide, so a decoded batch stays near max_batch_bytes). A row group is decoded in equal batches
//    (no short tail batch) sized to fit max_batch_bytes, so the merge can emit each one whole, zero-copy.
//  - Corrupt data fails loudly instead of merging wrongly: null or unsorted timestamps are IOError.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/core/time_window.h"
#include "mosaico/read/chunk_file.h"
#include "mosaico/read/read_options.h"
#include "mosaico/read/schema_conform.h"
#include "mosaico/store/object_store.h"

namespace mosaico::read {

// What every cursor of one read shares. Owned by the reader; outlives its cursors.
struct ReadContext {
  std::shared_ptr<store::ObjectStore> store;
  std::shared_ptr<arrow::Schema> topic_schema;
  int ts_field = -1;  // index of timestamp_ns in topic_schema
  TimeWindow window;
  ReadOptions options;
  ReadStats* stats = nullptr;
  // Decoded (Arrow) bytes per row seen in the last decoded batch of this read, 0 before the first: sizes the next
  // decode so that a decoded batch fits one output batch whole (Parquet's uncompressed size underestimates it:
  // validity bitmaps, delta-encoded timestamps).
  mutable int64_t decoded_row_bytes = 0;
};

class ChunkCursor {
 public:
  // `ordinal` breaks timestamp ties between chunks: the smaller ordinal goes first.
  ChunkCursor(catalog::ChunkRecord chunk, int ordinal, const ReadContext* ctx);

  // Opens the object, prunes row groups and positions on the first in-window row (done() if there is none).
  arrow::Status Open();

  bool is_open() const { return opened_; }
  bool done() const { return done_; }
  int ordinal() const { return ordinal_; }
  const catalog::ChunkRecord& chunk() const { return chunk_; }

  // Before Open(): the smallest timestamp the chunk may contribute, max(ts_min, window start).
  // After Open(): the timestamp of the current row. REQUIRES: !done().
  int64_t head() const { return opened_ ? ts_[pos_] : lower_bound_; }

  // REQUIRES for the rest: is_open() && !done().
  const std::shared_ptr<arrow::RecordBatch>& batch() const { return batch_; }
  int64_t position() const { return pos_; }
  int64_t available() const { return end_ - pos_; }
  // Estimated decoded bytes per row of the current batch (>= 1).
  int64_t bytes_per_row() const { return bytes_per_row_; }
  int64_t timestamp(int64_t row) const { return ts_[row]; }
  // Rows from the current one, within the current batch, whose timestamp is < bound (<= bound if inclusive).
  int64_t CountUpTo(int64_t bound, bool inclusive) const;
  // Consumes `rows` rows (REQUIRES: rows <= available()); loads the next batch when this one is used up.
  arrow::Status Advance(int64_t rows);

 private:
  arrow::Status LoadNextBatch();
  int64_t DecodeBatchRows(const parquet::RowGroupMetaData& meta) const;
  arrow::Status AcceptBatch(std::shared_ptr<arrow::RecordBatch> batch, bool* has_rows);
  void Release();
  arrow::Status Corrupt(const std::string& what) const;

  catalog::ChunkRecord chunk_;
  int ordinal_;
  const ReadContext* ctx_;
  int64_t lower_bound_;

  bool opened_ = false;
  bool done_ = false;
  bool past_window_end_ = false;  // a row >= window end was seen: nothing after it can be in the window
  ChunkFile file_;
  SchemaMatch schema_match_ = SchemaMatch::kIdentical;
  std::vector<int> row_groups_;
  size_t next_row_group_ = 0;
  std::unique_ptr<arrow::RecordBatchReader> row_group_reader_;

  std::shared_ptr<arrow::RecordBatch> batch_;
  const int64_t* ts_ = nullptr;
  int64_t pos_ = 0;
  int64_t end_ = 0;
  int64_t bytes_per_row_ = 1;
  bool has_last_ts_ = false;
  int64_t last_ts_ = 0;  // last timestamp decoded, to check order across batches
};

}  // namespace mosaico::read
