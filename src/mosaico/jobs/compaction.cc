#include "mosaico/jobs/compaction.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <arrow/util/byte_size.h>
#include <spdlog/spdlog.h>

#include "mosaico/core/clock.h"
#include "mosaico/core/crash_point.h"
#include "mosaico/core/errors.h"
#include "mosaico/core/ids.h"
#include "mosaico/core/json.h"
#include "mosaico/ingest/schema_check.h"
#include "mosaico/ingest/upload_manifest.h"
#include "mosaico/lifecycle/deletion.h"
#include "mosaico/lifecycle/manifests.h"
#include "mosaico/lifecycle/recovery_marks.h"
#include "mosaico/read/topic_reader.h"
#include "mosaico/store/layout.h"

namespace mosaico::jobs {
namespace {

namespace layout = store::layout;
constexpr int64_t kMsNs = 1000000;

CompactionReport Skip(CompactionReport report, std::string why) {
  report.skipped = std::move(why);
  return report;
}

// A new upload id that sorts after every upload id the topic directory holds (the store's truth is the newest
// committed upload), even if the wall clock stepped back since one of them was minted.
arrow::Result<std::string> NewUploadIdAfterExisting(store::ObjectStore& store, const std::string& sequence,
                                                    const std::string& topic) {
  ARROW_ASSIGN_OR_RAISE(auto keys, store.List(layout::TopicDir(sequence, topic), /*include_temporaries=*/true));
  std::string newest;
  for (const auto& key : keys) {
    const auto ref = layout::ParseKey(key);
    if (!ref.upload_id.empty() && ref.upload_id > newest) newest = ref.upload_id;
  }
  int64_t now = NowNs();
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string id = NewUlid(now);
    if (id > newest) return id;
    // Same millisecond with a larger random part, or a clock behind: mint in the millisecond after the newest.
    if (auto t = UlidTimeNs(newest)) now = std::max(now, *t + kMsNs);
  }
  return arrow::Status::IOError("cannot mint an upload id after '", newest, "'");
}

// Removes an upload that was not (or is no longer) swapped in: upload.json first, so a crash part-way never
// leaves a commit marker listing deleted chunks.
void DeleteUpload(store::ObjectStore& store, const std::string& sequence, const std::string& topic,
                  const std::string& upload_id) {
  auto st = store.Delete(layout::UploadManifest(sequence, topic, upload_id));
  if (st.ok()) st = store.DeletePrefix(layout::UploadDir(sequence, topic, upload_id));
  if (!st.ok()) {
    spdlog::warn("event=compaction_cleanup_failed topic={}/{} upload={} status=\"{}\"", sequence, topic, upload_id,
                 st.ToString());
  }
}

// Whether a deletion of the topic (or of its session or sequence) is under way: a tombstone naming the current
// incarnation (lifecycle/deletion.h). A stale tombstone of an earlier incarnation does not count.
arrow::Result<bool> BeingDeleted(catalog::Catalog& catalog, store::ObjectStore& store,
                                 const catalog::TopicRecord& topic) {
  const std::string& seq = topic.sequence_name;
  const std::string keys[] = {layout::SequenceTombstone(seq), layout::SessionTombstone(seq, topic.session_key),
                              layout::TopicTombstone(seq, topic.name)};
  for (int i = 0; i < 3; ++i) {
    ARROW_ASSIGN_OR_RAISE(bool exists, store.Exists(keys[i]));
    if (!exists) continue;
    auto text = store.Get(keys[i]);
    if (!text.ok()) {
      if (text.status().IsKeyError()) continue;  // removed meanwhile (the deletion finished)
      return text.status();
    }
    ARROW_ASSIGN_OR_RAISE(auto tombstone, lifecycle::ParseTombstone((*text)->ToString()));
    lifecycle::TombstoneState state;
    if (i == 0) {
      ARROW_ASSIGN_OR_RAISE(state, lifecycle::JudgeSequenceTombstone(catalog, seq, tombstone));
    } else if (i == 1) {
      ARROW_ASSIGN_OR_RAISE(state, lifecycle::JudgeSessionTombstone(catalog, seq, topic.session_key, tombstone));
    } else {
      ARROW_ASSIGN_OR_RAISE(state, lifecycle::JudgeTopicTombstone(catalog, seq, topic.name, tombstone));
    }
    if (state != lifecycle::TombstoneState::kStale) return true;
  }
  return false;
}

// Batches well below the chunk size, so rewritten chunks end close to it (a chunk is its target plus at most one
// batch).
read::ReadOptions RewriteReadOptions(const CompactionOptions& options) {
  read::ReadOptions read_options = options.read;
  read_options.max_batch_bytes =
      std::min(read_options.max_batch_bytes, std::max<int64_t>(options.writer.target_chunk_bytes / 8, 1));
  return read_options;
}

// How many chunks the rewrite would make. The catalog knows Parquet sizes (compressed) while the writer rolls
// chunks at Arrow bytes, so one small chunk is decoded to learn the topic's Arrow/Parquet ratio (counted the way
// the writer counts: batch by batch). Far cheaper than a rewrite that turns out not to reduce anything.
arrow::Result<int64_t> EstimateChunksAfter(const std::shared_ptr<store::ObjectStore>& store,
                                           const std::shared_ptr<arrow::Schema>& schema,
                                           const std::vector<catalog::ChunkRecord>& chunks, int64_t bytes_before,
                                           const CompactionOptions& options) {
  const catalog::ChunkRecord* sample = nullptr;  // the largest small chunk with data
  for (const auto& c : chunks) {
    if (c.size_bytes < options.min_chunk_bytes && c.size_bytes > 0 && c.row_count > 0 &&
        (!sample || c.size_bytes > sample->size_bytes)) {
      sample = &c;
    }
  }
  if (!sample || options.writer.target_chunk_bytes <= 0) return static_cast<int64_t>(chunks.size());
  ARROW_ASSIGN_OR_RAISE(auto reader,
                        read::OpenTopicReader(store, schema, {*sample}, TimeWindow{}, RewriteReadOptions(options)));
  int64_t arrow_bytes = 0;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    ARROW_RETURN_NOT_OK(reader->ReadNext(&batch));
    if (!batch) break;
    arrow_bytes += arrow::util::TotalBufferSize(*batch);
  }
  const double ratio = static_cast<double>(arrow_bytes) / static_cast<double>(sample->size_bytes);
  const double total = ratio * static_cast<double>(bytes_before);
  const double target = static_cast<double>(options.writer.target_chunk_bytes);
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(total / target)));
}

// Reads every row of the topic in timestamp order and writes it as upload `upload_id`. Returns the new chunks;
// on failure the objects written so far are deleted.
arrow::Result<std::vector<catalog::ChunkRecord>> Rewrite(const std::shared_ptr<store::ObjectStore>& store,
                                                         const catalog::TopicRecord& topic,
                                                         const std::shared_ptr<arrow::Schema>& schema,
                                                         std::vector<catalog::ChunkRecord> chunks,
                                                         const std::string& upload_id,
                                                         const CompactionOptions& options, int64_t* rows) {
  ARROW_ASSIGN_OR_RAISE(auto reader, read::OpenTopicReader(store, schema, std::move(chunks), TimeWindow{},
                                                           RewriteReadOptions(options)));
  ingest::ChunkWriter writer(store, topic.sequence_name, topic.name, upload_id, schema, options.writer);
  auto copy = [&]() -> arrow::Result<std::vector<catalog::ChunkRecord>> {
    while (true) {
      std::shared_ptr<arrow::RecordBatch> batch;
      ARROW_RETURN_NOT_OK(reader->ReadNext(&batch));
      if (!batch) break;
      if (options.cancelled && options.cancelled()) {
        return arrow::Status::Cancelled("compaction of '", topic.sequence_name, "/", topic.name, "' interrupted");
      }
      *rows += batch->num_rows();
      ARROW_RETURN_NOT_OK(writer.Append(batch));
    }
    return writer.Finish();
  };
  auto written = copy();
  if (!written.ok()) {
    (void)writer.Abort();
    DeleteUpload(*store, topic.sequence_name, topic.name, upload_id);
  }
  return written;
}

}  // namespace

std::string DeleteUploadPayload(const std::string& sequence, const std::string& topic, const std::string& upload_id) {
  OrderedJson j;
  j["sequence"] = sequence;
  j["topic"] = topic;
  j["upload_id"] = upload_id;
  return j.dump();
}

std::string DeleteUploadDedupKey(const std::string& sequence, const std::string& topic, const std::string& upload_id) {
  return std::string(kDeleteUploadJob) + ":" + sequence + "/" + topic + "/" + upload_id;
}

arrow::Result<CompactionReport> CompactTopic(catalog::Catalog& catalog, std::shared_ptr<store::ObjectStore> store,
                                             const std::string& sequence, const std::string& topic_name,
                                             const CompactionOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  CompactionReport report;
  report.sequence = sequence;
  report.topic = topic_name;
  if (options.min_chunk_bytes <= 0) return Skip(report, "compaction disabled");

  // 1. Is there anything to do?
  auto found = catalog.GetTopic(sequence, topic_name);
  if (!found.ok()) {
    if (found.status().IsKeyError()) return Skip(report, "topic gone");
    return found.status();
  }
  const catalog::TopicRecord topic = *found;
  if (!topic.locked) return Skip(report, "not finalized");
  if (!topic.upload_id || !topic.schema_ipc) return Skip(report, "no committed data");
  report.old_upload_id = *topic.upload_id;
  ARROW_ASSIGN_OR_RAISE(auto chunks, catalog.ListChunks(topic.id, /*with_stats=*/false));
  int64_t expected_rows = 0;
  for (const auto& c : chunks) {
    ++report.chunks_before;
    report.bytes_before += c.size_bytes;
    expected_rows += c.row_count;
    if (c.size_bytes < options.min_chunk_bytes) ++report.small_chunks;
  }
  if (report.small_chunks < 2) return Skip(report, "fewer than 2 small chunks");
  ARROW_ASSIGN_OR_RAISE(bool deleting, BeingDeleted(catalog, *store, topic));
  if (deleting) return Skip(report, "being deleted");

  ARROW_ASSIGN_OR_RAISE(auto schema, ingest::DeserializeSchema(*topic.schema_ipc));
  ARROW_ASSIGN_OR_RAISE(const int64_t estimate,
                        EstimateChunksAfter(store, schema, chunks, report.bytes_before, options));
  // Worth a rewrite of the whole topic only if it cuts the chunk count by a quarter at least.
  if (4 * estimate > 3 * report.chunks_before) return Skip(report, "no gain");

  // 2. Rewrite into a new upload.
  ARROW_ASSIGN_OR_RAISE(const std::string new_id, NewUploadIdAfterExisting(*store, sequence, topic_name));
  ARROW_ASSIGN_OR_RAISE(auto new_chunks,
                        Rewrite(store, topic, schema, std::move(chunks), new_id, options, &report.rows));
  if (report.rows != expected_rows) {
    DeleteUpload(*store, sequence, topic_name, new_id);
    return arrow::Status::IOError("compaction of '", sequence, "/", topic_name, "': read ", report.rows,
                                  " rows, the catalog lists ", expected_rows);
  }
  if (new_chunks.size() >= static_cast<size_t>(report.chunks_before)) {
    DeleteUpload(*store, sequence, topic_name, new_id);
    return Skip(report, "no gain");
  }
  for (auto& c : new_chunks) c.topic_id = topic.id;

  // 3. Commit it in the store: from here on the store's truth is the compacted upload.
  ingest::UploadManifest manifest;
  manifest.upload_id = new_id;
  manifest.topic = topic_name;
  manifest.row_count = report.rows;
  manifest.chunks = new_chunks;
  // A recovery mark before the store commit: a crash before the swap is rolled forward by whoever sees it first
  // (start-up recovery or the recover_sequence job; lifecycle/recovery_marks.h).
  if (auto st = lifecycle::MarkSequencePending(catalog, sequence, NowNs()); !st.ok()) {
    DeleteUpload(*store, sequence, topic_name, new_id);
    return st;
  }
  if (auto st = store->PutAtomic(layout::UploadManifest(sequence, topic_name, new_id), manifest.Serialize());
      !st.ok()) {
    DeleteUpload(*store, sequence, topic_name, new_id);
    return st;
  }
  CrashPoint("compaction.after_write");

  // 4. Swap the catalog.
  auto swapped = catalog.ReplaceTopicData(topic.id, *topic.upload_id, new_id, new_chunks);
  if (!swapped.ok()) {
    // The catalog decides: whatever it references now stays; our upload goes unless it is the one referenced.
    auto now = catalog.GetTopic(sequence, topic_name);
    if (now.ok() && now->upload_id == new_id) {
      swapped = arrow::Status::OK();  // an earlier attempt of ours got there first
    } else if (now.ok() || now.status().IsKeyError()) {
      ErrorKind kind;
      const bool refused =
          swapped.IsKeyError() || (GetErrorKind(swapped, &kind) && kind == ErrorKind::kFailedPrecondition);
      DeleteUpload(*store, sequence, topic_name, new_id);
      if (refused) return Skip(report, "changed meanwhile");
      return swapped;
    } else {
      return swapped;  // the catalog cannot tell: leave the upload; a superseded or interrupted one is GC'd later
    }
  }
  CrashPoint("compaction.after_swap");
  report.compacted = true;
  report.new_upload_id = new_id;
  report.chunks_after = static_cast<int64_t>(new_chunks.size());
  for (const auto& c : new_chunks) report.bytes_after += c.size_bytes;

  // A deletion that started meanwhile may have listed the topic's objects before ours were written: take ours
  // along (the deletion removes the catalog rows that reference them).
  auto deleting_now = BeingDeleted(catalog, *store, topic);
  if (deleting_now.ok() && *deleting_now) DeleteUpload(*store, sequence, topic_name, new_id);

  // 5. The old upload goes after the grace period (readers that listed its chunks may still stream them).
  const int64_t now_ns = NowNs();
  auto enqueued = catalog.EnqueueJob(kDeleteUploadJob, DeleteUploadPayload(sequence, topic_name, *topic.upload_id),
                                     DeleteUploadDedupKey(sequence, topic_name, *topic.upload_id),
                                     now_ns + options.old_data_grace_ns, now_ns);
  if (!enqueued.ok()) {
    spdlog::warn("event=compaction_enqueue_failed topic={}/{} upload={} status=\"{}\" (the superseded upload is left "
                 "for check --repair / GC)", sequence, topic_name, *topic.upload_id, enqueued.status().ToString());
  }

  report.elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("event=compaction_done topic={}/{} chunks_before={} chunks_after={} rows={} bytes_before={} "
               "bytes_after={} old_upload={} new_upload={} ms={}",
               sequence, topic_name, report.chunks_before, report.chunks_after, report.rows, report.bytes_before,
               report.bytes_after, report.old_upload_id, report.new_upload_id, report.elapsed_ms);
  return report;
}

arrow::Status RunCompactionJob(const catalog::JobRecord& job, catalog::Catalog& catalog,
                               std::shared_ptr<store::ObjectStore> store, const CompactionOptions& options) {
  ARROW_ASSIGN_OR_RAISE(auto payload, ParseJsonObject(job.payload_json, "compact_topic job payload"));
  ARROW_ASSIGN_OR_RAISE(auto sequence, RequireString(payload, "sequence"));
  ARROW_ASSIGN_OR_RAISE(auto topic, RequireString(payload, "topic"));
  ARROW_ASSIGN_OR_RAISE(auto report, CompactTopic(catalog, std::move(store), sequence, topic, options));
  if (!report.compacted) {
    spdlog::debug("event=compaction_skipped topic={}/{} reason=\"{}\" chunks={} small_chunks={}", sequence, topic,
                  report.skipped, report.chunks_before, report.small_chunks);
  }
  return arrow::Status::OK();
}

}  // namespace mosaico::jobs
