#include "mosaico/server/process_memory.h"

#include <dlfcn.h>
#include <malloc.h>

#include <sys/types.h>

#include <cstdlib>
#include <string>
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
};

Applied ApplyDefaults() {
  Applied a;
  a.pool_from_env = std::getenv("ARROW_DEFAULT_MEMORY_POOL") != nullptr;
  if (!a.pool_from_env) ::setenv("ARROW_DEFAULT_MEMORY_POOL", "jemalloc", /*overwrite=*/0);
  a.jemalloc = FindMallctl() != nullptr;
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

}  // namespace

std::string ProcessMemoryDefaults() {
  std::string out;
  if (MallctlFn mallctl = FindMallctl()) {
    out = "malloc=jemalloc-" + Read<const char*>(mallctl, "version");
    out += " (background_thread=" + Read<bool>(mallctl, "opt.background_thread");
    out += " dirty_decay_ms=" + Read<ssize_t>(mallctl, "opt.dirty_decay_ms");
    out += " muzzy_decay_ms=" + Read<ssize_t>(mallctl, "opt.muzzy_decay_ms");
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
