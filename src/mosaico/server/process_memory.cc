#include "mosaico/server/process_memory.h"

#include <malloc.h>

#include <cstdlib>

#include <arrow/memory_pool.h>

namespace mosaico::server {
namespace {

constexpr int kMmapThresholdBytes = 64 << 10;

struct Applied {
  bool pool_from_env = false;
  bool mmap_from_env = false;
};

Applied ApplyDefaults() {
  Applied a;
  a.pool_from_env = std::getenv("ARROW_DEFAULT_MEMORY_POOL") != nullptr;
  if (!a.pool_from_env) ::setenv("ARROW_DEFAULT_MEMORY_POOL", "jemalloc", /*overwrite=*/0);
  a.mmap_from_env = std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr;
  if (!a.mmap_from_env) ::mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
  return a;
}

// Static initialization: see the header.
const Applied kApplied = ApplyDefaults();

}  // namespace

std::string ProcessMemoryDefaults() {
  std::string out = "arrow_pool=" + arrow::default_memory_pool()->backend_name();
  out += kApplied.pool_from_env ? " (ARROW_DEFAULT_MEMORY_POOL)" : " (default jemalloc)";
  out += " malloc_mmap_threshold=";
  out += kApplied.mmap_from_env ? "MALLOC_MMAP_THRESHOLD_" : std::to_string(kMmapThresholdBytes);
  return out;
}

}  // namespace mosaico::server
