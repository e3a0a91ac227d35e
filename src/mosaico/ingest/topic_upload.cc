#include "mosaico/ingest/topic_upload.h"

#include <arrow/api.h>
#include <spdlog/spdlog.h>

#include "mosaico/core/clock.h"
#include "mosaico/core/crash_point.h"
#include "mosaico/core/errors.h"
#include "mosaico/core/ids.h"
#include "mosaico/ingest/schema_check.h"
#include "mosaico/ingest/upload_manifest.h"
#include "mosaico/store/layout.h"

namespace mosaico::ingest {
namespace {

std::string Locator(const catalog::TopicRecord& topic) { return topic.sequence_name + "/" + topic.name; }

}  // namespace

arrow::Result<std::unique_ptr<TopicUpload>> TopicUpload::Begin(std::shared_ptr<catalog::Catalog> catalog,
                                                               std::shared_ptr<store::ObjectStore> store,
                                                               const catalog::TopicRecord& topic,
                                                               std::shared_ptr<arrow::Schema> stream_schema,
                                                               ChunkWriterOptions options) {
  const std::string locator = Locator(topic);
  if (topic.locked) {
    return FailedPrecondition("topic '" + locator + "' is locked: its session is finalized, no more data accepted");
  }
  if (topic.upload_id) {
    return FailedPrecondition("topic '" + locator + "' already has data (upload " + *topic.upload_id +
                              "); a topic accepts a single upload");
  }
  if (!stream_schema) return InvalidArgument("topic '" + locator + "': the stream has no schema");
  ARROW_RETURN_NOT_OK(WithContext(ValidateTopicSchema(*stream_schema), "topic '" + locator + "'"));

  std::string schema_ipc;
  if (topic.schema_ipc) {
    ARROW_ASSIGN_OR_RAISE(auto snapshot, DeserializeSchema(*topic.schema_ipc));
    ARROW_RETURN_NOT_OK(CheckSameSchema(*snapshot, *stream_schema, locator));
    schema_ipc = *topic.schema_ipc;
  } else {
    // First stream of the topic: freeze its schema, durable in the store before the catalog records it.
    ARROW_ASSIGN_OR_RAISE(schema_ipc, SerializeSchema(*stream_schema));
    ARROW_RETURN_NOT_OK(store->PutAtomic(store::layout::TopicSchema(topic.sequence_name, topic.name), schema_ipc));
    CrashPoint("upload.after_schema");
    ARROW_RETURN_NOT_OK(catalog->SetTopicSchema(topic.id, schema_ipc));
  }
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
      locator_(Locator(topic_)),
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
  if (batch->schema() != schema_) ARROW_RETURN_NOT_OK(CheckSameSchema(*schema_, *batch->schema(), locator_));
  if (batch->num_rows() == 0) return arrow::Status::OK();
  const int64_t null_ts = batch->column(ts_index_)->null_count();
  if (null_ts > 0) {
    return InvalidArgument("column '" + std::string(kTimestampField) + "' of topic '" + locator_ + "' has " +
                           std::to_string(null_ts) + " null value(s) in a batch; every row needs a timestamp");
  }
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
  for (auto& c : chunks) c.topic_id = topic_.id;
  UploadManifest manifest;
  manifest.upload_id = upload_id_;
  manifest.topic = topic_.name;
  manifest.row_count = rows_written_;
  manifest.chunks = chunks;
  // Store first: upload.json is the commit marker that makes the chunks rebuildable without the catalog.
  ARROW_RETURN_NOT_OK(store_->PutAtomic(store::layout::UploadManifest(topic_.sequence_name, topic_.name, upload_id_),
                                        manifest.Serialize()));
  CrashPoint("upload.after_manifest");
  // Guard against a concurrent first stream that froze a different schema while this one was running.
  ARROW_ASSIGN_OR_RAISE(auto current, catalog_->GetTopic(topic_.sequence_name, topic_.name));
  if (current.schema_ipc && *current.schema_ipc != schema_ipc_) {
    ARROW_ASSIGN_OR_RAISE(auto snapshot, DeserializeSchema(*current.schema_ipc));
    if (!CheckSameSchema(*snapshot, *schema_, locator_).ok()) {
      return FailedPrecondition("the schema of topic '" + locator_ + "' was set by another upload meanwhile");
    }
  }
  arrow::Status st = catalog_->CommitTopicData(topic_.id, upload_id_, chunks);
  if (!st.ok()) {
    // A recovery running beside this daemon (`check --repair`) may have committed this very upload from its
    // upload.json meanwhile: that is success, and aborting would delete data the catalog now references.
    auto current_after = catalog_->GetTopic(topic_.sequence_name, topic_.name);
    if (!current_after.ok() || current_after->upload_id != upload_id_) return st;
  }
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
