// StripedUpload: one topic's upload arriving over several DoPut streams (stripes), committed once, atomically,
// when every declared stripe has closed cleanly (docs/PROTOCOL_NOTES.md, "Striped uploads").
//
//   ARROW_ASSIGN_OR_RAISE(auto upload, StripedUpload::Begin(catalog, store, topic, schema, stripes, slot));
//   ARROW_ASSIGN_OR_RAISE(auto stripe, upload->OpenStripe(index, stripes, schema, options));   // each stream
//   while (next batch) ARROW_RETURN_NOT_OK(stripe->Write(batch));
//   ARROW_ASSIGN_OR_RAISE(auto outcome, stripe->Close());   // outcome.committed: this close committed the upload
//
// Contract:
//  - Begin (the first stripe to arrive): OpenTopicSchema (upload_steps.h) with that stripe's schema; one upload id
//    for every stripe. `slot` (the topic's open-stream slot, opaque here) is kept until the upload has ended
//    (committed or aborted) and no stripe stream is left.
//  - OpenStripe: StripeLedger::Open's rules, then the stream schema must equal the upload's (INVALID_ARGUMENT naming
//    the first differing field). A refusal changes nothing. Each stripe writes its own chunks (its own ChunkWriter,
//    so every per-stream memory bound holds per stripe) into the upload's directory, chunk indices from
//    StripeLedger::FirstChunkIndex(index).
//  - Stripe::Write: ABORTED (naming the cause) once the upload was aborted; CheckUploadBatch; any failure aborts
//    the whole upload. Stripe::Close flushes the stripe's chunks (durable when it returns); the close that
//    completes the set publishes (PublishUpload: ONE upload.json listing every stripe's chunks, then the catalog)
//    and reports committed = true; a failure aborts the whole upload and is returned. A Stripe destroyed while
//    open (stream error, cancel, shutdown) aborts the upload with Fail's reason or "stream ended".
//  - Abort (a stripe failing, or the registry's idle limit, striped_uploads.h): the first reason is kept;
//    upload.json (if written) and then every object of the upload directory are deleted; stripes still streaming
//    fail at their next Write/Close and delete again what they wrote meanwhile. Nothing is ever half-committed:
//    the catalog hears of the upload only in the last close, from a complete upload.json.
//  - Thread-safe: stripes run on their own threads; a mutex guards the ledger (never held over store I/O, except
//    for the last close's publish, when no other stripe can act).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/status.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/ingest/chunk_writer.h"
#include "mosaico/ingest/stripe_ledger.h"
#include "mosaico/store/object_store.h"

namespace mosaico::ingest {

struct StripeOutcome {
  bool committed = false;        // this close committed the upload
  std::vector<int> waiting_for;  // stripes not closed yet (empty once committed)
  int64_t rows = 0;              // rows of this stripe
  int64_t chunks = 0;            // chunks of this stripe
};

class StripedUpload;

class Stripe {
 public:
  ~Stripe();
  Stripe(const Stripe&) = delete;
  Stripe& operator=(const Stripe&) = delete;

  arrow::Status Write(const std::shared_ptr<arrow::RecordBatch>& batch);
  arrow::Result<StripeOutcome> Close();
  // Ends this stripe with `reason`, aborting the whole upload. No-op after Close or Fail.
  void Fail(const arrow::Status& reason);
  int index() const { return index_; }

 private:
  friend class StripedUpload;
  Stripe(std::shared_ptr<StripedUpload> upload, int index, std::shared_ptr<arrow::Schema> schema,
         ChunkWriterOptions options);

  std::shared_ptr<StripedUpload> upload_;
  int index_;
  std::shared_ptr<arrow::Schema> schema_;  // the stream's (equal to the upload's): its batches carry this object
  ChunkWriter writer_;
  int64_t rows_ = 0;
  bool ended_ = false;
};

class StripedUpload : public std::enable_shared_from_this<StripedUpload> {
 public:
  using Clock = std::chrono::steady_clock;

  static arrow::Result<std::shared_ptr<StripedUpload>> Begin(std::shared_ptr<catalog::Catalog> catalog,
                                                             std::shared_ptr<store::ObjectStore> store,
                                                             const catalog::TopicRecord& topic,
                                                             std::shared_ptr<arrow::Schema> stream_schema, int stripes,
                                                             std::shared_ptr<void> slot);

  arrow::Result<std::unique_ptr<Stripe>> OpenStripe(int index, int stripes,
                                                    const std::shared_ptr<arrow::Schema>& stream_schema,
                                                    ChunkWriterOptions options);
  void Abort(const arrow::Status& reason);
  // Aborts the upload if it is still waiting for stripes and none is streaming; true if it did.
  bool AbandonIfIdle(const arrow::Status& reason);

  // Committed or aborted: a new stripe of this topic starts a new upload.
  bool ended() const;
  // Still waiting for stripes, none streaming, and no stripe opened/closed for `limit`.
  bool IdleFor(Clock::duration limit, Clock::time_point now = Clock::now()) const;
  std::vector<int> waiting_for() const;
  const catalog::TopicRecord& topic() const { return topic_; }
  const std::string& upload_id() const { return upload_id_; }
  const std::string& locator() const { return locator_; }
  int stripes() const { return stripes_; }

  StripedUpload(std::shared_ptr<catalog::Catalog> catalog, std::shared_ptr<store::ObjectStore> store,
                catalog::TopicRecord topic, std::shared_ptr<arrow::Schema> schema, std::string schema_ipc,
                int stripes, std::shared_ptr<void> slot);  // use Begin

 private:
  friend class Stripe;

  arrow::Status CheckAlive() const;                        // ABORTED once aborted
  arrow::Result<StripeOutcome> CloseStripe(int index, std::vector<catalog::ChunkRecord> chunks, int64_t rows);
  void StripeEnded(int index, const arrow::Status& reason);  // a stripe failed or vanished: abort the upload
  void DeleteObjects();
  void ReleaseSlotIfDoneLocked();

  std::shared_ptr<catalog::Catalog> catalog_;
  std::shared_ptr<store::ObjectStore> store_;
  catalog::TopicRecord topic_;
  std::shared_ptr<arrow::Schema> schema_;
  std::string schema_ipc_;
  std::string upload_id_;
  std::string locator_;
  int ts_index_;
  int stripes_;

  mutable std::mutex mu_;
  StripeLedger ledger_;
  std::shared_ptr<void> slot_;
  Clock::time_point last_activity_;
  std::atomic<bool> aborted_{false};
};

}  // namespace mosaico::ingest
