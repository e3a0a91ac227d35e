// TopicUpload: one DoPut stream = one upload of one topic, from the stream's schema to the committed chunks.
//
//   ARROW_ASSIGN_OR_RAISE(auto upload, TopicUpload::Begin(catalog, store, topic, reader_schema, options));
//   while (next batch) ARROW_RETURN_NOT_OK(upload->Write(batch));
//   ARROW_RETURN_NOT_OK(upload->Commit());        // any early return destroys `upload`, which aborts it
//
// Contract:
//  - Begin refuses a locked topic or one that already has committed data (FailedPrecondition), validates the
//    stream schema (ValidateTopicSchema), then either checks it against the topic's snapshot (CheckSameSchema,
//    INVALID_ARGUMENT naming the first differing field) or, on the topic's first stream, freezes it: the snapshot
//    is written to the store (layout::TopicSchema) FIRST, then recorded with Catalog::SetTopicSchema.
//  - Write checks every batch: same schema as the stream (INVALID_ARGUMENT naming the first differing field),
//    no null timestamp_ns (INVALID_ARGUMENT); zero-row batches are ignored. Rows may come in any time order:
//    each chunk is sorted by timestamp_ns. A rejected batch leaves the upload usable; a store failure aborts it.
//  - Commit flushes the last chunk, writes upload.json (layout::UploadManifest) to the store, then records the
//    chunks with Catalog::CommitTopicData — store first, catalog second. Just before that it re-reads the topic
//    (Catalog::GetTopic) and fails with FailedPrecondition if another stream froze a different schema meanwhile
//    (possible only across daemons sharing a catalog). If any step fails, every object of the
//    upload is deleted and the error returned (the catalog's own error when the catalog refuses) -- except when
//    the catalog refuses because a recovery (`check --repair`) already committed this very upload from its
//    upload.json: that counts as success. An upload with zero rows commits zero chunks.
//  - Abort deletes every object of the upload, upload.json first (a crash part-way never leaves a commit marker
//    listing deleted chunks); the destructor aborts when neither Commit nor Abort ran.
//    The schema snapshot stays: it belongs to the topic, not to the upload.
//  - Memory: without a budget, two chunks (ChunkWriterOptions::target_chunk_bytes; chunk_writer.h); with
//    ChunkWriterOptions::memory_budget every batch is reserved before it is buffered, so Write may wait for
//    memory (memory_budget.h) and fails with the wait's status (Aborted when cancelled, Unavailable past its
//    time limit), aborting the upload. Not thread-safe: one per stream.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/status.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/ingest/chunk_writer.h"
#include "mosaico/store/object_store.h"

namespace mosaico::ingest {

class TopicUpload {
 public:
  static arrow::Result<std::unique_ptr<TopicUpload>> Begin(std::shared_ptr<catalog::Catalog> catalog,
                                                           std::shared_ptr<store::ObjectStore> store,
                                                           const catalog::TopicRecord& topic,
                                                           std::shared_ptr<arrow::Schema> stream_schema,
                                                           ChunkWriterOptions options = {});
  ~TopicUpload();

  TopicUpload(const TopicUpload&) = delete;
  TopicUpload& operator=(const TopicUpload&) = delete;

  arrow::Status Write(const std::shared_ptr<arrow::RecordBatch>& batch);
  arrow::Status Commit();
  void Abort();

  const std::string& upload_id() const { return upload_id_; }
  // "<sequence>/<topic>", as used in error messages.
  const std::string& topic_locator() const { return locator_; }
  int64_t rows_written() const { return rows_written_; }
  // Chunks flushed to the store so far (all of them after Commit).
  int64_t chunks_written() const;
  // Chunk records as committed (ids as assigned by the catalog are not known here: 0). Empty before Commit.
  const std::vector<catalog::ChunkRecord>& committed_chunks() const { return committed_; }

 private:
  enum class State { kOpen, kCommitted, kAborted };

  TopicUpload(std::shared_ptr<catalog::Catalog> catalog, std::shared_ptr<store::ObjectStore> store,
              catalog::TopicRecord topic, std::shared_ptr<arrow::Schema> schema, std::string schema_ipc,
              std::string upload_id, ChunkWriterOptions options);

  arrow::Status CheckOpen() const;
  // Commit steps after the chunk writer finished; any failure is cleaned up by Commit().
  arrow::Status Publish(std::vector<catalog::ChunkRecord> chunks);

  std::shared_ptr<catalog::Catalog> catalog_;
  std::shared_ptr<store::ObjectStore> store_;
  catalog::TopicRecord topic_;
  std::shared_ptr<arrow::Schema> schema_;
  std::string schema_ipc_;
  std::string upload_id_;
  std::string locator_;
  int ts_index_;
  ChunkWriter writer_;
  State state_ = State::kOpen;
  int64_t rows_written_ = 0;
  std::vector<catalog::ChunkRecord> committed_;
};

}  // namespace mosaico::ingest
