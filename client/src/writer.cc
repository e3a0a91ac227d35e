#include "mosaico/client/writer.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include <arrow/flight/client.h>
#include <arrow/buffer.h>
#include <arrow/ipc/writer.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>

#include "core.h"
#include "locators.h"

namespace mosaico::client {
namespace fl = arrow::flight;

// -- TopicWriter ---------------------------------------------------------------------------------------------------

// Where a topic's messages go: one DoPut stream, or the stripes of a striped upload (docs/PROTOCOL_NOTES.md
// "Striped uploads"), each on its own connection and thread.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual arrow::Status Send(const std::shared_ptr<arrow::RecordBatch>& batch) = 0;
  /// Ends the upload (every stream done and closed); the server's verdict.
  virtual arrow::Status Close() = 0;
};

class SingleSink : public Sink {
 public:
  SingleSink(std::unique_ptr<fl::FlightStreamWriter> w, std::unique_ptr<fl::FlightMetadataReader> r)
      : writer_(std::move(w)), reader_(std::move(r)) {}
  arrow::Status Send(const std::shared_ptr<arrow::RecordBatch>& batch) override {
    auto st = writer_->WriteRecordBatch(*batch);
    if (st.ok()) return st;
    auto closed = writer_->Close();  // the server's reason comes with Close
    return closed.ok() ? st : closed;
  }
  arrow::Status Close() override {
    auto done = writer_->DoneWriting();
    auto closed = writer_->Close();
    return closed.ok() ? done : closed;
  }

 private:
  std::unique_ptr<fl::FlightStreamWriter> writer_;
  std::unique_ptr<fl::FlightMetadataReader> reader_;
};

class StripedSink : public Sink {
 public:
  struct Stripe {
    std::unique_ptr<fl::FlightClient> client;
    std::unique_ptr<fl::FlightStreamWriter> writer;
    std::unique_ptr<fl::FlightMetadataReader> reader;
    std::thread thread;
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::shared_ptr<arrow::RecordBatch>> queue;
    bool closing = false;
    arrow::Status status;
    bool committed = false;
  };

  explicit StripedSink(std::vector<std::unique_ptr<Stripe>> stripes) : stripes_(std::move(stripes)) {
    for (auto& s : stripes_) s->thread = std::thread([st = s.get()] { Run(st); });
  }
  ~StripedSink() override { (void)Close(); }

  arrow::Status Send(const std::shared_ptr<arrow::RecordBatch>& batch) override {
    auto& s = *stripes_[next_++ % stripes_.size()];
    std::unique_lock<std::mutex> lock(s.mu);
    s.cv.wait(lock, [&] { return s.queue.size() < 2 || !s.status.ok(); });
    if (!s.status.ok()) return s.status;
    s.queue.push_back(batch);
    s.cv.notify_all();
    return arrow::Status::OK();
  }

  arrow::Status Close() override {
    if (closed_) return result_;
    closed_ = true;
    for (auto& s : stripes_) {
      std::lock_guard<std::mutex> lock(s->mu);
      s->closing = true;
      s->cv.notify_all();
    }
    bool committed = false;
    for (auto& s : stripes_) {
      if (s->thread.joinable()) s->thread.join();
      if (!s->status.ok() && result_.ok()) result_ = s->status;
      committed = committed || s->committed;
    }
    if (result_.ok() && !committed) {
      result_ = arrow::Status::IOError("striped upload: no stripe reported the upload committed");
    }
    return result_;
  }

 private:
  static void Run(Stripe* s) {
    while (true) {
      std::shared_ptr<arrow::RecordBatch> batch;
      {
        std::unique_lock<std::mutex> lock(s->mu);
        s->cv.wait(lock, [&] { return !s->queue.empty() || s->closing; });
        if (s->queue.empty()) break;
        batch = s->queue.front();
        s->queue.pop_front();
        s->cv.notify_all();
      }
      auto st = s->writer->WriteRecordBatch(*batch);
      if (!st.ok()) {
        auto closed = s->writer->Close();
        std::lock_guard<std::mutex> lock(s->mu);
        s->status = closed.ok() ? st : closed;
        s->queue.clear();
        s->cv.notify_all();
        return;
      }
    }
    auto st = s->writer->DoneWriting();
    std::shared_ptr<arrow::Buffer> meta;
    if (st.ok() && s->reader->ReadMetadata(&meta).ok() && meta != nullptr) {
      auto j = nlohmann::json::parse(meta->ToString(), nullptr, false);
      if (j.is_object()) s->committed = j.value("committed", false);
    }
    auto closed = s->writer->Close();
    std::lock_guard<std::mutex> lock(s->mu);
    s->status = closed.ok() ? st : closed;
  }

  std::vector<std::unique_ptr<Stripe>> stripes_;
  size_t next_ = 0;
  bool closed_ = false;
  arrow::Status result_;
};

// Batches of at least this many IPC bytes are sent as they are; smaller ones are gathered up to the limit.
constexpr int64_t kDirectBytes = 1 << 20;

struct TopicWriter::Impl {
  std::shared_ptr<ClientCore> core;
  std::string sequence;
  std::string locator;
  Model model;
  int64_t max_bytes = 0;
  std::unique_ptr<Sink> writer;  // null once closed
  RowBuilder rows{nullptr};
  std::vector<std::shared_ptr<arrow::RecordBatch>> pending;
  int64_t pending_bytes = 0;
  int64_t rows_written = 0, batches_written = 0, bytes_written = 0, dropped = 0;
  std::string last_error;

  arrow::Status Fail(arrow::Status st) {
    if (!st.ok()) last_error = st.ToString();
    return st;
  }

  arrow::Status Send(const std::shared_ptr<arrow::RecordBatch>& batch, int64_t size) {
    auto st = writer->Send(batch);
    if (!st.ok()) {
      writer.reset();
      return Fail(Annotate(st, "upload of topic '" + locator + "'"));
    }
    rows_written += batch->num_rows();
    batches_written += 1;
    bytes_written += size;
    return arrow::Status::OK();
  }

  arrow::Status FlushPending() {
    if (pending.empty()) return arrow::Status::OK();
    std::shared_ptr<arrow::RecordBatch> batch;
    if (pending.size() == 1) {
      batch = pending.front();
    } else {
      ARROW_ASSIGN_OR_RAISE(batch, arrow::ConcatenateRecordBatches(pending));
    }
    const int64_t size = pending_bytes;
    pending.clear();
    pending_bytes = 0;
    return Send(batch, size);
  }

  arrow::Status Queue(std::shared_ptr<arrow::RecordBatch> batch, int64_t size) {
    if (pending_bytes + size > max_bytes) ARROW_RETURN_NOT_OK(FlushPending());
    if (size >= kDirectBytes) {
      // Already a good message: sent as it is (gathering would only copy it), after what was gathered before it.
      ARROW_RETURN_NOT_OK(FlushPending());
      return Send(batch, size);
    }
    pending.push_back(std::move(batch));
    pending_bytes += size;
    if (pending_bytes >= max_bytes) return FlushPending();
    return arrow::Status::OK();
  }

  arrow::Status Drop(int64_t size) {
    dropped += 1;
    last_error = "Record dropped for topic '" + locator + "': its size alone (" + std::to_string(size) +
                 " bytes) exceeds the transport's message-size limit (" + std::to_string(max_bytes) +
                 " bytes) and it cannot be split further.";
    // Reported as the SDK does; a failure to report is not the upload's failure.
    (void)core->Action("topic_notification_create",
                       {{"locator", locator}, {"notification_type", "error"}, {"msg", last_error}});
    return arrow::Status::OK();
  }

  arrow::Status SplitAndQueue(const std::shared_ptr<arrow::RecordBatch>& batch) {
    if (batch->num_rows() == 0) return arrow::Status::OK();
    int64_t size = 0;
    ARROW_RETURN_NOT_OK(arrow::ipc::GetRecordBatchSize(*batch, &size));
    if (size <= max_bytes) return Queue(batch, size);
    if (batch->num_rows() == 1) return Drop(size);
    const int64_t half = batch->num_rows() / 2;
    ARROW_RETURN_NOT_OK(SplitAndQueue(batch->Slice(0, half)));
    return SplitAndQueue(batch->Slice(half));
  }

  arrow::Status FlushRows() {
    if (rows.num_rows() == 0) return arrow::Status::OK();
    ARROW_ASSIGN_OR_RAISE(auto batch, rows.Flush());
    return SplitAndQueue(batch);
  }

  arrow::Status CheckOpen() const {
    if (writer == nullptr) {
      return arrow::Status::Invalid("topic '", locator, "': the writer is closed",
                                    last_error.empty() ? "" : " (" + last_error + ")");
    }
    return arrow::Status::OK();
  }
};

TopicWriter::TopicWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TopicWriter::~TopicWriter() {
  if (impl_ && impl_->writer) (void)Close(/*flush=*/false);
}

const std::string& TopicWriter::locator() const { return impl_->locator; }
const Model& TopicWriter::model() const { return impl_->model; }
bool TopicWriter::is_open() const { return impl_->writer != nullptr; }
int64_t TopicWriter::rows_written() const { return impl_->rows_written; }
int64_t TopicWriter::batches_written() const { return impl_->batches_written; }
int64_t TopicWriter::bytes_written() const { return impl_->bytes_written; }
int64_t TopicWriter::dropped_records() const { return impl_->dropped; }
const std::string& TopicWriter::last_error() const { return impl_->last_error; }
RowBuilder& TopicWriter::rows() { return impl_->rows; }

arrow::Status TopicWriter::Write(const std::shared_ptr<arrow::RecordBatch>& batch) {
  ARROW_RETURN_NOT_OK(impl_->CheckOpen());
  if (batch == nullptr) return arrow::Status::Invalid("topic '", impl_->locator, "': null batch");
  const auto& want = *impl_->model.schema;
  const auto& got = *batch->schema();
  if (got.num_fields() != want.num_fields()) {
    return impl_->Fail(arrow::Status::Invalid("topic '", impl_->locator, "': schema mismatch: the batch has ",
                                              got.num_fields(), " fields, the topic ", want.num_fields(), " (",
                                              want.ToString(), ")"));
  }
  for (int i = 0; i < want.num_fields(); ++i) {
    const auto& w = want.field(i);
    const auto& g = got.field(i);
    if (w->name() != g->name() || !w->type()->Equals(*g->type(), /*check_metadata=*/false)) {
      return impl_->Fail(arrow::Status::Invalid("topic '", impl_->locator, "': schema mismatch at field ", i,
                                                ": expected '", w->name(), "' ", w->type()->ToString(), ", got '",
                                                g->name(), "' ", g->type()->ToString()));
    }
  }
  // The stream's schema (with the model's field metadata) for every batch sent.
  auto rebound = arrow::RecordBatch::Make(impl_->model.schema, batch->num_rows(), batch->columns());
  return impl_->Fail(impl_->SplitAndQueue(rebound));
}

arrow::Status TopicWriter::AppendRow(int64_t timestamp_ns) {
  ARROW_RETURN_NOT_OK(impl_->CheckOpen());
  ARROW_RETURN_NOT_OK(impl_->rows.Append(timestamp_ns));
  if (impl_->rows.estimated_bytes() >= impl_->max_bytes) return impl_->Fail(impl_->FlushRows());
  return arrow::Status::OK();
}

arrow::Status TopicWriter::Flush() {
  ARROW_RETURN_NOT_OK(impl_->CheckOpen());
  ARROW_RETURN_NOT_OK(impl_->Fail(impl_->FlushRows()));
  return impl_->Fail(impl_->FlushPending());
}

arrow::Status TopicWriter::Close(bool flush) {
  if (impl_->writer == nullptr) return arrow::Status::OK();
  arrow::Status st;
  if (flush) {
    st = impl_->FlushRows();
    if (st.ok()) st = impl_->FlushPending();
    if (impl_->writer == nullptr) return impl_->Fail(st);  // the stream broke while flushing
  }
  auto closed = impl_->writer->Close();
  impl_->writer.reset();
  if (st.ok() && !closed.ok()) st = Annotate(closed, "upload of topic '" + impl_->locator + "'");
  return impl_->Fail(st);
}

arrow::Status TopicWriter::Finalize() { return Close(/*flush=*/true); }

// -- SessionWriter -------------------------------------------------------------------------------------------------

struct SessionWriter::Impl {
  std::shared_ptr<ClientCore> core;
  std::string sequence;
  std::string uuid;
  std::string locator;
  WriterOptions options;
  std::vector<std::pair<std::string, std::unique_ptr<TopicWriter>>> topics;
  bool finished = false;

  int64_t MaxBytes() const {
    if (options.max_batch_bytes > 0) return options.max_batch_bytes;
    int64_t limit = core->server_info().max_decode_message_size;
    if (limit <= 0) limit = 4 << 20;
    return static_cast<int64_t>(static_cast<double>(limit) * 0.9);
  }
};

SessionWriter::SessionWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SessionWriter::~SessionWriter() {
  if (impl_ && !impl_->finished) (void)Abort("SessionWriter destroyed before Finalize");
}

const std::string& SessionWriter::sequence_name() const { return impl_->sequence; }
const std::string& SessionWriter::session_locator() const { return impl_->locator; }
bool SessionWriter::finished() const { return impl_->finished; }

TopicWriter* SessionWriter::topic(const std::string& topic) const {
  const std::string name = NormalizeTopic(topic);
  for (const auto& [n, w] : impl_->topics) {
    if (n == name) return w.get();
  }
  return nullptr;
}

arrow::Result<TopicWriter*> SessionWriter::CreateTopic(const std::string& topic, const Model& model,
                                                       const nlohmann::json& user_metadata) {
  if (impl_->finished) {
    return arrow::Status::Invalid("session '", impl_->locator, "' is finished: no new topic '", topic, "'");
  }
  const std::string name = NormalizeTopic(topic);
  if (name.empty()) return arrow::Status::Invalid("topic name '", topic, "' is empty");
  if (this->topic(name) != nullptr) {
    return arrow::Status::AlreadyExists("topic '", name, "' was already created in session '", impl_->locator, "'");
  }
  if (model.schema == nullptr) return arrow::Status::Invalid("topic '", name, "': the model has no schema");
  if (!user_metadata.is_object() && !user_metadata.is_null()) {
    return arrow::Status::Invalid("topic '", name, "': user_metadata must be an object");
  }
  const std::string locator = impl_->sequence + "/" + name;
  nlohmann::json body = {{"session_uuid", impl_->uuid},
                         {"locator", locator},
                         {"serialization_format", model.serialization_format},
                         {"ontology_tag", model.ontology_tag},
                         {"user_metadata", user_metadata.is_null() ? nlohmann::json::object() : user_metadata}};
  ARROW_ASSIGN_OR_RAISE(auto reply, impl_->core->Action("topic_create", body));
  if (!reply.is_object() || !reply.contains("uuid") || !reply["uuid"].is_string()) {
    return arrow::Status::Invalid("topic_create '", locator, "': no uuid in the reply ", reply.dump());
  }
  const std::string token = reply["uuid"].get<std::string>();
  std::unique_ptr<Sink> sink;
  const int stripes = std::max(1, impl_->options.stripes);
  if (stripes == 1) {
    const nlohmann::json cmd = {{"resource_locator", locator}, {"topic_uuid", token}};
    auto put = impl_->core->flight().DoPut(impl_->core->CallOptions(), fl::FlightDescriptor::Command(cmd.dump()),
                                           model.schema);
    if (!put.ok()) {
      (void)impl_->core->Action("topic_delete", {{"locator", locator}});  // as the SDK does
      return Annotate(put.status(), "open the upload of topic '" + locator + "'");
    }
    sink = std::make_unique<SingleSink>(std::move(put->writer), std::move(put->reader));
  } else {
    std::vector<std::unique_ptr<StripedSink::Stripe>> parts;
    for (int i = 0; i < stripes; ++i) {
      auto part = std::make_unique<StripedSink::Stripe>();
      auto client = impl_->core->Reconnect();
      arrow::Status st = client.status();
      if (client.ok()) {
        part->client = std::move(client).ValueOrDie();
        const nlohmann::json cmd = {
            {"resource_locator", locator}, {"topic_uuid", token}, {"stripes", stripes}, {"stripe", i}};
        auto put = part->client->DoPut(impl_->core->CallOptions(), fl::FlightDescriptor::Command(cmd.dump()),
                                       model.schema);
        st = put.status();
        if (put.ok()) {
          part->writer = std::move(put->writer);
          part->reader = std::move(put->reader);
        }
      }
      if (!st.ok()) {
        for (auto& p : parts) (void)p->writer->Close();
        (void)impl_->core->Action("topic_delete", {{"locator", locator}});
        return Annotate(st, "open stripe " + std::to_string(i) + " of the upload of topic '" + locator + "'");
      }
      parts.push_back(std::move(part));
    }
    sink = std::make_unique<StripedSink>(std::move(parts));
  }
  auto timpl = std::make_unique<TopicWriter::Impl>();
  timpl->core = impl_->core;
  timpl->sequence = impl_->sequence;
  timpl->locator = locator;
  timpl->model = model;
  timpl->max_bytes = impl_->MaxBytes();
  timpl->writer = std::move(sink);
  timpl->rows = RowBuilder(model.schema);
  std::unique_ptr<TopicWriter> writer(new TopicWriter(std::move(timpl)));
  TopicWriter* raw = writer.get();
  impl_->topics.emplace_back(name, std::move(writer));
  return raw;
}

arrow::Status SessionWriter::Finalize() {
  if (impl_->finished) return arrow::Status::Invalid("session '", impl_->locator, "' is already finished");
  arrow::Status first;
  for (auto& [name, w] : impl_->topics) {
    auto st = w->Close(/*flush=*/true);
    if (!st.ok() && first.ok()) first = st;
  }
  if (first.ok()) {
    auto fin = impl_->core->Action("session_finalize", {{"session_uuid", impl_->uuid}});
    if (fin.ok()) {
      impl_->finished = true;
      return arrow::Status::OK();
    }
    first = fin.status();
  }
  (void)Abort(first.message());
  return first;
}

arrow::Status SessionWriter::Abort(const std::string& reason) {
  if (impl_->finished) return arrow::Status::OK();
  impl_->finished = true;
  for (auto& [name, w] : impl_->topics) (void)w->Close(/*flush=*/false);
  if (impl_->options.on_error == ErrorPolicy::kDelete) {
    return impl_->core->Action("session_delete", {{"locator", impl_->locator}}).status();
  }
  const std::string msg = "Session " + impl_->locator + " of sequence '" + impl_->sequence +
                          "' aborted by the C++ client.\nInner err: '" + reason + "'";
  auto reported = impl_->core->Action(
      "sequence_notification_create", {{"locator", impl_->sequence}, {"notification_type", "error"}, {"msg", msg}});
  auto fin = impl_->core->Action("session_finalize", {{"session_uuid", impl_->uuid}});
  if (!reported.ok()) return reported.status();
  return fin.status();
}

// -- Client (writing) ------------------------------------------------------------------------------------------------

arrow::Result<std::unique_ptr<SessionWriter>> Client::CreateSession(const std::string& sequence,
                                                                   WriterOptions options) {
  const std::string name = NormalizeTopic(sequence);
  ARROW_ASSIGN_OR_RAISE(auto reply, core_->Action("session_create", {{"locator", name}}));
  if (!reply.is_object() || !reply.contains("uuid") || !reply.contains("locator")) {
    return arrow::Status::Invalid("session_create '", name, "': unexpected reply ", reply.dump());
  }
  auto impl = std::make_unique<SessionWriter::Impl>();
  impl->core = core_;
  impl->sequence = name;
  impl->uuid = reply["uuid"].get<std::string>();
  impl->locator = reply["locator"].get<std::string>();
  impl->options = options;
  return std::unique_ptr<SessionWriter>(new SessionWriter(std::move(impl)));
}

arrow::Result<std::unique_ptr<SessionWriter>> Client::CreateSequence(const std::string& name,
                                                                    const nlohmann::json& user_metadata,
                                                                    WriterOptions options) {
  if (!user_metadata.is_object() && !user_metadata.is_null()) {
    return arrow::Status::Invalid("sequence '", name, "': user_metadata must be a JSON object");
  }
  const auto md = user_metadata.is_null() ? nlohmann::json::object() : user_metadata;
  ARROW_RETURN_NOT_OK(core_->Action("sequence_create", {{"locator", NormalizeTopic(name)}, {"user_metadata", md}}).status());
  return CreateSession(name, options);
}

}  // namespace mosaico::client
