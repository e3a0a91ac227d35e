#include "mosaico/lifecycle/recovery_marks.h"

#include <spdlog/spdlog.h>

#include "mosaico/core/errors.h"
#include "mosaico/core/json.h"

namespace mosaico::lifecycle {
namespace {

// Best effort: an operation is never refused because its mark could not be recorded (the queue is an index of
// where to look; `mosaicod check --repair` still finds everything). The failure is logged.
arrow::Status Enqueued(const arrow::Result<catalog::JobRecord>& job, const std::string& key) {
  if (job.ok() || job.status().IsNotImplemented()) return arrow::Status::OK();
  spdlog::warn("event=recovery_mark_failed key={} status=\"{}\" hint=\"a crash before this operation ends is left to "
               "`mosaicod check --repair`\"", key, job.status().ToString());
  return arrow::Status::OK();
}

}  // namespace

arrow::Status MarkSequencePending(catalog::Catalog& catalog, const std::string& sequence, int64_t now_ns) {
  const int64_t bucket = now_ns / kRecoverSequenceBucketNs;
  OrderedJson payload;
  payload["sequence"] = sequence;
  const std::string key = std::string(kRecoverSequenceJob) + ":" + sequence + ":" + std::to_string(bucket);
  return Enqueued(
      catalog.EnqueueJob(kRecoverSequenceJob, payload.dump(), key, (bucket + 2) * kRecoverSequenceBucketNs, now_ns),
      key);
}

std::string SyncNotificationsDedupKey(const std::string& sequence, const std::optional<std::string>& topic) {
  return std::string(kSyncNotificationsJob) + ":" + sequence + (topic ? "/" + *topic : "");
}

std::string SyncNotificationsPayload(const std::string& sequence, const std::optional<std::string>& topic) {
  OrderedJson payload;
  payload["sequence"] = sequence;
  if (topic) payload["topic"] = *topic;
  return payload.dump();
}

arrow::Status MarkNotificationsPending(catalog::Catalog& catalog, const std::string& sequence,
                                       const std::optional<std::string>& topic, int64_t now_ns, int64_t delay_ns) {
  return Enqueued(catalog.EnqueueJob(kSyncNotificationsJob, SyncNotificationsPayload(sequence, topic),
                                     SyncNotificationsDedupKey(sequence, topic), now_ns + delay_ns,
                                     now_ns),
                  SyncNotificationsDedupKey(sequence, topic));
}

arrow::Result<MarkTarget> ParseMarkPayload(const std::string& payload_json) {
  const Json j = Json::parse(payload_json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("sequence") || !j["sequence"].is_string() ||
      j["sequence"].get<std::string>().empty()) {
    return InvalidArgument("job payload needs a non-empty string 'sequence': " + payload_json.substr(0, 200));
  }
  MarkTarget t;
  t.sequence = j["sequence"].get<std::string>();
  if (j.contains("topic") && !j["topic"].is_null()) {
    if (!j["topic"].is_string() || j["topic"].get<std::string>().empty()) {
      return InvalidArgument("job payload 'topic' must be a non-empty string: " + payload_json.substr(0, 200));
    }
    t.topic = j["topic"].get<std::string>();
  }
  return t;
}

}  // namespace mosaico::lifecycle
