// ReadaheadReader: runs a RecordBatchReader on its own thread, a bounded number of batches ahead of the consumer,
// so that decoding the next batches (Parquet, zstd, the merge) overlaps sending the current one (DoGet).
//
// Contract:
//  - Output = the inner reader's batches, same objects, same order; its first error is returned after the batches
//    read before it and ends the stream; after the end (or an error) ReadNext returns null batches.
//  - Memory: at most `depth` finished batches wait for the consumer (the thread reads only when there is room).
//  - The inner reader is read only from the background thread, which starts in Make. Close() or destruction stops
//    it (the batch in progress is finished, nothing more is read), joins it, then closes the inner reader on the
//    caller's thread: an abandoned stream (client gone) frees its chunks promptly.
//  - Single consumer: ReadNext and Close from one thread at a time.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include <arrow/record_batch.h>
#include <arrow/result.h>

namespace mosaico::read {

class ReadaheadReader : public arrow::RecordBatchReader {
 public:
  // REQUIRES: inner != nullptr, depth >= 1.
  static std::shared_ptr<ReadaheadReader> Make(std::shared_ptr<arrow::RecordBatchReader> inner, int depth = 2);

  ReadaheadReader(std::shared_ptr<arrow::RecordBatchReader> inner, int depth);  // use Make
  ~ReadaheadReader() override;
  ReadaheadReader(const ReadaheadReader&) = delete;
  ReadaheadReader& operator=(const ReadaheadReader&) = delete;

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) override;
  arrow::Status Close() override;

  // The inner reader once the background thread has stopped touching it (end of stream or error produced, or
  // Close()), else nullptr: lets callers inspect it (read::GetReadStats) without racing the thread.
  const arrow::RecordBatchReader* idle_inner() const;

 private:
  struct Item {
    std::shared_ptr<arrow::RecordBatch> batch;  // null: end of stream (or error)
    arrow::Status status;
  };
  void Produce();
  void Stop();

  std::shared_ptr<arrow::RecordBatchReader> inner_;
  std::shared_ptr<arrow::Schema> schema_;
  const size_t depth_;
  std::mutex mu_;
  std::condition_variable has_item_;   // producer -> consumer
  std::condition_variable has_space_;  // consumer -> producer
  std::deque<Item> queue_;
  bool stop_ = false;   // consumer asked the producer to stop (under mu_)
  bool ended_ = false;  // consumer saw the end or an error (consumer thread only)
  std::atomic<bool> producer_done_{false};  // set (release) after the thread's last use of inner_
  std::thread thread_;
};

}  // namespace mosaico::read
