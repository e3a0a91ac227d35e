#include "mosaico/lifecycle/compaction_request.h"

#include <spdlog/spdlog.h>

#include "mosaico/core/clock.h"
#include "mosaico/core/json.h"

namespace mosaico::lifecycle {

std::string CompactTopicPayload(const std::string& sequence, const std::string& topic) {
  OrderedJson j;
  j["sequence"] = sequence;
  j["topic"] = topic;
  return j.dump();
}

std::string CompactTopicDedupKey(const std::string& sequence, const std::string& topic) {
  return std::string(kCompactTopicJob) + ":" + sequence + "/" + topic;
}

void EnqueueCompactions(catalog::Catalog& catalog, const std::string& sequence,
                        const std::optional<std::string>& session_key) {
  auto topics = catalog.ListTopics(sequence);
  if (!topics.ok()) {
    spdlog::warn("event=compaction_enqueue_failed sequence={} status=\"{}\"", sequence, topics.status().ToString());
    return;
  }
  std::vector<const catalog::TopicRecord*> candidates;
  std::vector<int64_t> ids;
  for (const auto& topic : *topics) {
    if ((session_key && topic.session_key != *session_key) || !topic.upload_id) continue;
    candidates.push_back(&topic);
    ids.push_back(topic.id);
  }
  if (candidates.empty()) return;
  // One catalog call for the whole finalize (PostgreSQL: one round trip instead of one per topic).
  auto summaries = catalog.SummarizeTopics(ids);
  for (size_t i = 0; i < candidates.size(); ++i) {
    const auto& topic = *candidates[i];
    // A topic deleted meanwhile fails the batch (NotFound): then ask per topic and skip the missing one.
    auto summary = summaries.ok() ? arrow::Result<catalog::TopicDataSummary>((*summaries)[i])
                                  : catalog.SummarizeTopic(topic.id);
    if (!summary.ok() || summary->total_chunks < 2) continue;
    const int64_t now = NowNs();
    auto job = catalog.EnqueueJob(kCompactTopicJob, CompactTopicPayload(topic.sequence_name, topic.name),
                                  CompactTopicDedupKey(topic.sequence_name, topic.name), now, now);
    if (job.ok()) continue;
    if (job.status().IsNotImplemented()) {  // a catalog without an event queue: nothing to schedule
      spdlog::debug("event=compaction_not_enqueued topic={}/{} status=\"{}\"", topic.sequence_name, topic.name,
                    job.status().ToString());
    } else {
      spdlog::warn("event=compaction_enqueue_failed topic={}/{} status=\"{}\"", topic.sequence_name, topic.name,
                   job.status().ToString());
    }
  }
}

}  // namespace mosaico::lifecycle
