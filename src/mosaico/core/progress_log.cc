#include "mosaico/core/progress_log.h"

#include <spdlog/spdlog.h>

namespace mosaico {

ProgressLog::ProgressLog(std::string op, std::chrono::milliseconds interval)
    : op_(std::move(op)), interval_(interval) {}

void ProgressLog::Update(const std::string& phase, int64_t done, int64_t total) {
  const auto now = std::chrono::steady_clock::now();
  const bool new_phase = phase != phase_;
  if (new_phase) {
    phase_ = phase;
    phase_start_ = now;
  }
  if (!new_phase && done != total && now - last_line_ < interval_) return;
  last_line_ = now;
  const double seconds = std::chrono::duration<double>(now - phase_start_).count();
  const double pct = total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0;
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
  spdlog::info("event=progress op={} phase={} done={} total={} pct={:.1f} rate={:.0f}/s", op_, phase, done, total, pct,
               rate);
}

}  // namespace mosaico
