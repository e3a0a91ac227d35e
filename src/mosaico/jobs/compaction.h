// Compaction: rewrites the many small chunks of a finalized topic into few large ones, as a background job of the
// event queue (kind "compact_topic", enqueued by lifecycle's finalize), without readers ever seeing a gap.
//
// Protocol of CompactTopic (store first, catalog second, like an upload; docs/STORE_LAYOUT.md "Crash safety"):
//   1. the catalog topic must be locked, hold committed data and at least two chunks smaller than
//      options.min_chunk_bytes (Parquet object size), no deletion may be under way, and the rewrite must be
//      expected to cut the number of chunks by a quarter at least (estimated by decoding one small chunk: the
//      writer rolls chunks at Arrow bytes, the catalog knows compressed Parquet bytes); otherwise nothing is done
//      (a report says why);
//   2. every row is read in timestamp order through the read path (read::OpenTopicReader, whole window) and
//      written with ingest::ChunkWriter (options.writer) into a NEW upload id, sorted after every upload id the
//      topic directory already holds; the row count must match the catalog's; if the rewrite did not reduce the
//      number of chunks after all it is dropped (report "no gain");
//   3. the new upload.json is written: the store now holds two committed uploads and its truth (the newest,
//      recovery/store_scan.h) is the compacted one        -- crash point "compaction.after_write";
//   4. Catalog::ReplaceTopicData(old -> new) swaps chunk rows, statistics and upload_id in one transaction
//                                                          -- crash point "compaction.after_swap";
//   5. the old upload is NOT deleted (a DoGet or query may still stream it): a "delete_upload" job
//      (payload {"sequence","topic","upload_id"}, dedup key "delete_upload:<seq>/<topic>/<id>") is enqueued to run
//      after options.old_data_grace_ns.
// If the swap is refused (the topic changed or was deleted meanwhile) the new upload is deleted again (unless the
// catalog references it after all: an earlier attempt's swap got there first) and the call succeeds with nothing
// done. Idempotent: a re-run after a crash at any point converges -- a crash before step 3 leaves an upload
// directory without upload.json (garbage for `check --repair` / the store GC); between steps 3 and 4 the daemon's
// start-up recovery (or `check --repair`) swaps the catalog to the committed compacted upload (`adopt_upload`,
// recovery/check.h) and the re-run is a no-op, or, without a restart, the re-run compacts again into a newer upload
// and the never-referenced one becomes a superseded upload for repair / GC; after step 4 the chunks are large and
// the re-run is a no-op, and an old upload whose delete job was never enqueued is a superseded upload too.
// Answers never change: DoGet, windowed reads and queries return the same rows in the same order (ties keep their
// order: the merge emits them in upload order, the rewrite keeps that order).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/ingest/chunk_writer.h"
#include "mosaico/read/read_options.h"
#include "mosaico/store/object_store.h"

namespace mosaico::jobs {

// "compact_topic" (payload {"sequence","topic"}): lifecycle/compaction_request.h defines kind, payload and key.
inline constexpr char kDeleteUploadJob[] = "delete_upload";

struct CompactionOptions {
  ingest::ChunkWriterOptions writer;            // chunk size (Arrow bytes) and row groups of the rewritten upload
  int64_t min_chunk_bytes = 16LL << 20;         // chunks (Parquet bytes) smaller than this are merged; <= 0 disables
  int64_t old_data_grace_ns = 600LL * 1000000000;  // the replaced upload is deleted this long after the swap
  read::ReadOptions read;
  // Polled between batches of the rewrite: when it returns true the rewrite stops, its upload is removed and
  // CompactTopic returns Cancelled (the job runner puts the job back at once). Unset: never.
  std::function<bool()> cancelled;
};

struct CompactionReport {
  bool compacted = false;
  std::string skipped;  // why nothing was done when !compacted ("not finalized", "no gain", ...)
  std::string sequence, topic;
  std::string old_upload_id, new_upload_id;
  int64_t chunks_before = 0, chunks_after = 0;
  int64_t small_chunks = 0;  // chunks below min_chunk_bytes before
  int64_t rows = 0;
  int64_t bytes_before = 0, bytes_after = 0;
  int64_t elapsed_ms = 0;
};

// Errors: store or catalog failures (the new upload is removed when it was not swapped in), Cancelled (see
// CompactionOptions::cancelled). A topic that is gone, unlocked, empty or already compact is not an error: the report
// says what was skipped.
arrow::Result<CompactionReport> CompactTopic(catalog::Catalog& catalog, std::shared_ptr<store::ObjectStore> store,
                                             const std::string& sequence, const std::string& topic,
                                             const CompactionOptions& options);

// Payload and dedup key of a "delete_upload" job ({"sequence","topic","upload_id"},
// "delete_upload:<seq>/<topic>/<id>").
std::string DeleteUploadPayload(const std::string& sequence, const std::string& topic, const std::string& upload_id);
std::string DeleteUploadDedupKey(const std::string& sequence, const std::string& topic, const std::string& upload_id);

// The handler of a "compact_topic" job: parses the payload (INVALID_ARGUMENT naming the field) and compacts.
arrow::Status RunCompactionJob(const catalog::JobRecord& job, catalog::Catalog& catalog,
                               std::shared_ptr<store::ObjectStore> store, const CompactionOptions& options);

}  // namespace mosaico::jobs
