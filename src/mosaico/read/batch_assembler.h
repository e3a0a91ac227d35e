// BatchAssembler: builds one output batch from runs (contiguous row ranges of source batches), in order.
//
// Contract:
//  - Finish() returns a batch with exactly the appended rows, in append order, carrying `schema` (the same
//    object); it never returns a zero-row batch (REQUIRES: rows() > 0) and resets the assembler.
//  - Cost: one run -> zero-copy slice; few long runs -> slices concatenated (one copy); many short runs
//    (interleaved chunks) -> the rows each source contributes are concatenated once and permuted with a
//    single Take, so the cost stays O(rows), not O(runs x columns).
//  - Sources must carry `schema` (see schema_conform.h). Runs of one source must come in row order, as a
//    ChunkCursor produces them.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <arrow/memory_pool.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>

namespace mosaico::read {

class BatchAssembler {
 public:
  BatchAssembler(std::shared_ptr<arrow::Schema> schema, arrow::MemoryPool* pool);

  // Appends rows [offset, offset + length) of `source`; `bytes` is their estimated decoded size.
  void Append(const std::shared_ptr<arrow::RecordBatch>& source, int64_t offset, int64_t length, int64_t bytes);

  int64_t rows() const { return rows_; }
  int64_t bytes() const { return bytes_; }
  size_t runs() const { return runs_.size(); }

  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Finish();

 private:
  struct Run {
    std::shared_ptr<arrow::RecordBatch> source;
    int64_t offset;
    int64_t length;
  };
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> ConcatenateRuns() const;
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> GatherRuns() const;
  std::shared_ptr<arrow::RecordBatch> WithSchema(std::shared_ptr<arrow::RecordBatch> batch) const;

  std::shared_ptr<arrow::Schema> schema_;
  arrow::MemoryPool* pool_;
  std::vector<Run> runs_;
  int64_t rows_ = 0;
  int64_t bytes_ = 0;
};

}  // namespace mosaico::read
