// Recovery marks: the event-queue jobs a multi-step write protocol enqueues BEFORE its first step, so that
// whatever a crash cuts short is found again without scanning the store (docs/STORE_LAYOUT.md, "Crash safety";
// docs/JOBS.md). Marks are ordinary jobs (Catalog::EnqueueJob): they survive restarts, any daemon on the catalog
// runs them (jobs/recovery_jobs.h), and a starting daemon reads the pending ones to know where to look
// (recovery/startup_recovery.h).
//
//   recover_sequence    payload {"sequence"}; dedup key "recover_sequence:<seq>:<bucket>", bucket = now / 60 s,
//                       due two buckets later: every protocol that started in one minute on one sequence shares a
//                       mark, which runs at least a minute after the last of them began. Enqueued by finalize,
//                       the deletes (sequence, session, topic) and compaction's store commit. Its handler runs the
//                       start-up repairs on that sequence only.
//   sync_notifications  payload {"sequence", "topic"?}; dedup key "sync_notifications:<seq>[/<topic>]", due 10 s
//                       later. Enqueued by notify and purge. Its handler realigns that resource's catalog
//                       notifications to the store (recovery/notification_sync.h).
// Creates, uploads and a finalize cut before its lock need no mark: they happen in unlocked sessions (or
// sequences without sessions), which the catalog lists itself.
// Best effort: an enqueue failure is logged (event=recovery_mark_failed) and the operation goes on -- a crash in
// that operation is then found by `mosaicod check --repair` only. The functions return OK except on bad input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"

namespace mosaico::lifecycle {

inline constexpr char kRecoverSequenceJob[] = "recover_sequence";
inline constexpr char kSyncNotificationsJob[] = "sync_notifications";
inline constexpr int64_t kRecoverSequenceBucketNs = 60LL * 1000000000;
inline constexpr int64_t kSyncNotificationsDelayNs = 10LL * 1000000000;

arrow::Status MarkSequencePending(catalog::Catalog& catalog, const std::string& sequence, int64_t now_ns);
arrow::Status MarkNotificationsPending(catalog::Catalog& catalog, const std::string& sequence,
                                       const std::optional<std::string>& topic, int64_t now_ns,
                                       int64_t delay_ns = kSyncNotificationsDelayNs);

std::string SyncNotificationsDedupKey(const std::string& sequence, const std::optional<std::string>& topic);
std::string SyncNotificationsPayload(const std::string& sequence, const std::optional<std::string>& topic);

// The target of a recover_sequence / sync_notifications payload. InvalidArgument when malformed.
struct MarkTarget {
  std::string sequence;
  std::optional<std::string> topic;
};
arrow::Result<MarkTarget> ParseMarkPayload(const std::string& payload_json);

}  // namespace mosaico::lifecycle
