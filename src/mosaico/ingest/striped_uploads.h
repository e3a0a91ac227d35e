// StripedUploads: this daemon's striped uploads in progress (striped_upload.h), by topic locator, and the idle limit
// that aborts one whose missing stripes never come.
//
// Contract:
//  - FindOrOpen returns the topic's upload in progress, or opens one with `open` (run under the registry's mutex,
//    so two first stripes of one topic arriving together never both open one; `open` does the topic checks and the
//    schema snapshot of a first stream). An upload that ended (committed or aborted) is forgotten: the next stripe
//    of that topic opens a new one (and is refused there if the topic has data).
//  - A background thread checks once a second: an upload still waiting for stripes with none streaming for
//    `idle_limit` is aborted (StripedUpload::Abort, ABORTED naming `idle_flag` and the missing stripes) and
//    forgotten. idle_limit <= 0: never. The destructor stops the thread and aborts the uploads still waiting for
//    stripes (their closed stripes' objects are deleted); stripes still streaming then fail at their next call.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <arrow/result.h>

#include "mosaico/ingest/striped_upload.h"

namespace mosaico::ingest {

class StripedUploads {
 public:
  using Opener = std::function<arrow::Result<std::shared_ptr<StripedUpload>>()>;

  StripedUploads(double idle_limit_seconds, std::string idle_flag);
  ~StripedUploads();
  StripedUploads(const StripedUploads&) = delete;
  StripedUploads& operator=(const StripedUploads&) = delete;

  arrow::Result<std::shared_ptr<StripedUpload>> FindOrOpen(const std::string& locator, const Opener& open);
  // Aborts and forgets the uploads idle for the limit as of `now`; forgets ended ones. Returns how many it aborted.
  int ReapIdle(StripedUpload::Clock::time_point now = StripedUpload::Clock::now());
  size_t in_progress() const;

 private:
  void Run();

  StripedUpload::Clock::duration idle_limit_;
  std::string idle_flag_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<StripedUpload>> uploads_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread reaper_;
};

}  // namespace mosaico::ingest
