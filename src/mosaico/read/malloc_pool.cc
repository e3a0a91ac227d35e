#include "mosaico/read/malloc_pool.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace mosaico::read {
namespace {

alignas(256) uint8_t zero_size_area[1];

bool Aligned(const void* p, int64_t alignment) {
  return reinterpret_cast<uintptr_t>(p) % static_cast<uintptr_t>(alignment) == 0;
}

class MallocPool final : public arrow::MemoryPool {
 public:
  using arrow::MemoryPool::Allocate;
  using arrow::MemoryPool::Free;
  using arrow::MemoryPool::Reallocate;

  arrow::Status Allocate(int64_t size, int64_t alignment, uint8_t** out) override {
    if (size < 0) return arrow::Status::Invalid("negative malloc size");
    alignment = std::max<int64_t>(alignment, arrow::kDefaultBufferAlignment);
    if (size == 0) {
      *out = zero_size_area;
      return arrow::Status::OK();
    }
    ARROW_RETURN_NOT_OK(AlignedAlloc(size, alignment, out));
    Count(size);
    return arrow::Status::OK();
  }

  arrow::Status Reallocate(int64_t old_size, int64_t new_size, int64_t alignment, uint8_t** ptr) override {
    if (new_size < 0) return arrow::Status::Invalid("negative realloc size");
    alignment = std::max<int64_t>(alignment, arrow::kDefaultBufferAlignment);
    if (*ptr == zero_size_area) {
      ARROW_RETURN_NOT_OK(Allocate(new_size, alignment, ptr));
      return arrow::Status::OK();
    }
    if (new_size == 0) {
      Free(*ptr, old_size, alignment);
      *ptr = zero_size_area;
      return arrow::Status::OK();
    }
    void* moved = std::realloc(*ptr, static_cast<size_t>(new_size));
    if (moved == nullptr) return arrow::Status::OutOfMemory("realloc of size ", new_size, " failed");
    if (!Aligned(moved, alignment)) {
      uint8_t* aligned = nullptr;
      auto st = AlignedAlloc(new_size, alignment, &aligned);
      if (!st.ok()) {
        *ptr = static_cast<uint8_t*>(moved);  // still holds the data (old contents); the caller frees it as before
        return st;
      }
      std::memcpy(aligned, moved, static_cast<size_t>(std::min(old_size, new_size)));
      std::free(moved);
      moved = aligned;
    }
    *ptr = static_cast<uint8_t*>(moved);
    Count(new_size - old_size);
    return arrow::Status::OK();
  }

  void Free(uint8_t* buffer, int64_t size, int64_t) override {
    if (buffer == zero_size_area) return;
    std::free(buffer);
    bytes_allocated_.fetch_sub(size, std::memory_order_relaxed);
  }

  int64_t bytes_allocated() const override { return bytes_allocated_.load(std::memory_order_relaxed); }
  int64_t max_memory() const override { return max_memory_.load(std::memory_order_relaxed); }
  int64_t total_bytes_allocated() const override { return total_bytes_.load(std::memory_order_relaxed); }
  int64_t num_allocations() const override { return allocations_.load(std::memory_order_relaxed); }
  std::string backend_name() const override { return "malloc-realloc"; }

 private:
  static arrow::Status AlignedAlloc(int64_t size, int64_t alignment, uint8_t** out) {
    void* p = nullptr;
    if (posix_memalign(&p, static_cast<size_t>(alignment), static_cast<size_t>(size)) != 0 || p == nullptr) {
      return arrow::Status::OutOfMemory("malloc of size ", size, " failed");
    }
    *out = static_cast<uint8_t*>(p);
    return arrow::Status::OK();
  }

  void Count(int64_t delta) {
    const int64_t now = bytes_allocated_.fetch_add(delta, std::memory_order_relaxed) + delta;
    if (delta > 0) total_bytes_.fetch_add(delta, std::memory_order_relaxed);
    allocations_.fetch_add(1, std::memory_order_relaxed);
    int64_t peak = max_memory_.load(std::memory_order_relaxed);
    while (now > peak && !max_memory_.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
  }

  std::atomic<int64_t> bytes_allocated_{0};
  std::atomic<int64_t> max_memory_{0};
  std::atomic<int64_t> total_bytes_{0};
  std::atomic<int64_t> allocations_{0};
};

}  // namespace

arrow::MemoryPool* ProcessMallocPool() {
  static MallocPool* pool = new MallocPool();  // never destroyed: buffers may outlive static destruction
  return pool;
}

}  // namespace mosaico::read
