#include "mosaico/lifecycle/compaction_request.h"

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

}  // namespace mosaico::lifecycle
