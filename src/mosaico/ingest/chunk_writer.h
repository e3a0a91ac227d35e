// ChunkWriter: turns the record batches of one upload into Parquet chunk objects in the store.
//
// Contract:
//  - Append() buffers batches. Once the buffered batches reach options.target_chunk_bytes (Arrow buffer bytes,
//    arrow::util::TotalBufferSize), they are flushed as ONE chunk: rows stably sorted by timestamp_ns, written as
//    Parquet (zstd, row groups of at most row_group_rows rows, column statistics, the Arrow schema stored in the
//    file metadata so types and field metadata read back as written) to layout::ChunkObject(seq, topic, upload,
//    index), index 0, 1, 2, ...; the object is streamed (never assembled in memory) and checksummed on the way.
//    A chunk is therefore about target_chunk_bytes of Arrow data plus at most one batch.
//  - Encoding is pipelined: a full chunk is sorted, encoded and written on a background thread while the next one
//    fills, and at most one chunk is in flight. Memory is therefore bounded by two chunks (plus the sort/encode
//    working set of one), never by the upload. An encode error surfaces from a later Append or from Finish.
//  - Finish() flushes the remainder (no chunk when nothing is buffered) and returns the records of all chunks in
//    index order, with topic_id and id left 0 for the caller/catalog to fill.
//  - Abort() deletes every object of the upload (layout::UploadDir). After a failed Append/Finish the writer is
//    unusable: call Abort().
//  - Not thread-safe: one DoPut stream drives one writer. The destructor waits for an in-flight chunk.
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/status.h>
#include <arrow/type_fwd.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/store/object_store.h"

namespace mosaico::ingest {

struct ChunkWriterOptions {
  int64_t target_chunk_bytes = 64 << 20;
  int64_t row_group_rows = 65536;
  int zstd_level = 3;
};

class ChunkWriter {
 public:
  // REQUIRES: `schema` passed ValidateTopicSchema.
  ChunkWriter(std::shared_ptr<store::ObjectStore> store, std::string sequence, std::string topic_path,
              std::string upload_id, std::shared_ptr<arrow::Schema> schema, ChunkWriterOptions options = {});
  ~ChunkWriter();

  ChunkWriter(const ChunkWriter&) = delete;
  ChunkWriter& operator=(const ChunkWriter&) = delete;

  // REQUIRES: batch's fields equal the writer's schema; timestamp_ns has no nulls.
  arrow::Status Append(const std::shared_ptr<arrow::RecordBatch>& batch);
  // Flushes what is buffered and returns every chunk written. Append must not be called afterwards.
  arrow::Result<std::vector<catalog::ChunkRecord>> Finish();
  // Drops buffered data and deletes the upload directory from the store.
  arrow::Status Abort();

  int64_t buffered_bytes() const { return buffered_bytes_; }
  int64_t buffered_rows() const { return buffered_rows_; }
  // Chunks completely written so far (not counting the one encoding in the background).
  const std::vector<catalog::ChunkRecord>& chunks() const { return chunks_; }
  // Chunks written or being written.
  int64_t chunks_started() const { return static_cast<int64_t>(chunks_.size()) + (in_flight_.valid() ? 1 : 0); }

 private:
  // Turns the buffered batches into a table and starts encoding it in the background (after the previous one).
  arrow::Status StartFlush();
  // Waits for the in-flight chunk, if any, and records it.
  arrow::Status AwaitInFlight();
  // Sorts `table`, computes its range and statistics and writes it as chunk `index`. Runs on a background thread:
  // reads only members fixed at construction.
  arrow::Result<catalog::ChunkRecord> EncodeChunk(std::shared_ptr<arrow::Table> table, int32_t index) const;
  // Writes `table` (already sorted) to the chunk object of `index`; fills key, size and checksum of `record`.
  arrow::Status WriteParquet(const arrow::Table& table, catalog::ChunkRecord* record) const;

  std::shared_ptr<store::ObjectStore> store_;
  std::string sequence_;
  std::string topic_path_;
  std::string upload_id_;
  std::shared_ptr<arrow::Schema> schema_;
  ChunkWriterOptions options_;
  int ts_index_ = -1;

  std::vector<std::shared_ptr<arrow::RecordBatch>> buffered_;
  int64_t buffered_bytes_ = 0;
  int64_t buffered_rows_ = 0;
  std::vector<catalog::ChunkRecord> chunks_;
  std::future<arrow::Result<catalog::ChunkRecord>> in_flight_;
  arrow::Status failed_;  // first flush error; the writer refuses further work once set
};

}  // namespace mosaico::ingest
