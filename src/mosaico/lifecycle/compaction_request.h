// The "compact_topic" job request that finalize enqueues (Catalog::EnqueueJob) and jobs/compaction runs: one
// definition of its kind, payload and dedup key, so lifecycle can enqueue without depending on jobs/.
//   kind "compact_topic", payload {"sequence": "<seq>", "topic": "<topic path>"}, dedup key
//   "compact_topic:<seq>/<topic>" (at most one pending or running compaction per topic).
#pragma once

#include <string>

namespace mosaico::lifecycle {

inline constexpr char kCompactTopicJob[] = "compact_topic";

std::string CompactTopicPayload(const std::string& sequence, const std::string& topic);
std::string CompactTopicDedupKey(const std::string& sequence, const std::string& topic);

}  // namespace mosaico::lifecycle
