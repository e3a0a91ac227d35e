#include "mosaico/read/readahead_reader.h"

#include <utility>

namespace mosaico::read {

std::shared_ptr<ReadaheadReader> ReadaheadReader::Make(std::shared_ptr<arrow::RecordBatchReader> inner, int depth) {
  return std::make_shared<ReadaheadReader>(std::move(inner), depth);
}

ReadaheadReader::ReadaheadReader(std::shared_ptr<arrow::RecordBatchReader> inner, int depth)
    : inner_(std::move(inner)), schema_(inner_->schema()), depth_(depth < 1 ? 1 : static_cast<size_t>(depth)) {
  thread_ = std::thread([this] { Produce(); });
}

ReadaheadReader::~ReadaheadReader() { Stop(); }

void ReadaheadReader::Produce() {
  struct Done {
    std::atomic<bool>* flag;
    ~Done() { flag->store(true, std::memory_order_release); }
  } done{&producer_done_};
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      has_space_.wait(lock, [this] { return stop_ || queue_.size() < depth_; });
      if (stop_) return;
    }
    Item item;
    item.status = inner_->ReadNext(&item.batch);
    if (!item.status.ok()) item.batch.reset();
    const bool last = item.batch == nullptr;
    // The inner reader is not touched again: say so before the consumer can see the end (GetReadStats after it).
    if (last) producer_done_.store(true, std::memory_order_release);
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(item));
    }
    has_item_.notify_one();
    if (last) return;
  }
}

arrow::Status ReadaheadReader::ReadNext(std::shared_ptr<arrow::RecordBatch>* batch) {
  batch->reset();
  if (ended_) return arrow::Status::OK();
  Item item;
  {
    std::unique_lock<std::mutex> lock(mu_);
    has_item_.wait(lock, [this] { return !queue_.empty(); });
    item = std::move(queue_.front());
    queue_.pop_front();
  }
  has_space_.notify_one();
  if (!item.status.ok() || item.batch == nullptr) ended_ = true;
  *batch = std::move(item.batch);
  return item.status;
}

void ReadaheadReader::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  has_space_.notify_all();
  if (thread_.joinable()) thread_.join();
  queue_.clear();
}

arrow::Status ReadaheadReader::Close() {
  Stop();
  ended_ = true;
  return inner_->Close();
}

const arrow::RecordBatchReader* ReadaheadReader::idle_inner() const {
  return producer_done_.load(std::memory_order_acquire) ? inner_.get() : nullptr;
}

}  // namespace mosaico::read
