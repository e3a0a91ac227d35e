#include "mosaico/lifecycle/upload_registry.h"

#include <vector>

#include "mosaico/core/errors.h"

namespace mosaico::lifecycle {

arrow::Status UploadRegistry::Acquire(int64_t topic_id, int64_t session_id, const std::string& topic_locator,
                                      std::unique_ptr<Guard>* guard) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!open_.emplace(topic_id, session_id).second) {
    return FailedPrecondition("topic '" + topic_locator + "' already has an upload stream open");
  }
  *guard = std::make_unique<Guard>(this, topic_id);
  return arrow::Status::OK();
}

bool UploadRegistry::SessionHasOpenUploads(int64_t session_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [topic, session] : open_) {
    if (session == session_id) return true;
  }
  return false;
}

size_t UploadRegistry::open_uploads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_.size();
}

void UploadRegistry::SetAbandoner(int64_t topic_id, std::function<bool()> abandon) {
  std::lock_guard<std::mutex> lock(mu_);
  if (open_.count(topic_id)) abandoners_[topic_id] = std::move(abandon);
}

int UploadRegistry::AbandonIdle(int64_t session_id, int64_t only_topic) {
  std::vector<std::function<bool()>> candidates;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [topic, abandon] : abandoners_) {
      auto it = open_.find(topic);
      if (it != open_.end() && it->second == session_id && (only_topic < 0 || topic == only_topic)) {
        candidates.push_back(abandon);
      }
    }
  }
  int given_up = 0;
  for (const auto& abandon : candidates) given_up += abandon() ? 1 : 0;  // may Release: no mutex held
  return given_up;
}

void UploadRegistry::Release(int64_t topic_id) {
  std::lock_guard<std::mutex> lock(mu_);
  open_.erase(topic_id);
  abandoners_.erase(topic_id);
}

}  // namespace mosaico::lifecycle
