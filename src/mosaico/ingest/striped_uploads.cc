#include "mosaico/ingest/striped_uploads.h"

#include <vector>

#include "mosaico/core/errors.h"

namespace mosaico::ingest {

StripedUploads::StripedUploads(double idle_limit_seconds, std::string idle_flag)
    : idle_limit_(std::chrono::duration_cast<StripedUpload::Clock::duration>(
          std::chrono::duration<double>(idle_limit_seconds > 0 ? idle_limit_seconds : 0))),
      idle_flag_(std::move(idle_flag)) {
  if (idle_limit_seconds > 0) reaper_ = std::thread([this] { Run(); });
}

StripedUploads::~StripedUploads() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (reaper_.joinable()) reaper_.join();
  // Uploads still waiting for stripes cannot complete any more: delete what their closed stripes wrote.
  for (auto& [locator, upload] : uploads_) {
    if (!upload->ended()) upload->Abort(Aborted("the daemon shut down before every stripe arrived"));
  }
}

arrow::Result<std::shared_ptr<StripedUpload>> StripedUploads::FindOrOpen(const std::string& locator,
                                                                         const Opener& open) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = uploads_.find(locator);
  if (it != uploads_.end()) {
    if (!it->second->ended()) return it->second;
    uploads_.erase(it);
  }
  ARROW_ASSIGN_OR_RAISE(auto upload, open());
  uploads_.emplace(locator, upload);
  return upload;
}

int StripedUploads::ReapIdle(StripedUpload::Clock::time_point now) {
  std::vector<std::shared_ptr<StripedUpload>> idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = uploads_.begin(); it != uploads_.end();) {
      if (it->second->ended()) {
        it = uploads_.erase(it);
      } else if (idle_limit_ > StripedUpload::Clock::duration::zero() && it->second->IdleFor(idle_limit_, now)) {
        idle.push_back(it->second);
        it = uploads_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& upload : idle) {
    std::string missing;
    for (int i : upload->waiting_for()) missing += (missing.empty() ? "" : ", ") + std::to_string(i);
    upload->Abort(Aborted("no stripe streamed for longer than " + idle_flag_ + " while stripe(s) " + missing +
                          " of " + std::to_string(upload->stripes()) + " never arrived"));
  }
  return static_cast<int>(idle.size());
}

size_t StripedUploads::in_progress() const {
  std::lock_guard<std::mutex> lock(mu_);
  return uploads_.size();
}

void StripedUploads::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    ReapIdle();
    lock.lock();
  }
}

}  // namespace mosaico::ingest
