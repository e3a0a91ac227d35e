#include "reader.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <arrow/array.h>
#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/builder.h>
#include <arrow/flight/client.h>
#include <arrow/type.h>

namespace mosaico::client {
namespace fl = arrow::flight;
namespace {

// One stripe's stream, read by a thread into a bounded queue.
class Stripe {
 public:
  Stripe(std::shared_ptr<ClientCore> core, fl::Ticket ticket, int capacity, std::string what)
      : core_(std::move(core)), ticket_(std::move(ticket)), capacity_(std::max(1, capacity)), what_(std::move(what)) {}
  ~Stripe() { Stop(); }

  arrow::Status Open() {
    auto r = core_->flight().DoGet(core_->CallOptions(), ticket_);
    if (!r.ok()) return Annotate(r.status(), what_);
    stream_ = std::move(r).ValueOrDie();
    auto schema = stream_->GetSchema();
    if (!schema.ok()) return Annotate(schema.status(), what_);
    schema_ = *schema;
    return arrow::Status::OK();
  }
  const std::shared_ptr<arrow::Schema>& schema() const { return schema_; }

  // Reads on the caller's thread (the stripe being delivered, when it has no thread).
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> NextDirect() {
    while (true) {
      auto chunk = stream_->Next();
      if (!chunk.ok()) return Annotate(chunk.status(), what_);
      if (chunk->data == nullptr) return nullptr;
      if (chunk->data->num_rows() > 0) return chunk->data;
    }
  }

  void StartThread() {
    thread_ = std::thread([this] {
      while (true) {
        auto next = NextDirect();
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || static_cast<int>(queue_.size()) < capacity_; });
        if (stop_) return;
        if (!next.ok()) {
          error_ = next.status();
          done_ = true;
        } else if (*next == nullptr) {
          done_ = true;
        } else {
          queue_.push_back(*next);
        }
        cv_.notify_all();
        if (done_) return;
      }
    });
    threaded_ = true;
  }

  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Next() {
    if (!threaded_) return NextDirect();
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !queue_.empty() || done_; });
    if (!queue_.empty()) {
      auto b = queue_.front();
      queue_.pop_front();
      cv_.notify_all();
      return b;
    }
    if (!error_.ok()) return error_;
    return nullptr;
  }

  void Stop() {
    if (!threaded_) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (stream_) stream_->Cancel();
    if (thread_.joinable()) thread_.join();
    threaded_ = false;
  }

 private:
  std::shared_ptr<ClientCore> core_;
  fl::Ticket ticket_;
  int capacity_;
  std::string what_;
  std::unique_ptr<fl::FlightStreamReader> stream_;
  std::shared_ptr<arrow::Schema> schema_;
  std::thread thread_;
  bool threaded_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<arrow::RecordBatch>> queue_;
  bool done_ = false, stop_ = false;
  arrow::Status error_;
};

class StripedReader : public arrow::RecordBatchReader {
 public:
  StripedReader(std::shared_ptr<arrow::Schema> schema, std::vector<std::unique_ptr<Stripe>> stripes)
      : schema_(std::move(schema)), stripes_(std::move(stripes)) {}
  ~StripedReader() override { (void)Close(); }

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    while (current_ < stripes_.size()) {
      ARROW_ASSIGN_OR_RAISE(auto batch, stripes_[current_]->Next());
      if (batch != nullptr) {
        if (!batch->schema()->Equals(*schema_, false)) {
          *out = arrow::RecordBatch::Make(schema_, batch->num_rows(), batch->columns());
        } else {
          *out = std::move(batch);
        }
        return arrow::Status::OK();
      }
      stripes_[current_].reset();  // this stripe is done: its thread and stream go
      ++current_;
    }
    *out = nullptr;
    return arrow::Status::OK();
  }

  arrow::Status Close() override {
    for (auto& s : stripes_) {
      if (s) s->Stop();
    }
    stripes_.clear();
    current_ = 0;
    return arrow::Status::OK();
  }

 private:
  std::shared_ptr<arrow::Schema> schema_;
  std::vector<std::unique_ptr<Stripe>> stripes_;
  size_t current_ = 0;
};

struct Cursor {
  std::shared_ptr<arrow::RecordBatchReader> reader;
  std::shared_ptr<arrow::RecordBatch> batch;
  std::shared_ptr<arrow::ArrayData> payload;  // the batch's columns but timestamp_ns, as one struct
  const int64_t* ts = nullptr;
  int64_t row = 0;
  bool done = false;
};

class MergedReader : public arrow::RecordBatchReader {
 public:
  MergedReader(std::vector<MergeInput> inputs, int64_t batch_rows) : batch_rows_(batch_rows) {
    std::vector<std::shared_ptr<arrow::Field>> fields = {arrow::field("timestamp_ns", arrow::int64(), false),
                                                         arrow::field("topic", arrow::utf8(), false)};
    for (auto& in : inputs) {
      const auto& s = in.reader->schema();
      std::vector<std::shared_ptr<arrow::Field>> payload;
      int ts = -1;
      for (int i = 0; i < s->num_fields(); ++i) {
        if (s->field(i)->name() == "timestamp_ns") ts = i;
        else payload.push_back(s->field(i));
      }
      ts_index_.push_back(ts);
      auto type = arrow::struct_(payload);
      struct_types_.push_back(type);
      fields.push_back(arrow::field(in.name, type, true));
      names_.push_back(in.name);
      Cursor c;
      c.reader = std::move(in.reader);
      cursors_.push_back(std::move(c));
    }
    schema_ = arrow::schema(fields);
  }

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  arrow::Status Check() const {
    for (size_t i = 0; i < ts_index_.size(); ++i) {
      if (ts_index_[i] < 0) return arrow::Status::Invalid("topic '", names_[i], "' has no timestamp_ns column");
    }
    return arrow::Status::OK();
  }

  arrow::Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    struct Run {
      size_t topic;
      std::shared_ptr<arrow::RecordBatch> batch;
      std::shared_ptr<arrow::ArrayData> payload;
      int64_t start, length;
    };
    std::vector<Run> runs;
    int64_t rows = 0;
    while (rows < batch_rows_) {
      for (size_t i = 0; i < cursors_.size(); ++i) ARROW_RETURN_NOT_OK(Fill(i));
      // the smallest (timestamp, topic index) among the cursors
      size_t best = cursors_.size();
      for (size_t i = 0; i < cursors_.size(); ++i) {
        if (cursors_[i].done) continue;
        if (best == cursors_.size() || Key(i) < Key(best)) best = i;
      }
      if (best == cursors_.size()) break;
      auto& c = cursors_[best];
      // the bound: the next smallest key among the others
      bool bounded = false;
      std::pair<int64_t, size_t> bound{};
      for (size_t j = 0; j < cursors_.size(); ++j) {
        if (j == best || cursors_[j].done) continue;
        if (!bounded || Key(j) < bound) bound = Key(j), bounded = true;
      }
      const int64_t n = c.batch->num_rows();
      int64_t end = c.row + 1;
      while (end < n && rows + (end - c.row) < batch_rows_ &&
             (!bounded || std::make_pair(c.ts[end], best) < bound)) {
        ++end;
      }
      runs.push_back({best, c.batch, c.payload, c.row, end - c.row});
      rows += end - c.row;
      c.row = end;
    }
    if (rows == 0) {
      *out = nullptr;
      return arrow::Status::OK();
    }
    arrow::Int64Builder ts;
    arrow::StringBuilder topic;
    ARROW_RETURN_NOT_OK(ts.Reserve(rows));
    std::vector<std::unique_ptr<arrow::ArrayBuilder>> payloads(cursors_.size());
    for (size_t i = 0; i < cursors_.size(); ++i) {
      ARROW_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), struct_types_[i], &payloads[i]));
    }
    for (const auto& r : runs) {
      const int64_t* t = r.batch->column(ts_index_[r.topic])->data()->GetValues<int64_t>(1);
      ARROW_RETURN_NOT_OK(ts.AppendValues(t + r.start, r.length));
      for (int64_t k = 0; k < r.length; ++k) ARROW_RETURN_NOT_OK(topic.Append(names_[r.topic]));
      for (size_t i = 0; i < cursors_.size(); ++i) {
        if (i == r.topic) {
          ARROW_RETURN_NOT_OK(payloads[i]->AppendArraySlice(arrow::ArraySpan(*r.payload), r.start, r.length));
        } else {
          ARROW_RETURN_NOT_OK(payloads[i]->AppendNulls(r.length));
        }
      }
    }
    std::vector<std::shared_ptr<arrow::Array>> columns(2 + cursors_.size());
    ARROW_RETURN_NOT_OK(ts.Finish(&columns[0]));
    ARROW_RETURN_NOT_OK(topic.Finish(&columns[1]));
    for (size_t i = 0; i < cursors_.size(); ++i) ARROW_RETURN_NOT_OK(payloads[i]->Finish(&columns[2 + i]));
    *out = arrow::RecordBatch::Make(schema_, rows, std::move(columns));
    return arrow::Status::OK();
  }

  arrow::Status Close() override {
    for (auto& c : cursors_) {
      if (c.reader) ARROW_RETURN_NOT_OK(c.reader->Close());
      c.done = true;
    }
    return arrow::Status::OK();
  }

 private:
  std::pair<int64_t, size_t> Key(size_t i) const { return {cursors_[i].ts[cursors_[i].row], i}; }

  arrow::Status Fill(size_t i) {
    auto& c = cursors_[i];
    while (!c.done && (c.batch == nullptr || c.row >= c.batch->num_rows())) {
      std::shared_ptr<arrow::RecordBatch> b;
      ARROW_RETURN_NOT_OK(c.reader->ReadNext(&b));
      if (b == nullptr) {
        c.done = true;
        c.batch.reset();
        c.payload.reset();
        break;
      }
      if (b->num_rows() == 0) continue;
      c.batch = b;
      c.row = 0;
      c.ts = b->column(ts_index_[i])->data()->GetValues<int64_t>(1);
      std::vector<std::shared_ptr<arrow::ArrayData>> children;
      for (int k = 0; k < b->num_columns(); ++k) {
        if (k != ts_index_[i]) children.push_back(b->column(k)->data());
      }
      c.payload = arrow::ArrayData::Make(struct_types_[i], b->num_rows(), {nullptr}, std::move(children), 0, 0);
    }
    return arrow::Status::OK();
  }

  int64_t batch_rows_;
  std::shared_ptr<arrow::Schema> schema_;
  std::vector<std::shared_ptr<arrow::DataType>> struct_types_;
  std::vector<int> ts_index_;
  std::vector<std::string> names_;
  std::vector<Cursor> cursors_;
};

}  // namespace

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> OpenStripedReader(
    std::shared_ptr<ClientCore> core, std::vector<fl::Ticket> tickets, std::shared_ptr<arrow::Schema> schema,
    int prefetch, std::string what) {
  if (tickets.empty()) return arrow::Status::Invalid(what, ": the server returned no endpoint");
  std::vector<std::unique_ptr<Stripe>> stripes;
  for (auto& t : tickets) {
    stripes.push_back(std::make_unique<Stripe>(core, std::move(t), prefetch, what));
  }
  // Every stream is opened before the first batch is delivered, so all stripes run at once; the first is read on
  // the caller's thread.
  for (auto& s : stripes) ARROW_RETURN_NOT_OK(s->Open());
  for (size_t i = 1; i < stripes.size(); ++i) stripes[i]->StartThread();
  if (schema == nullptr) schema = stripes.front()->schema();
  return std::make_shared<StripedReader>(std::move(schema), std::move(stripes));
}

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> OpenMergedReader(std::vector<MergeInput> inputs,
                                                                          int64_t batch_rows) {
  auto reader = std::make_shared<MergedReader>(std::move(inputs), batch_rows);
  ARROW_RETURN_NOT_OK(reader->Check());
  return reader;
}

}  // namespace mosaico::client
