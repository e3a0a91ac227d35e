// ProgressLog: periodic, structured progress lines for long operations (rebuild, check, import, compaction).
//
// Update(phase, done, total) logs `event=progress op=<op> phase=<phase> done=<n> total=<n> pct=<p> rate=<n>/s`
// at info level when the phase changes, when done == total, or when at least `interval` has passed since the last
// line; other calls are cheap no-ops. Thread-compatible (one operation drives one ProgressLog).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace mosaico {

class ProgressLog {
 public:
  explicit ProgressLog(std::string op, std::chrono::milliseconds interval = std::chrono::milliseconds(1000));
  void Update(const std::string& phase, int64_t done, int64_t total);

 private:
  std::string op_;
  std::chrono::milliseconds interval_;
  std::string phase_;
  std::chrono::steady_clock::time_point phase_start_{}, last_line_{};
};

}  // namespace mosaico
