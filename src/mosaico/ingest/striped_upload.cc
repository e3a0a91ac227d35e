#include "mosaico/ingest/striped_upload.h"

#include <arrow/api.h>
#include <spdlog/spdlog.h>

#include "mosaico/core/clock.h"
#include "mosaico/core/errors.h"
#include "mosaico/core/ids.h"
#include "mosaico/ingest/schema_check.h"
#include "mosaico/ingest/upload_steps.h"
#include "mosaico/store/layout.h"

namespace mosaico::ingest {
namespace {

std::string Indices(const std::vector<int>& v) {
  std::string out;
  for (int i : v) out += (out.empty() ? "" : ",") + std::to_string(i);
  return out;
}

}  // namespace

// --- Stripe ---

Stripe::Stripe(std::shared_ptr<StripedUpload> upload, int index, std::shared_ptr<arrow::Schema> schema,
               ChunkWriterOptions options)
    : upload_(std::move(upload)),
      index_(index),
      schema_(std::move(schema)),
      writer_(upload_->store_, upload_->topic_.sequence_name, upload_->topic_.name, upload_->upload_id_, schema_,
              options) {}

Stripe::~Stripe() {
  if (!ended_) Fail(Aborted("stripe " + std::to_string(index_) + " ended before its client closed it"));
}

arrow::Status Stripe::Write(const std::shared_ptr<arrow::RecordBatch>& batch) {
  if (ended_) return FailedPrecondition("stripe " + std::to_string(index_) + " has ended");
  arrow::Status st = upload_->CheckAlive();
  if (st.ok()) st = CheckUploadBatch(*schema_, upload_->ts_index_, *batch, upload_->locator_);
  if (st.ok() && batch->num_rows() > 0) {
    st = WithContext(writer_.Append(batch), "topic '" + upload_->locator_ + "'");
    if (st.ok()) rows_ += batch->num_rows();
  }
  if (!st.ok()) Fail(st);
  return st;
}

arrow::Result<StripeOutcome> Stripe::Close() {
  if (ended_) return FailedPrecondition("stripe " + std::to_string(index_) + " has ended");
  arrow::Status st = upload_->CheckAlive();
  if (!st.ok()) {
    Fail(st);
    return st;
  }
  auto chunks = writer_.Finish();
  if (!chunks.ok()) {
    st = WithContext(chunks.status(), "topic '" + upload_->locator_ + "'");
    Fail(st);
    return st;
  }
  ended_ = true;
  const auto written = static_cast<int64_t>(chunks->size());
  auto outcome = upload_->CloseStripe(index_, std::move(*chunks), rows_);
  if (!outcome.ok()) {
    (void)writer_.Abort();  // the upload is aborted: what this stripe wrote after its DeleteObjects goes too
    return outcome.status();
  }
  outcome->chunks = written;
  return outcome;
}

void Stripe::Fail(const arrow::Status& reason) {
  if (ended_) return;
  ended_ = true;
  upload_->StripeEnded(index_, reason);  // marks the upload failed before anything is deleted
  arrow::Status st = writer_.Abort();
  if (!st.ok()) {
    spdlog::warn("could not delete the objects of stripe {} of upload {} of topic '{}': {}", index_,
                 upload_->upload_id_, upload_->locator_, st.ToString());
  }
}

// --- StripedUpload ---

arrow::Result<std::shared_ptr<StripedUpload>> StripedUpload::Begin(std::shared_ptr<catalog::Catalog> catalog,
                                                                   std::shared_ptr<store::ObjectStore> store,
                                                                   const catalog::TopicRecord& topic,
                                                                   std::shared_ptr<arrow::Schema> stream_schema,
                                                                   int stripes, std::shared_ptr<void> slot) {
  ARROW_RETURN_NOT_OK(StripeLedger::ValidateFields(stripes, 0));
  ARROW_ASSIGN_OR_RAISE(std::string schema_ipc, OpenTopicSchema(*catalog, *store, topic, stream_schema.get()));
  auto upload = std::make_shared<StripedUpload>(std::move(catalog), std::move(store), topic, std::move(stream_schema),
                                                std::move(schema_ipc), stripes, std::move(slot));
  spdlog::info("event=striped_upload_opened topic={} upload={} stripes={}", upload->locator_, upload->upload_id_,
               stripes);
  return upload;
}

StripedUpload::StripedUpload(std::shared_ptr<catalog::Catalog> catalog, std::shared_ptr<store::ObjectStore> store,
                             catalog::TopicRecord topic, std::shared_ptr<arrow::Schema> schema, std::string schema_ipc,
                             int stripes, std::shared_ptr<void> slot)
    : catalog_(std::move(catalog)),
      store_(std::move(store)),
      topic_(std::move(topic)),
      schema_(std::move(schema)),
      schema_ipc_(std::move(schema_ipc)),
      upload_id_(NewUlid(NowNs())),
      locator_(UploadLocator(topic_)),
      ts_index_(schema_->GetFieldIndex(kTimestampField)),
      stripes_(stripes),
      ledger_(stripes),
      slot_(std::move(slot)),
      last_activity_(Clock::now()) {}

arrow::Result<std::unique_ptr<Stripe>> StripedUpload::OpenStripe(int index, int stripes,
                                                                 const std::shared_ptr<arrow::Schema>& stream_schema,
                                                                 ChunkWriterOptions options) {
  if (!stream_schema) return InvalidArgument("topic '" + locator_ + "': the stream has no schema");
  if (stream_schema.get() != schema_.get()) {
    ARROW_RETURN_NOT_OK(WithContext(CheckSameSchema(*schema_, *stream_schema, locator_),
                                    "stripe " + std::to_string(index) + " (its schema differs from the first stripe's)"));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ARROW_RETURN_NOT_OK(WithContext(ledger_.Open(index, stripes), "striped upload to '" + locator_ + "'"));
    last_activity_ = Clock::now();
  }
  options.first_chunk_index = StripeLedger::FirstChunkIndex(index);
  options.max_chunks = StripeLedger::kChunkIndexSpan;
  spdlog::debug("event=stripe_opened topic={} upload={} stripe={} stripes={}", locator_, upload_id_, index, stripes);
  return std::unique_ptr<Stripe>(new Stripe(shared_from_this(), index, stream_schema, std::move(options)));
}

arrow::Status StripedUpload::CheckAlive() const {
  if (!aborted_.load(std::memory_order_acquire)) return arrow::Status::OK();
  std::lock_guard<std::mutex> lock(mu_);
  return Aborted("striped upload " + upload_id_ + " of topic '" + locator_ + "' was aborted: " +
                 ledger_.failure().message());
}

arrow::Result<StripeOutcome> StripedUpload::CloseStripe(int index, std::vector<catalog::ChunkRecord> chunks,
                                                        int64_t rows) {
  StripeOutcome outcome;
  outcome.rows = rows;
  std::vector<catalog::ChunkRecord> all;
  int64_t total_rows = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto last = ledger_.Close(index, std::move(chunks), rows);
    last_activity_ = Clock::now();
    if (!last.ok()) {
      ledger_.StreamEnded(index);
      ReleaseSlotIfDoneLocked();
      return Aborted("striped upload " + upload_id_ + " of topic '" + locator_ + "' was aborted: " +
                     ledger_.failure().message());
    }
    if (!*last) {
      outcome.waiting_for = ledger_.waiting_for();
      spdlog::debug("event=stripe_closed topic={} upload={} stripe={} rows={} waiting_for={}", locator_, upload_id_,
                    index, rows, Indices(outcome.waiting_for));
      return outcome;
    }
    all = ledger_.AllChunks();
    total_rows = ledger_.rows();
  }
  // Every stripe closed: none can act any more (state kCommitting), so the publish runs without the mutex.
  UploadCommit commit;
  commit.topic = &topic_;
  commit.schema = schema_.get();
  commit.schema_ipc = schema_ipc_;
  commit.upload_id = upload_id_;
  commit.row_count = total_rows;
  const auto chunk_count = all.size();
  arrow::Status st = PublishUpload(*catalog_, *store_, commit, &all);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (st.ok()) {
      ledger_.Committed();
    } else {
      ledger_.Fail(st);
      aborted_.store(true, std::memory_order_release);
    }
    ReleaseSlotIfDoneLocked();
  }
  if (!st.ok()) {
    spdlog::warn("event=striped_upload_aborted topic={} upload={} reason=\"commit failed: {}\"", locator_, upload_id_,
                 st.ToString());
    DeleteObjects();
    return st;
  }
  spdlog::info("event=striped_upload_committed topic={} upload={} stripes={} rows={} chunks={}", locator_, upload_id_,
               stripes_, total_rows, chunk_count);
  outcome.committed = true;
  return outcome;
}

void StripedUpload::StripeEnded(int index, const arrow::Status& reason) {
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ledger_.StreamEnded(index);
    if (ledger_.state() != StripeLedger::State::kCommitting) {
      first = ledger_.Fail(WithContext(reason, "stripe " + std::to_string(index) + " failed"));
    }
    if (first) aborted_.store(true, std::memory_order_release);
    last_activity_ = Clock::now();
    ReleaseSlotIfDoneLocked();
  }
  if (!first) return;
  spdlog::warn("event=striped_upload_aborted topic={} upload={} stripe={} reason=\"{}\"", locator_, upload_id_, index,
               reason.ToString());
  DeleteObjects();
}

void StripedUpload::Abort(const arrow::Status& reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ledger_.state() == StripeLedger::State::kCommitting || !ledger_.Fail(reason)) return;
    aborted_.store(true, std::memory_order_release);
    ReleaseSlotIfDoneLocked();
  }
  spdlog::warn("event=striped_upload_aborted topic={} upload={} reason=\"{}\"", locator_, upload_id_,
               reason.ToString());
  DeleteObjects();
}

bool StripedUpload::AbandonIfIdle(const arrow::Status& reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ledger_.state() != StripeLedger::State::kOpen || ledger_.open_streams() > 0) return false;
    ledger_.Fail(reason);
    aborted_.store(true, std::memory_order_release);
    ReleaseSlotIfDoneLocked();
  }
  spdlog::warn("event=striped_upload_aborted topic={} upload={} reason=\"{}\"", locator_, upload_id_,
               reason.ToString());
  DeleteObjects();
  return true;
}

void StripedUpload::DeleteObjects() {
  // The commit marker first: a crash part-way through must never leave an upload.json listing deleted chunks.
  arrow::Status st = store_->Delete(store::layout::UploadManifest(topic_.sequence_name, topic_.name, upload_id_));
  if (st.ok()) st = store_->DeletePrefix(store::layout::UploadDir(topic_.sequence_name, topic_.name, upload_id_));
  if (!st.ok()) {
    spdlog::warn("could not delete the objects of aborted striped upload {} of topic '{}': {}", upload_id_, locator_,
                 st.ToString());
  }
}

void StripedUpload::ReleaseSlotIfDoneLocked() {
  const auto state = ledger_.state();
  const bool ended = state == StripeLedger::State::kCommitted || state == StripeLedger::State::kFailed;
  if (ended && ledger_.open_streams() == 0) slot_.reset();
}

bool StripedUpload::ended() const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto state = ledger_.state();
  return state == StripeLedger::State::kCommitted || state == StripeLedger::State::kFailed;
}

bool StripedUpload::IdleFor(Clock::duration limit, Clock::time_point now) const {
  std::lock_guard<std::mutex> lock(mu_);
  return ledger_.state() == StripeLedger::State::kOpen && ledger_.open_streams() == 0 &&
         now - last_activity_ >= limit;
}

std::vector<int> StripedUpload::waiting_for() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ledger_.waiting_for();
}

}  // namespace mosaico::ingest
