// Tracks which topics have a DoPut stream open right now (in this process).
//
// A topic accepts one stream at a time; a session cannot be finalized while one of its topics is streaming.
// UploadGuard unregisters on destruction, so a stream that ends in any way (commit, error, cancellation,
// shutdown) releases its topic.
//
// A slot may also be held by an upload with no stream open right now: a striped upload waiting for its missing
// stripes (ingest/striped_upload.h). Its holder registers an abandoner (SetAbandoner): the deletes call
// AbandonIdle(session) first, which runs the abandoners of that session's topics (outside the mutex); an abandoner
// that gives its slot up (aborting its upload, which releases the guard) returns true. A finalize does not: it is
// refused while the upload waits, so that missing stripes are never silently dropped.
#pragma once

#include <cstdint>
#include <functional>
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

  // For the holder of `topic_id`'s slot (forgotten when the slot is released).
  void SetAbandoner(int64_t topic_id, std::function<bool()> abandon);
  // Runs the abandoners of the session's topics (only `only_topic`'s when >= 0); returns how many gave their slot up.
  int AbandonIdle(int64_t session_id, int64_t only_topic = -1);

 private:
  void Release(int64_t topic_id);

  mutable std::mutex mu_;
  std::unordered_map<int64_t, int64_t> open_;  // topic id -> session id
  std::unordered_map<int64_t, std::function<bool()>> abandoners_;  // topic id -> its slot holder's abandoner
};

}  // namespace mosaico::lifecycle
