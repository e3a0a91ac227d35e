#include "mosaico/ingest/chunk_writer.h"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/io/buffered.h>
#include <arrow/util/compression.h>
#include <arrow/util/thread_pool.h>
#include <arrow/util/byte_size.h>
#include <parquet/arrow/schema.h>
#include <parquet/arrow/writer.h>
#include <parquet/metadata.h>
#include <parquet/properties.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>

#include "mosaico/core/errors.h"
#include "mosaico/ingest/chunk_codec.h"
#include "mosaico/ingest/chunk_nullability.h"
#include "mosaico/ingest/chunk_parquet.h"
#include "mosaico/ingest/column_stats.h"
#include "mosaico/ingest/compute_init.h"
#include "mosaico/ingest/schema_check.h"
#include "mosaico/store/checksum.h"
#include "mosaico/store/layout.h"

namespace mosaico::ingest {
namespace {

bool IsSorted(const arrow::ChunkedArray& ts) {
  bool first = true;
  int64_t prev = 0;
  for (const auto& chunk : ts.chunks()) {
    const auto& values = static_cast<const arrow::Int64Array&>(*chunk);
    const int64_t* raw = values.raw_values();
    for (int64_t i = 0; i < values.length(); ++i) {
      if (!first && raw[i] < prev) return false;
      prev = raw[i];
      first = false;
    }
  }
  return true;
}

// Table whose rows are `table`'s, stably sorted by the int64 column `ts_index`.
arrow::Result<std::shared_ptr<arrow::Table>> SortByTimestamp(std::shared_ptr<arrow::Table> table, int ts_index) {
  const auto& ts = *table->column(ts_index);
  if (IsSorted(ts)) return table;
  // sort_indices is a stable sort: rows with equal timestamps keep their arrival order.
  ARROW_ASSIGN_OR_RAISE(auto indices, arrow::compute::SortIndices(ts, arrow::compute::SortOrder::Ascending));
  ARROW_ASSIGN_OR_RAISE(arrow::Datum sorted, arrow::compute::Take(table, indices));
  return sorted.table();
}

// Column-parallel encoding (Arrow's CPU pool) pays off when a row group has several top-level columns and stays
// small: buffered row groups hold a whole row group's encoded pages until it is complete, so wide rows (blobs)
// are written column after column as before. The pool must have options.parallel_encode_min_threads threads
// (default 3; the header says why).
constexpr int64_t kMaxParallelRowGroupBytes = 16 << 20;

bool ParallelColumns(const arrow::Table& table, int64_t row_group_rows, int min_threads) {
  if (table.num_columns() < 2 || table.num_rows() == 0 || arrow::GetCpuThreadPoolCapacity() < min_threads) {
    return false;
  }
  const double bytes_per_row =
      static_cast<double>(arrow::util::TotalBufferSize(table)) / static_cast<double>(table.num_rows());
  return bytes_per_row * static_cast<double>(std::min(row_group_rows, table.num_rows())) <=
         static_cast<double>(kMaxParallelRowGroupBytes);
}

}  // namespace

EncodeExecutor::EncodeExecutor(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Run(); });
}

EncodeExecutor::~EncodeExecutor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

std::future<arrow::Result<catalog::ChunkRecord>> EncodeExecutor::Submit(Task task) {
  auto future = task.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
  return future;
}

void EncodeExecutor::Run() {
  while (true) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued has run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

struct ChunkWriter::ReclaimHook : Reclaimable {
  mutable std::mutex mu;             // guards the writer's buffers, in-flight chunk and chunk list
  ChunkWriter* writer = nullptr;     // null once the writer is gone
  std::atomic<int64_t> buffered{0};  // the writer's buffered_bytes_, readable without the mutex

  int64_t ReclaimableBytes() const override { return buffered.load(std::memory_order_relaxed); }
  int64_t Reclaim() override {
    // Never wait for the owner: it is appending (and will be asked again) or encoding a full chunk.
    std::unique_lock<std::mutex> lock(mu, std::try_to_lock);
    if (!lock.owns_lock() || writer == nullptr) return 0;
    return writer->ReclaimLocked();
  }
};

ChunkWriter::ChunkWriter(std::shared_ptr<store::ObjectStore> store, std::string sequence, std::string topic_path,
                         std::string upload_id, std::shared_ptr<arrow::Schema> schema, ChunkWriterOptions options)
    : store_(std::move(store)),
      sequence_(std::move(sequence)),
      topic_path_(std::move(topic_path)),
      upload_id_(std::move(upload_id)),
      schema_(std::move(schema)),
      options_(options),
      ts_index_(schema_->GetFieldIndex(kTimestampField)),
      hook_(std::make_shared<ReclaimHook>()) {
  if (options_.row_group_rows <= 0) options_.row_group_rows = ChunkWriterOptions{}.row_group_rows;
  hook_->writer = this;
  if (options_.memory_budget && options_.memory_budget->limited()) {
    registration_ = options_.memory_budget->Register(hook_);
  }
}

ChunkWriter::~ChunkWriter() {
  registration_.reset();  // no new early flushes ...
  std::lock_guard<std::mutex> lock(hook_->mu);  // ... and none running
  hook_->writer = nullptr;
  (void)AwaitInFlight();
}

int64_t ChunkWriter::buffered_bytes() const {
  std::lock_guard<std::mutex> lock(hook_->mu);
  return buffered_bytes_;
}

int64_t ChunkWriter::buffered_rows() const {
  std::lock_guard<std::mutex> lock(hook_->mu);
  return buffered_rows_;
}

int64_t ChunkWriter::chunks_started() const {
  std::lock_guard<std::mutex> lock(hook_->mu);
  return static_cast<int64_t>(chunks_.size()) + (in_flight_.valid() ? 1 : 0);
}

int64_t ChunkWriter::early_flushes() const {
  std::lock_guard<std::mutex> lock(hook_->mu);
  return early_flushes_;
}

arrow::Status ChunkWriter::Append(const std::shared_ptr<arrow::RecordBatch>& batch) {
  // Budget first, without the mutex: while this thread waits, a waiter may flush what this writer buffered.
  MemoryReservation reservation;
  if (options_.memory_budget && batch->num_rows() > 0) {
    {
      std::lock_guard<std::mutex> lock(hook_->mu);
      ARROW_RETURN_NOT_OK(failed_);  // never wait for memory on behalf of a failed upload
    }
    ARROW_ASSIGN_OR_RAISE(reservation, options_.memory_budget->Reserve(arrow::util::TotalBufferSize(*batch),
                                                                       options_.memory_wait));
  }
  std::lock_guard<std::mutex> lock(hook_->mu);
  ARROW_RETURN_NOT_OK(failed_);
  if (ts_index_ < 0) return ValidateTopicSchema(*schema_);
  // Surface a failed background encode as early as possible, without waiting for a running one.
  if (in_flight_.valid() && in_flight_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    failed_ = AwaitInFlight();
    ARROW_RETURN_NOT_OK(failed_);
  }
  if (batch->num_rows() == 0) return arrow::Status::OK();
  buffered_bytes_ += arrow::util::TotalBufferSize(*batch);
  buffered_rows_ += batch->num_rows();
  buffered_.push_back(batch);
  held_.Absorb(std::move(reservation));
  hook_->buffered.store(buffered_bytes_, std::memory_order_relaxed);
  if (buffered_bytes_ >= options_.target_chunk_bytes) {
    failed_ = StartFlush();
    return failed_;
  }
  return arrow::Status::OK();
}

arrow::Result<std::vector<catalog::ChunkRecord>> ChunkWriter::Finish() {
  std::lock_guard<std::mutex> lock(hook_->mu);
  ARROW_RETURN_NOT_OK(failed_);
  failed_ = StartFlush();
  if (failed_.ok()) failed_ = AwaitInFlight();
  ARROW_RETURN_NOT_OK(failed_);
  // The writer is done: further Appends are refused.
  failed_ = FailedPrecondition("upload of topic '" + sequence_ + "/" + topic_path_ + "' is already finished");
  return chunks_;
}

arrow::Status ChunkWriter::Abort() {
  std::lock_guard<std::mutex> lock(hook_->mu);
  (void)AwaitInFlight();  // its object lies in the upload directory deleted below
  buffered_.clear();
  buffered_bytes_ = 0;
  buffered_rows_ = 0;
  held_.Release();
  hook_->buffered.store(0, std::memory_order_relaxed);
  if (failed_.ok()) failed_ = FailedPrecondition("upload of topic '" + sequence_ + "/" + topic_path_ + "' was aborted");
  return store_->DeletePrefix(store::layout::UploadDir(sequence_, topic_path_, upload_id_));
}

arrow::Status ChunkWriter::AwaitInFlight() {
  if (!in_flight_.valid()) return arrow::Status::OK();
  arrow::Result<catalog::ChunkRecord> record = in_flight_.get();
  ARROW_RETURN_NOT_OK(record.status());
  chunks_.push_back(std::move(record).ValueUnsafe());
  return arrow::Status::OK();
}

arrow::Status ChunkWriter::StartFlush() {
  if (buffered_rows_ == 0) return arrow::Status::OK();
  ARROW_RETURN_NOT_OK(AwaitInFlight());  // at most one chunk encodes while the next one fills
  ARROW_RETURN_NOT_OK(EnsureComputeInitialized());
  ARROW_ASSIGN_OR_RAISE(auto table, arrow::Table::FromRecordBatches(schema_, buffered_));
  buffered_.clear();  // the table holds the data now; nothing else keeps a second copy alive
  buffered_bytes_ = 0;
  buffered_rows_ = 0;
  hook_->buffered.store(0, std::memory_order_relaxed);
  // The chunk's budget goes with it and is released once the encode dropped the table: it drains on its own.
  MemoryReservation chunk_memory = std::move(held_);
  chunk_memory.MarkDraining();
  if (static_cast<int64_t>(chunks_.size()) >= options_.max_chunks) {
    return arrow::Status::Invalid("the upload to '", sequence_, "/", topic_path_, "' exceeds ", options_.max_chunks,
                                  " chunks (a stripe's limit); send it over more stripes or larger chunks");
  }
  const auto index = static_cast<int32_t>(options_.first_chunk_index + static_cast<int64_t>(chunks_.size()));
  auto encode = [this, table = std::move(table), index, chunk_memory = std::move(chunk_memory)]() mutable {
    auto record = EncodeChunk(std::move(table), index);
    chunk_memory.Release();
    return record;
  };
  if (options_.encoder) {
    in_flight_ = options_.encoder->Submit(EncodeExecutor::Task(std::move(encode)));
  } else {
    in_flight_ = std::async(std::launch::async, std::move(encode));
  }
  return arrow::Status::OK();
}

int64_t ChunkWriter::ReclaimLocked() {
  if (!failed_.ok() || buffered_rows_ == 0) return 0;
  // At most one chunk in flight: one still encoding drains on its own; ask again once it is done.
  if (in_flight_.valid() && in_flight_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return 0;
  const int64_t bytes = buffered_bytes_;
  const int64_t rows = buffered_rows_;
  failed_ = StartFlush();
  if (!failed_.ok()) return 0;
  ++early_flushes_;
  spdlog::debug("event=ingest_early_flush topic={}/{} upload={} chunk={} rows={} bytes={} reason=memory_budget",
                sequence_, topic_path_, upload_id_, chunks_.size(), rows, bytes);
  return bytes;
}

arrow::Result<catalog::ChunkRecord> ChunkWriter::EncodeChunk(std::shared_ptr<arrow::Table> table, int32_t index) const {
  ARROW_ASSIGN_OR_RAISE(table, SortByTimestamp(std::move(table), ts_index_));
  catalog::ChunkRecord record;
  record.index = index;
  record.row_count = table->num_rows();
  // Sorted, without nulls (CheckUploadBatch): the range is the first and the last timestamp.
  ARROW_ASSIGN_OR_RAISE(auto first, table->column(ts_index_)->GetScalar(0));
  ARROW_ASSIGN_OR_RAISE(auto last, table->column(ts_index_)->GetScalar(table->num_rows() - 1));
  record.ts_min = static_cast<const arrow::Int64Scalar&>(*first).value;
  record.ts_max = static_cast<const arrow::Int64Scalar&>(*last).value;
  std::shared_ptr<parquet::FileMetaData> written;
  // Fields without nulls in this chunk are stored required (chunk_nullability.h); reads conform them back.
  ARROW_ASSIGN_OR_RAISE(auto stored, RequireNullFreeFields(table));
  ARROW_RETURN_NOT_OK(WriteParquet(*stored, &record, &written));
  // Float leaves' statistics come from the footer the writer just collected them for (column_stats.h).
  ARROW_ASSIGN_OR_RAISE(record.stats, ComputeColumnStats(*table, *written));
  return record;
}

arrow::Status ChunkWriter::WriteParquet(const arrow::Table& table, catalog::ChunkRecord* record,
                                        std::shared_ptr<parquet::FileMetaData>* written) const {
  const std::string key = store::layout::ChunkObject(sequence_, topic_path_, upload_id_, record->index);
  ARROW_ASSIGN_OR_RAISE(auto raw, store_->OpenWrite(key));
  auto pool = arrow::default_memory_pool();
  ARROW_ASSIGN_OR_RAISE(auto buffered, arrow::io::BufferedOutputStream::Create(kChunkWriteBufferBytes, pool, raw));
  auto sink = std::make_shared<store::ChecksumOutputStream>(buffered);

  arrow::Status st = [&]() -> arrow::Status {
    // Blob and float columns that zstd does not shrink (camera frames, compressed clouds, noise) are stored as they
    // are; float columns LZ4 shrinks about as well as zstd are stored with LZ4 (chunk_codec.h).
    ARROW_ASSIGN_OR_RAISE(auto codecs, ChooseChunkCodecs(table, options_.zstd_level));
    for (const auto& c : codecs) {
      spdlog::debug("event=chunk_codec chunk={} column={} codec={} sample_bytes={} zstd_saving={:.3f} lz4_saving={:.3f}",
                    key, c.path, arrow::util::Codec::GetCodecAsString(c.codec), c.sample_bytes, c.zstd_saving,
                    c.lz4_saving);
    }
    const bool parallel = ParallelColumns(table, options_.row_group_rows, options_.parallel_encode_min_threads);
    auto arrow_properties = ChunkArrowWriterProperties(parallel);
    ARROW_ASSIGN_OR_RAISE(auto properties,
                          ChunkWriterProperties(*table.schema(), options_.zstd_level, options_.row_group_rows,
                                                arrow_properties, ColumnCodecs(codecs)));
    ARROW_ASSIGN_OR_RAISE(auto writer,
                          parquet::arrow::FileWriter::Open(*table.schema(), pool, sink, properties, arrow_properties));
    if (parallel) {
      // Buffered row groups: each piece is encoded column-parallel; row groups still hold row_group_rows rows.
      arrow::TableBatchReader pieces(table);
      while (true) {
        std::shared_ptr<arrow::RecordBatch> piece;
        ARROW_RETURN_NOT_OK(pieces.ReadNext(&piece));
        if (!piece) break;
        ARROW_RETURN_NOT_OK(writer->WriteRecordBatch(*piece));
      }
    } else {
      ARROW_RETURN_NOT_OK(writer->WriteTable(table, options_.row_group_rows));
    }
    ARROW_RETURN_NOT_OK(writer->Close());
    *written = writer->metadata();
    return sink->Close();  // no-op when the Parquet writer already closed it
  }();
  if (!st.ok()) {
    (void)sink->Abort();
    (void)store_->Delete(key);
    return WithContext(st, "writing chunk '" + key + "'");
  }
  record->object_key = key;
  record->size_bytes = sink->bytes_written();
  record->checksum = sink->checksum_hex();
  return arrow::Status::OK();
}

}  // namespace mosaico::ingest
