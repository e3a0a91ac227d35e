// Tracks which topics have a DoPut stream open right now (in this process).
//
// A topic accepts one stream at a time; a session cannot be finalized while one of its topics is streaming.
// UploadGuard unregisters on destruction, so a stream that ends in any way (commit, error, cancellation,
// shutdown) releases its topic.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <arrow/status.h>

namespace mosaico::lifecycle {

class UploadRegistry {
 public:
  class Guard {
   public:
    Guard(UploadRegistry* registry, int64_t topic_id) : registry_(registry), topic_id_(topic_id) {}
    ~Guard() { registry_->Release(topic_id_); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    UploadRegistry* registry_;
    int64_t topic_id_;
  };

  // FailedPrecondition when the topic already has an open stream.
  arrow::Status Acquire(int64_t topic_id, int64_t session_id, const std::string& topic_locator,
                        std::unique_ptr<Guard>* guard);
  bool SessionHasOpenUploads(int64_t session_id) const;
  size_t open_uploads() const;

 private:
  void Release(int64_t topic_id);

  mutable std::mutex mu_;
  std::unordered_map<int64_t, int64_t> open_;  // topic id -> session id
};

}  // namespace mosaico::lifecycle
