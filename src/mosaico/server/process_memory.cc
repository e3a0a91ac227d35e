#include "mosaico/server/process_memory.h"

#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>

#include <arrow/memory_pool.h>

namespace mosaico::server {
namespace {

constexpr int kMmapThresholdBytes = 64 << 10;

// jemalloc's mallctl(3), when the process's malloc is an unprefixed jemalloc. The wheel's Arrow carries its own
// jemalloc as je_arrow_mallctl, so this never finds Arrow's pool.
using MallctlFn = int (*)(const char*, void*, size_t*, void*, size_t);
MallctlFn FindMallctl() { return reinterpret_cast<MallctlFn>(::dlsym(RTLD_DEFAULT, "mallctl")); }

struct Applied {
  bool pool_from_env = false;
  bool jemalloc = false;
  bool mmap_from_env = false;
  // jemalloc's arena for allocations >= opt.oversize_threshold, when its pages are kept (see the header).
  bool huge_arena_kept = false;
  unsigned huge_arena = 0;
};

// jemalloc creates its huge arena at the first allocation of at least opt.oversize_threshold bytes, with a decay of
// 0 (purge each freed extent at once). One such allocation here creates it; its dirty decay is then set to -1, which
// also turns off jemalloc's eager purge of freed extents at or above the threshold (it applies only while both decay
// times of an arena are >= 0). ReclaimHugeArena returns those pages instead.
void KeepHugeArenaPages(MallctlFn mallctl, Applied& a) {
  size_t threshold = 0;
  size_t len = sizeof(threshold);
  if (mallctl("opt.oversize_threshold", &threshold, &len, nullptr, 0) != 0 || threshold == 0) return;
  ssize_t ms = -1;
  void* probe = std::malloc(threshold);
  if (probe == nullptr) return;
  unsigned arena = 0;
  len = sizeof(arena);
  const int found = mallctl("arenas.lookup", &arena, &len, &probe, sizeof(probe));
  std::free(probe);
  if (found != 0) return;
  const std::string name = "arena." + std::to_string(arena) + ".dirty_decay_ms";
  if (mallctl(name.c_str(), nullptr, nullptr, &ms, sizeof(ms)) != 0) return;
  a.huge_arena_kept = true;
  a.huge_arena = arena;
}

Applied ApplyDefaults() {
  Applied a;
  a.pool_from_env = std::getenv("ARROW_DEFAULT_MEMORY_POOL") != nullptr;
  if (!a.pool_from_env) ::setenv("ARROW_DEFAULT_MEMORY_POOL", "jemalloc", /*overwrite=*/0);
  MallctlFn mallctl = FindMallctl();
  a.jemalloc = mallctl != nullptr;
  if (mallctl != nullptr) KeepHugeArenaPages(mallctl, a);
  a.mmap_from_env = std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr;
  if (!a.jemalloc && !a.mmap_from_env) ::mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
  return a;
}

// Static initialization: see the header.
const Applied kApplied = ApplyDefaults();

template <typename T>
std::string Read(MallctlFn mallctl, const char* name) {
  T v{};
  size_t len = sizeof(v);
  if (mallctl(name, &v, &len, nullptr, 0) != 0) return "?";
  if constexpr (std::is_same_v<T, const char*>) {
    return v ? v : "?";
  } else if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else {
    return std::to_string(v);
  }
}

// Every kHugeArenaReclaimIdleMs: when the huge arena served no allocation since the last look and holds freed pages,
// purge them. Reads jemalloc's statistics (refreshed by writing "epoch"); without them it purges at every look.
[[noreturn]] void ReclaimHugeArena(MallctlFn mallctl, unsigned arena) {
  const std::string prefix = "stats.arenas." + std::to_string(arena);
  const std::string nmalloc_name = prefix + ".large.nmalloc";
  const std::string pdirty_name = prefix + ".pdirty";
  const std::string purge_name = "arena." + std::to_string(arena) + ".purge";
  uint64_t last_nmalloc = 0;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(kHugeArenaReclaimIdleMs));
    uint64_t epoch = 1;
    size_t len = sizeof(epoch);
    mallctl("epoch", &epoch, &len, &epoch, sizeof(epoch));
    uint64_t nmalloc = 0;
    size_t pdirty = 1;
    len = sizeof(nmalloc);
    const bool have_stats = mallctl(nmalloc_name.c_str(), &nmalloc, &len, nullptr, 0) == 0;
    len = sizeof(pdirty);
    if (have_stats) mallctl(pdirty_name.c_str(), &pdirty, &len, nullptr, 0);
    const bool idle = !have_stats || nmalloc == last_nmalloc;
    last_nmalloc = nmalloc;
    if (idle && pdirty > 0) mallctl(purge_name.c_str(), nullptr, nullptr, nullptr, 0);
  }
}

}  // namespace

void StartHugeArenaReclaim() {
  static std::once_flag once;
  std::call_once(once, [] {
    MallctlFn mallctl = FindMallctl();
    if (mallctl == nullptr || !kApplied.huge_arena_kept) return;
    // The thread takes no signals (SIGTERM/SIGINT must reach the threads that handle them).
    sigset_t all;
    sigset_t previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    std::thread(ReclaimHugeArena, mallctl, kApplied.huge_arena).detach();
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  });
}

void ReleaseHugeArenaPages() {
  if (!kApplied.huge_arena_kept) return;
  static const MallctlFn mallctl = FindMallctl();
  static const std::string purge_name = "arena." + std::to_string(kApplied.huge_arena) + ".purge";
  if (mallctl != nullptr) mallctl(purge_name.c_str(), nullptr, nullptr, nullptr, 0);
}

std::string ProcessMemoryDefaults() {
  std::string out;
  if (MallctlFn mallctl = FindMallctl()) {
    out = "malloc=jemalloc-" + Read<const char*>(mallctl, "version");
    out += " (background_thread=" + Read<bool>(mallctl, "opt.background_thread");
    out += " dirty_decay_ms=" + Read<ssize_t>(mallctl, "opt.dirty_decay_ms");
    out += " muzzy_decay_ms=" + Read<ssize_t>(mallctl, "opt.muzzy_decay_ms");
    out += " oversize_threshold=" + Read<size_t>(mallctl, "opt.oversize_threshold");
    if (kApplied.huge_arena_kept) {
      out += " huge_arena_reclaim_idle_ms=" + std::to_string(kHugeArenaReclaimIdleMs);
    }
    out += " tcache=" + Read<bool>(mallctl, "opt.tcache");
    out += std::getenv("MALLOC_CONF") != nullptr ? ", MALLOC_CONF)" : ")";
  } else {
    out = "malloc=glibc malloc_mmap_threshold=";
    out += kApplied.mmap_from_env ? "MALLOC_MMAP_THRESHOLD_" : std::to_string(kMmapThresholdBytes);
  }
  out += " arrow_pool=" + arrow::default_memory_pool()->backend_name();
  out += kApplied.pool_from_env ? " (ARROW_DEFAULT_MEMORY_POOL)" : " (default jemalloc)";
  return out;
}

}  // namespace mosaico::server
