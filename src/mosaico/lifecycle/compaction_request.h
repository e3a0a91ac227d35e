// The "compact_topic" job request (Catalog::EnqueueJob) that jobs/compaction runs: one definition of its kind,
// payload and dedup key, so lifecycle and recovery can enqueue without depending on jobs/.
//   kind "compact_topic", payload {"sequence": "<seq>", "topic": "<topic path>"}, dedup key
//   "compact_topic:<seq>/<topic>" (at most one pending or running compaction per topic).
// EnqueueCompactions is called wherever topics become finalized: a live finalize, a finalize completed by recovery
// (the session lock applied from the store's marker), an import.
#pragma once

#include <optional>
#include <string>

#include "mosaico/catalog/catalog.h"

namespace mosaico::lifecycle {

inline constexpr char kCompactTopicJob[] = "compact_topic";

std::string CompactTopicPayload(const std::string& sequence, const std::string& topic);
std::string CompactTopicDedupKey(const std::string& sequence, const std::string& topic);

// Enqueues a compaction for every topic of `sequence` (only those of session `session_key` when given) that has
// committed data in two chunks or more; the job itself skips topics that are not finalized or need no merge.
// Best effort: a failure is logged (warn), never returned -- the data is complete without compaction. A catalog
// without an event queue (NotImplemented) is skipped quietly.
void EnqueueCompactions(catalog::Catalog& catalog, const std::string& sequence,
                        const std::optional<std::string>& session_key = std::nullopt);

}  // namespace mosaico::lifecycle
