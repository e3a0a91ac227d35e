#include "mosaico/ingest/upload_steps.h"

#include <arrow/api.h>

#include "mosaico/core/crash_point.h"
#include "mosaico/core/errors.h"
#include "mosaico/ingest/schema_check.h"
#include "mosaico/ingest/upload_manifest.h"
#include "mosaico/store/layout.h"

namespace mosaico::ingest {

std::string UploadLocator(const catalog::TopicRecord& topic) { return topic.sequence_name + "/" + topic.name; }

arrow::Result<std::string> OpenTopicSchema(catalog::Catalog& catalog, store::ObjectStore& store,
                                           const catalog::TopicRecord& topic, const arrow::Schema* stream_schema) {
  const std::string locator = UploadLocator(topic);
  if (topic.locked) {
    return FailedPrecondition("topic '" + locator + "' is locked: its session is finalized, no more data accepted");
  }
  if (topic.upload_id) {
    return FailedPrecondition("topic '" + locator + "' already has data (upload " + *topic.upload_id +
                              "); a topic accepts a single upload");
  }
  if (!stream_schema) return InvalidArgument("topic '" + locator + "': the stream has no schema");
  ARROW_RETURN_NOT_OK(WithContext(ValidateTopicSchema(*stream_schema), "topic '" + locator + "'"));
  if (topic.schema_ipc) {
    ARROW_ASSIGN_OR_RAISE(auto snapshot, DeserializeSchema(*topic.schema_ipc));
    ARROW_RETURN_NOT_OK(CheckSameSchema(*snapshot, *stream_schema, locator));
    return *topic.schema_ipc;
  }
  // First upload of the topic: freeze its schema, durable in the store before the catalog records it.
  ARROW_ASSIGN_OR_RAISE(std::string schema_ipc, SerializeSchema(*stream_schema));
  ARROW_RETURN_NOT_OK(store.PutAtomic(store::layout::TopicSchema(topic.sequence_name, topic.name), schema_ipc));
  CrashPoint("upload.after_schema");
  ARROW_RETURN_NOT_OK(catalog.SetTopicSchema(topic.id, schema_ipc));
  return schema_ipc;
}

arrow::Status CheckUploadBatch(const arrow::Schema& schema, int ts_index, const arrow::RecordBatch& batch,
                               const std::string& locator) {
  if (batch.schema().get() != &schema) ARROW_RETURN_NOT_OK(CheckSameSchema(schema, *batch.schema(), locator));
  if (batch.num_rows() == 0) return arrow::Status::OK();
  const int64_t null_ts = batch.column(ts_index)->null_count();
  if (null_ts > 0) {
    return InvalidArgument("column '" + std::string(kTimestampField) + "' of topic '" + locator + "' has " +
                           std::to_string(null_ts) + " null value(s) in a batch; every row needs a timestamp");
  }
  return arrow::Status::OK();
}

arrow::Status PublishUpload(catalog::Catalog& catalog, store::ObjectStore& store, const UploadCommit& upload,
                            std::vector<catalog::ChunkRecord>* chunks) {
  const catalog::TopicRecord& topic = *upload.topic;
  const std::string locator = UploadLocator(topic);
  for (auto& c : *chunks) c.topic_id = topic.id;
  UploadManifest manifest;
  manifest.upload_id = upload.upload_id;
  manifest.topic = topic.name;
  manifest.row_count = upload.row_count;
  manifest.chunks = *chunks;
  // Store first: upload.json is the commit marker that makes the chunks rebuildable without the catalog.
  ARROW_RETURN_NOT_OK(store.PutAtomic(store::layout::UploadManifest(topic.sequence_name, topic.name, upload.upload_id),
                                      manifest.Serialize()));
  CrashPoint("upload.after_manifest");
  // Guard against a concurrent first stream that froze a different schema while this one was running.
  ARROW_ASSIGN_OR_RAISE(auto current, catalog.GetTopic(topic.sequence_name, topic.name));
  if (current.schema_ipc && *current.schema_ipc != upload.schema_ipc) {
    ARROW_ASSIGN_OR_RAISE(auto snapshot, DeserializeSchema(*current.schema_ipc));
    if (!CheckSameSchema(*snapshot, *upload.schema, locator).ok()) {
      return FailedPrecondition("the schema of topic '" + locator + "' was set by another upload meanwhile");
    }
  }
  arrow::Status st = catalog.CommitTopicData(topic.id, upload.upload_id, *chunks);
  if (!st.ok()) {
    // A recovery running beside this daemon (`check --repair`) may have committed this very upload from its
    // upload.json meanwhile: that is success, and aborting would delete data the catalog now references.
    auto current_after = catalog.GetTopic(topic.sequence_name, topic.name);
    if (!current_after.ok() || current_after->upload_id != upload.upload_id) return st;
  }
  return arrow::Status::OK();
}

}  // namespace mosaico::ingest
