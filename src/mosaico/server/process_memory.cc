#include "mosaico/server/process_memory.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <arrow/memory_pool.h>

namespace mosaico::server {
namespace {

constexpr int kMmapThresholdBytes = 32 << 20;

// Half the cores, at least 2 and at most 8 (header: the retention that grows with the number of arenas).
int ArenaCap() {
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(cores / 2, 2, 8);
}

struct Applied {
  bool pool_from_env = false;
  bool mmap_from_env = false;
  bool arenas_from_env = false;
  int arena_cap = 0;
};

Applied ApplyDefaults() {
  Applied a;
  a.pool_from_env = std::getenv("ARROW_DEFAULT_MEMORY_POOL") != nullptr;
  if (!a.pool_from_env) ::setenv("ARROW_DEFAULT_MEMORY_POOL", "jemalloc", /*overwrite=*/0);
  a.mmap_from_env = std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr;
  if (!a.mmap_from_env) ::mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
  a.arenas_from_env = std::getenv("MALLOC_ARENA_MAX") != nullptr;
  if (!a.arenas_from_env) {
    a.arena_cap = ArenaCap();
    ::mallopt(M_ARENA_MAX, a.arena_cap);
  }
  return a;
}

// Static initialization: see the header.
const Applied kApplied = ApplyDefaults();

// One detached thread, started on first use and never stopped (the daemon's lifetime): trims when asked, then
// sleeps a second, so a fleet of streams ending together costs one trim a second, not one per stream.
class ArenaTrimmer {
 public:
  ArenaTrimmer() { std::thread([this] { Loop(); }).detach(); }
  void Request() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      requested_ = true;
    }
    cv_.notify_one();
  }

 private:
  void Loop() {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return requested_; });
        requested_ = false;
      }
      ::malloc_trim(0);
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false;
};

}  // namespace

std::string ProcessMemoryDefaults() {
  std::string out = "arrow_pool=" + arrow::default_memory_pool()->backend_name();
  out += kApplied.pool_from_env ? " (ARROW_DEFAULT_MEMORY_POOL)" : " (default jemalloc)";
  out += " malloc_mmap_threshold=";
  out += kApplied.mmap_from_env ? "MALLOC_MMAP_THRESHOLD_" : std::to_string(kMmapThresholdBytes);
  out += " malloc_arena_max=";
  out += kApplied.arenas_from_env ? "MALLOC_ARENA_MAX" : std::to_string(kApplied.arena_cap);
  return out;
}

void RequestFreedMemoryRelease() {
  static auto* trimmer = new ArenaTrimmer();  // leaked on purpose: its thread runs until the process exits
  trimmer->Request();
}

}  // namespace mosaico::server
