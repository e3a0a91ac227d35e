#include "mosaico/ingest/topic_upload.h"

#include <arrow/api.h>
#include <spdlog/spdlog.h>

#include "mosaico/core/clock.h"
#include "mosaico/core/errors.h"
#include "mosaico/core/ids.h"
#include "mosaico/ingest/schema_check.h"
#include "mosaico/ingest/upload_steps.h"
#include "mosaico/store/layout.h"

namespace mosaico::ingest {

arrow::Result<std::unique_ptr<TopicUpload>> TopicUpload::Begin(std::shared_ptr<catalog::Catalog> catalog,
                                                               std::shared_ptr<store::ObjectStore> store,
                                                               const catalog::TopicRecord& topic,
                                                               std::shared_ptr<arrow::Schema> stream_schema,
                                                               ChunkWriterOptions options) {
  ARROW_ASSIGN_OR_RAISE(std::string schema_ipc, OpenTopicSchema(*catalog, *store, topic, stream_schema.get()));
  std::string upload_id = NewUlid(NowNs());
  return std::unique_ptr<TopicUpload>(new TopicUpload(std::move(catalog), std::move(store), topic,
                                                      std::move(stream_schema), std::move(schema_ipc),
                                                      std::move(upload_id), options));
}

TopicUpload::TopicUpload(std::shared_ptr<catalog::Catalog> catalog, std::shared_ptr<store::ObjectStore> store,
                         catalog::TopicRecord topic, std::shared_ptr<arrow::Schema> schema, std::string schema_ipc,
                         std::string upload_id, ChunkWriterOptions options)
    : catalog_(std::move(catalog)),
      store_(std::move(store)),
      topic_(std::move(topic)),
      schema_(std::move(schema)),
      schema_ipc_(std::move(schema_ipc)),
      upload_id_(std::move(upload_id)),
      locator_(UploadLocator(topic_)),
      ts_index_(schema_->GetFieldIndex(kTimestampField)),
      writer_(store_, topic_.sequence_name, topic_.name, upload_id_, schema_, options) {}

TopicUpload::~TopicUpload() {
  if (state_ == State::kOpen) Abort();
}

int64_t TopicUpload::chunks_written() const { return static_cast<int64_t>(writer_.chunks().size()); }

arrow::Status TopicUpload::CheckOpen() const {
  switch (state_) {
    case State::kOpen: return arrow::Status::OK();
    case State::kCommitted:
      return FailedPrecondition("upload " + upload_id_ + " of topic '" + locator_ + "' is already committed");
    case State::kAborted:
      return FailedPrecondition("upload " + upload_id_ + " of topic '" + locator_ + "' was aborted");
  }
  return arrow::Status::OK();
}

arrow::Status TopicUpload::Write(const std::shared_ptr<arrow::RecordBatch>& batch) {
  ARROW_RETURN_NOT_OK(CheckOpen());
  ARROW_RETURN_NOT_OK(CheckUploadBatch(*schema_, ts_index_, *batch, locator_));
  if (batch->num_rows() == 0) return arrow::Status::OK();
  arrow::Status st = writer_.Append(batch);
  if (!st.ok()) {
    Abort();
    return WithContext(st, "topic '" + locator_ + "'");
  }
  rows_written_ += batch->num_rows();
  return arrow::Status::OK();
}

arrow::Status TopicUpload::Commit() {
  ARROW_RETURN_NOT_OK(CheckOpen());
  arrow::Status st;
  auto chunks = writer_.Finish();
  if (chunks.ok()) {
    st = Publish(std::move(*chunks));
  } else {
    st = chunks.status();
  }
  if (!st.ok()) {
    Abort();
    return st;
  }
  state_ = State::kCommitted;
  return arrow::Status::OK();
}

arrow::Status TopicUpload::Publish(std::vector<catalog::ChunkRecord> chunks) {
  UploadCommit commit;
  commit.topic = &topic_;
  commit.schema = schema_.get();
  commit.schema_ipc = schema_ipc_;
  commit.upload_id = upload_id_;
  commit.row_count = rows_written_;
  ARROW_RETURN_NOT_OK(PublishUpload(*catalog_, *store_, commit, &chunks));
  committed_ = std::move(chunks);
  return arrow::Status::OK();
}

void TopicUpload::Abort() {
  if (state_ != State::kOpen) return;
  state_ = State::kAborted;
  // The commit marker first: a crash part-way through must never leave an upload.json listing deleted chunks.
  arrow::Status st = store_->Delete(store::layout::UploadManifest(topic_.sequence_name, topic_.name, upload_id_));
  if (st.ok()) st = writer_.Abort();
  if (!st.ok()) {
    spdlog::warn("could not delete the objects of aborted upload {} of topic '{}': {}", upload_id_, locator_,
                 st.ToString());
  }
}

}  // namespace mosaico::ingest
