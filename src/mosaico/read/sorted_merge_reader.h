// SortedMergeReader: every row of a topic's chunks inside a time window, sorted by timestamp_ns.
//
// Contract:
//  - Output = a stable sort by timestamp_ns of the chunks' in-window rows, where ties between chunks keep
//    upload order (ChunkRecord::index, then input order) and ties inside a chunk keep row order.
//  - Batches carry the topic Schema object, have 1..max_batch_rows rows and roughly <= max_batch_bytes; a
//    zero-row batch is never emitted; end of stream is a null batch (also when nothing is in the window).
//  - Memory stays bounded by the merge width, not the topic: a chunk is opened only when the merge frontier
//    reaches its first possible timestamp, decoded one row group (one batch) at a time, and released after its
//    last row. Chunks that do not overlap are therefore streamed one after another (one open chunk, whole
//    decoded batches emitted as zero-copy slices); overlapping ones are k-way merged over their heads, emitting
//    at each step the longest run of the smallest head that stays <= the next-smallest head.
//  - Trusts ChunkRecord::ts_min as a lower bound of a chunk's timestamps; a violation (or unsorted data) is
//    reported as IOError rather than emitted out of order.
//  - Single consumer; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/core/time_window.h"
#include "mosaico/read/batch_assembler.h"
#include "mosaico/read/chunk_cursor.h"
#include "mosaico/read/read_options.h"
#include "mosaico/store/object_store.h"

namespace mosaico::read {

class SortedMergeReader : public arrow::RecordBatchReader {
 public:
  // `chunks`: all chunks of the topic, any order (the ones outside the window are never opened).
  // REQUIRES: window.Validate().ok(); topic_schema has an int64 timestamp_ns (Invalid otherwise).
  static arrow::Result<std::shared_ptr<SortedMergeReader>> Make(std::shared_ptr<store::ObjectStore> store,
                                                                std::shared_ptr<arrow::Schema> topic_schema,
                                                                std::vector<catalog::ChunkRecord> chunks,
                                                                TimeWindow window, ReadOptions options);

  std::shared_ptr<arrow::Schema> schema() const override { return ctx_.topic_schema; }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override;
  // Releases every open chunk; later ReadNext calls return end of stream.
  arrow::Status Close() override;

  const ReadStats& stats() const { return stats_; }

  SortedMergeReader(ReadContext ctx, std::vector<catalog::ChunkRecord> selected);  // use Make

 private:
  // Min-heap of open cursors keyed by (head timestamp, ordinal).
  class CursorHeap {
   public:
    bool empty() const { return heap_.empty(); }
    size_t size() const { return heap_.size(); }
    ChunkCursor* top() const { return heap_.front(); }
    ChunkCursor* second() const;  // the next-smallest, nullptr when size() < 2
    void Push(ChunkCursor* c);
    void Pop();
    void TopChanged();  // re-sifts the top after its head advanced
    void Clear() { heap_.clear(); }

   private:
    void SiftDown(size_t i);
    std::vector<ChunkCursor*> heap_;
  };

  arrow::Status Next(std::shared_ptr<arrow::RecordBatch>* batch);
  arrow::Status OpenDueChunks();
  arrow::Result<bool> AppendRun(ChunkCursor* top);

  ReadContext ctx_;
  ReadStats stats_;
  std::vector<std::unique_ptr<ChunkCursor>> cursors_;  // by (first possible timestamp, ordinal); opened in order
  size_t next_to_open_ = 0;
  CursorHeap heap_;
  BatchAssembler assembler_;
  bool has_last_emitted_ = false;
  int64_t last_emitted_ = 0;
  bool closed_ = false;
  arrow::Status error_;  // sticky
};

}  // namespace mosaico::read
