// The steps every upload of a topic shares, whether it arrives over one DoPut stream (topic_upload.h) or over
// several (striped_upload.h). Contracts as in topic_upload.h:
//  - OpenTopicSchema: refuses a locked topic or one with committed data (FailedPrecondition), validates the stream
//    schema (ValidateTopicSchema), then checks it against the topic's snapshot (INVALID_ARGUMENT naming the first
//    differing field) or, on the topic's first upload, freezes it: snapshot written to the store FIRST
//    (layout::TopicSchema), then recorded with Catalog::SetTopicSchema. Returns the snapshot (Arrow IPC).
//  - CheckUploadBatch: the batch has the upload's schema (INVALID_ARGUMENT naming the first differing field) and no
//    null timestamp_ns (INVALID_ARGUMENT).
//  - PublishUpload: upload.json (layout::UploadManifest) to the store, then Catalog::CommitTopicData -- store
//    first, catalog second; refuses (FailedPrecondition) when another upload froze a different schema meanwhile;
//    a catalog refusal because a recovery already committed this very upload from its upload.json is success.
//    Sets topic_id on `chunks`. Deletes nothing on failure: the caller aborts its upload.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/status.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/store/object_store.h"

namespace mosaico::ingest {

// "<sequence>/<topic>", as used in error messages.
std::string UploadLocator(const catalog::TopicRecord& topic);

arrow::Result<std::string> OpenTopicSchema(catalog::Catalog& catalog, store::ObjectStore& store,
                                           const catalog::TopicRecord& topic, const arrow::Schema* stream_schema);

arrow::Status CheckUploadBatch(const arrow::Schema& schema, int ts_index, const arrow::RecordBatch& batch,
                               const std::string& locator);

struct UploadCommit {
  const catalog::TopicRecord* topic = nullptr;
  const arrow::Schema* schema = nullptr;
  std::string schema_ipc;
  std::string upload_id;
  int64_t row_count = 0;
};
arrow::Status PublishUpload(catalog::Catalog& catalog, store::ObjectStore& store, const UploadCommit& upload,
                            std::vector<catalog::ChunkRecord>* chunks);

}  // namespace mosaico::ingest
