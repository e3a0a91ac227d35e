// ChunkWriter: turns the record batches of one upload into Parquet chunk objects in the store.
//
// Contract:
//  - Append() buffers batches. Once the buffered batches reach options.target_chunk_bytes (Arrow buffer bytes,
//    arrow::util::TotalBufferSize), they are flushed as ONE chunk: rows stably sorted by timestamp_ns, written as
//    Parquet (chunk_parquet.h: zstd at options.zstd_level, except blob columns that zstd does not shrink, stored
//    uncompressed as chunk_codec.h decides per chunk; row groups of at most row_group_rows rows, column statistics,
//    the Arrow schema stored in the file metadata so types and field metadata read back as written; fields
//    without nulls in the chunk stored required, chunk_nullability.h, which read/schema_conform.h undoes) to
//    layout::ChunkObject(seq, topic, upload, index), index 0, 1, 2, ... (from options.first_chunk_index); the object is streamed (never assembled in
//    memory) and checksummed on the way.
//    A chunk is therefore about target_chunk_bytes of Arrow data plus at most one batch (or less when the memory
//    budget has it flushed early, see below).
//  - Encoding is pipelined: a full chunk is sorted, encoded and written on a background thread (one of
//    options.encoder's, shared by many writers, or else a thread of its own) while the next one fills, and at most
//    one chunk is in flight. Without a budget, memory is therefore bounded by two chunks (plus the sort/encode
//    working set of one), never by the upload. An encode error surfaces from a later Append or from Finish.
//    Within a chunk whose row groups are small (<= 16 MiB of Arrow data, e.g. IMU rows; not blobs), the top-level
//    columns are encoded in parallel on Arrow's CPU thread pool (buffered row groups: one row group's encoded
//    pages are held until it is complete) when that pool has at least options.parallel_encode_min_threads
//    threads (default 3: on 2 cores, column after column on the encode thread). Column after column was
//    1.02-1.12x faster for one IMU stream on 2 cores (bench/README.md 2026-12-07 09:20) and drained the fleet of
//    300 streams in less time and CPU; its fleet-test failures (1dec602) were RSS sampled while the daemon still read
//    the clients' transport backlog, which parallel encode failed the same way (bench/README.md 2026-12-07 11:55).
//    The file is the same either way.
//  - Finish() flushes the remainder (no chunk when nothing is buffered) and returns the records of all chunks in
//    index order, with topic_id and id left 0 for the caller/catalog to fill.
//  - Abort() deletes every object of the upload (layout::UploadDir). After a failed Append/Finish the writer is
//    unusable: call Abort().
//  - With a memory budget (options.memory_budget, memory_budget.h): Append reserves the batch's Arrow bytes
//    before buffering it -- waiting, on the caller's thread, as options.memory_wait says; a wait that ends without
//    memory returns its status (Aborted / Unavailable) and buffers nothing -- and a chunk's reservation is released
//    when its background encode ends. The writer registers with the budget as a Reclaimable: while a waiter needs
//    memory, the waiter's thread may flush this writer's partly built chunk early (a smaller chunk), also while
//    the owner is blocked reading its next message or waiting for budget itself. Memory is then bounded by the
//    budget, no longer by two chunks per writer.
//  - One DoPut stream drives one writer (Append/Finish/Abort from one thread at a time); a mutex guards the state
//    against early flushes. chunks() is stable once Finish returned. The destructor waits for an in-flight chunk.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/status.h>
#include <arrow/type_fwd.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/ingest/memory_budget.h"
#include "mosaico/store/object_store.h"

namespace parquet {
class FileMetaData;
}  // namespace parquet

namespace mosaico::ingest {

// A fixed set of threads that encode the chunks of many writers, daemon-wide. It caps the encodes running at once:
// an encode's working set (Parquet page and write buffers, compression contexts, a sorted copy of an unsorted
// chunk) is not in the memory budget, which counts the chunk's Arrow data, and with many streams flushing at once
// (early flushes under a tight budget) it would otherwise grow with the number of streams. Reusing threads also
// keeps the allocator's per-thread caches from piling up (a thread per chunk leaves one behind per chunk). A chunk
// waiting for a thread keeps its budget reservation, marked draining: it will run, whatever the budget does.
// Tasks never wait for anything but the store, so every queued chunk is encoded; the destructor runs what is
// queued and joins the threads.
class EncodeExecutor {
 public:
  using Task = std::packaged_task<arrow::Result<catalog::ChunkRecord>()>;

  explicit EncodeExecutor(int threads);
  ~EncodeExecutor();
  EncodeExecutor(const EncodeExecutor&) = delete;
  EncodeExecutor& operator=(const EncodeExecutor&) = delete;

  std::future<arrow::Result<catalog::ChunkRecord>> Submit(Task task);
  int threads() const { return static_cast<int>(threads_.size()); }

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

struct ChunkWriterOptions {
  int64_t target_chunk_bytes = 64 << 20;
  int64_t row_group_rows = 65536;
  // Level 1: on sensor data it compresses within 0.1-2 % of level 3 at about 3/4 of its CPU (bench/README.md).
  int zstd_level = 1;
  // Ingest memory budget; null: none (each writer then holds up to two chunks).
  std::shared_ptr<MemoryBudget> memory_budget;
  BudgetWait memory_wait;  // how Append waits for memory_budget (cancellation, time limit, name in logs)
  // Encodes run here (shared by many writers; must outlive their in-flight chunks); null: a thread per chunk.
  std::shared_ptr<EncodeExecutor> encoder;
  // Chunk indices (and object names) are first_chunk_index, +1, ...; at most max_chunks of them (a flush beyond
  // fails with INVALID_ARGUMENT). A stripe of a striped upload writes its own range (stripe_ledger.h).
  int32_t first_chunk_index = 0;
  int64_t max_chunks = int64_t{1} << 31;
  // Column-parallel encode of narrow rows from this many Arrow CPU pool threads on (see the contract).
  int parallel_encode_min_threads = 3;
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

  int64_t buffered_bytes() const;
  int64_t buffered_rows() const;
  // Chunks completely written so far (not counting the one encoding in the background). See the contract.
  const std::vector<catalog::ChunkRecord>& chunks() const { return chunks_; }
  // Chunks written or being written.
  int64_t chunks_started() const;
  // Chunks flushed before they were full because the memory budget needed their memory.
  int64_t early_flushes() const;

 private:
  struct ReclaimHook;  // what the budget sees (memory_budget.h Reclaimable); its mutex guards the state below

  // Flushes the partly built chunk for the budget (mutex held); returns the bytes now draining.
  int64_t ReclaimLocked();
  // Turns the buffered batches into a table and starts encoding it in the background (after the previous one).
  arrow::Status StartFlush();
  // Waits for the in-flight chunk, if any, and records it.
  arrow::Status AwaitInFlight();
  // Sorts `table`, computes its range and statistics and writes it as chunk `index`. Runs on a background thread:
  // reads only members fixed at construction.
  arrow::Result<catalog::ChunkRecord> EncodeChunk(std::shared_ptr<arrow::Table> table, int32_t index) const;
  // Writes `table` (already sorted, under the schema it is stored with) to the chunk object of `index`; fills key,
  // size and checksum of `record` and `written` with the file's footer.
  arrow::Status WriteParquet(const arrow::Table& table, catalog::ChunkRecord* record,
                             std::shared_ptr<parquet::FileMetaData>* written) const;

  std::shared_ptr<store::ObjectStore> store_;
  std::string sequence_;
  std::string topic_path_;
  std::string upload_id_;
  std::shared_ptr<arrow::Schema> schema_;
  ChunkWriterOptions options_;
  int ts_index_ = -1;

  std::shared_ptr<ReclaimHook> hook_;
  MemoryBudget::Registration registration_;  // set when a limited budget may ask for early flushes
  MemoryReservation held_;                   // budget of buffered_
  int64_t early_flushes_ = 0;

  std::vector<std::shared_ptr<arrow::RecordBatch>> buffered_;
  int64_t buffered_bytes_ = 0;
  int64_t buffered_rows_ = 0;
  std::vector<catalog::ChunkRecord> chunks_;
  std::future<arrow::Result<catalog::ChunkRecord>> in_flight_;
  arrow::Status failed_;  // first flush error; the writer refuses further work once set
};

}  // namespace mosaico::ingest
