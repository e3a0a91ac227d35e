#include "mosaico/ingest/memory_budget.h"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <fstream>
#include <list>
#include <mutex>
#include <vector>

#include <spdlog/spdlog.h>

#include "mosaico/core/errors.h"

namespace mosaico::ingest {
namespace detail {

// One waiting request. Each has its own condition variable: a release wakes the head only, not every waiter
// (hundreds of waiting streams woken for each release would spend the CPU the encodes need).
struct Waiter {
  std::condition_variable cv;
};

struct BudgetState {
  std::mutex mu;
  int64_t capacity = 0;
  int64_t in_use = 0;
  int64_t draining = 0;
  int64_t peak_in_use = 0;
  std::deque<Waiter*> queue;  // the waiting requests, FIFO; each lives on its waiter's stack while queued
  bool reclaiming = false;     // one head at a time asks holders to flush
  int64_t waits = 0;
  int64_t oversize_grants = 0;
  int64_t reclaimed_bytes = 0;
  std::list<std::weak_ptr<Reclaimable>> holders;
  std::chrono::steady_clock::time_point last_full_log{};
  std::chrono::steady_clock::time_point last_oversize_log{};
  int64_t oversize_unlogged = 0;

  void GrantLocked(int64_t bytes) {
    in_use += bytes;
    peak_in_use = std::max(peak_in_use, in_use);
  }
  void ReleaseLocked(int64_t bytes, bool was_draining) {
    in_use -= bytes;
    if (was_draining) draining -= bytes;
    WakeHeadLocked();
  }
  void WakeHeadLocked() {
    if (!queue.empty()) queue.front()->cv.notify_one();
  }
};

}  // namespace detail

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kInfoLogEvery = std::chrono::seconds(30);

int64_t Mib(int64_t bytes) { return bytes >> 20; }

}  // namespace

// --- MemoryReservation --------------------------------------------------------------------------------------------

MemoryReservation::MemoryReservation(MemoryReservation&& other) noexcept
    : state_(std::move(other.state_)), bytes_(other.bytes_), draining_(other.draining_) {
  other.state_.reset();
  other.bytes_ = 0;
  other.draining_ = false;
}

MemoryReservation& MemoryReservation::operator=(MemoryReservation&& other) noexcept {
  if (this != &other) {
    Release();
    state_ = std::move(other.state_);
    bytes_ = other.bytes_;
    draining_ = other.draining_;
    other.state_.reset();
    other.bytes_ = 0;
    other.draining_ = false;
  }
  return *this;
}

void MemoryReservation::Release() {
  if (state_ && bytes_ > 0) {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->ReleaseLocked(bytes_, draining_);
  }
  state_.reset();
  bytes_ = 0;
  draining_ = false;
}

void MemoryReservation::Absorb(MemoryReservation&& other) {
  if (other.bytes_ <= 0) {
    other.Release();
    return;
  }
  if (!state_) state_ = other.state_;
  if (state_ == other.state_ && !draining_ && !other.draining_) {
    bytes_ += other.bytes_;
    other.state_.reset();
    other.bytes_ = 0;
    return;
  }
  // A caller bug (the contract forbids it): keep the counters right by giving `other` back at once.
  spdlog::error("event=ingest_memory_bug note=\"MemoryReservation::Absorb of a foreign or draining reservation\"");
  other.Release();
}

void MemoryReservation::MarkDraining() {
  if (!state_ || bytes_ <= 0 || draining_) return;
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->draining += bytes_;
  draining_ = true;
}

// --- MemoryBudget -------------------------------------------------------------------------------------------------

MemoryBudget::MemoryBudget(int64_t capacity_bytes) : state_(std::make_shared<detail::BudgetState>()) {
  state_->capacity = capacity_bytes > 0 ? capacity_bytes : 0;
}

MemoryBudget::~MemoryBudget() = default;

int64_t MemoryBudget::capacity() const { return state_->capacity; }

std::optional<MemoryReservation> MemoryBudget::TryReserve(int64_t bytes) {
  if (bytes <= 0) return MemoryReservation(state_, 0);
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->capacity > 0 && (!state_->queue.empty() || state_->in_use + bytes > state_->capacity)) {
    return std::nullopt;
  }
  state_->GrantLocked(bytes);
  return MemoryReservation(state_, bytes);
}

arrow::Result<MemoryReservation> MemoryBudget::Reserve(int64_t bytes, const BudgetWait& wait) {
  if (bytes <= 0) return MemoryReservation(state_, 0);
  detail::BudgetState& s = *state_;
  std::unique_lock<std::mutex> lock(s.mu);
  const bool oversize = s.capacity > 0 && bytes > s.capacity;
  auto fits = [&] { return oversize ? s.in_use == 0 : s.in_use + bytes <= s.capacity; };
  if (s.capacity <= 0 || (s.queue.empty() && fits())) {
    s.GrantLocked(bytes);
    if (oversize) ++s.oversize_grants;
    return MemoryReservation(state_, bytes);
  }

  detail::Waiter self;
  s.queue.push_back(&self);
  ++s.waits;
  const auto start = Clock::now();
  spdlog::debug("event=ingest_memory_wait what=\"{}\" bytes={} in_use={} draining={} capacity={} waiting={}",
                wait.what, bytes, s.in_use, s.draining, s.capacity, s.queue.size());
  if (start - s.last_full_log >= kInfoLogEvery) {
    s.last_full_log = start;
    spdlog::info("event=ingest_memory_full capacity_mib={} in_use_mib={} draining_mib={} waiting={} waits_total={} "
                 "reclaimed_mib={} note=\"uploads wait for memory (--ingest-memory-mb); logged at most every 30 s\"",
                 Mib(s.capacity), Mib(s.in_use), Mib(s.draining), s.queue.size(), s.waits, Mib(s.reclaimed_bytes));
  }
  auto leave_queue = [&] {
    s.queue.erase(std::find(s.queue.begin(), s.queue.end(), &self));
    s.WakeHeadLocked();  // the next request may be the head now, and may fit
  };

  while (true) {
    const bool head = s.queue.front() == &self;
    if (head && fits()) {
      s.queue.pop_front();
      s.GrantLocked(bytes);
      const auto waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
      spdlog::debug("event=ingest_memory_granted what=\"{}\" bytes={} waited_ms={} in_use={} capacity={}", wait.what,
                    bytes, waited_ms, s.in_use, s.capacity);
      if (oversize) {
        ++s.oversize_grants;
        const auto now = Clock::now();
        if (now - s.last_oversize_log >= kInfoLogEvery) {
          s.last_oversize_log = now;
          spdlog::warn("event=ingest_memory_oversize what=\"{}\" bytes={} capacity={} suppressed={} "
                       "note=\"a message larger than the whole ingest budget was admitted alone; raise "
                       "--ingest-memory-mb above --max-message-mb\"",
                       wait.what, bytes, s.capacity, s.oversize_unlogged);
          s.oversize_unlogged = 0;
        } else {
          ++s.oversize_unlogged;
        }
      }
      s.WakeHeadLocked();  // the next head may fit as well
      return MemoryReservation(state_, bytes);
    }
    if (wait.cancelled && wait.cancelled()) {
      leave_queue();
      return Aborted(wait.what + " was cancelled while waiting for ingest memory (--ingest-memory-mb)");
    }
    const auto now = Clock::now();
    if (wait.max_wait > Clock::duration::zero() && now - start >= wait.max_wait) {
      leave_queue();
      const auto secs = std::chrono::duration_cast<std::chrono::duration<double>>(wait.max_wait).count();
      return Unavailable(wait.what + " waited " + std::to_string(static_cast<int64_t>(secs)) + " s for " +
                         std::to_string(bytes) + " bytes of ingest memory (--ingest-memory-mb " +
                         std::to_string(Mib(s.capacity)) + ", " + std::to_string(Mib(s.in_use)) + " MiB in use" +
                         (wait.max_wait_flag.empty() ? "" : ", wait limit " + wait.max_wait_flag) +
                         "); retry later");
    }
    if (head && !s.reclaiming) {
      // What is neither free nor draining must be flushed early for this request to fit.
      const int64_t settled = s.in_use - s.draining;
      int64_t needed = oversize ? settled : settled + bytes - s.capacity;
      // In bulk, down to half the capacity: one round then admits many waiters and the early chunks encode in
      // parallel, instead of one small flush (and one encode's latency) per waiter.
      if (needed > 0) needed = std::max(needed, settled - s.capacity / 2);
      if (needed > 0) {
        s.reclaiming = true;
        lock.unlock();
        const int64_t got = ReclaimFromHolders(needed);
        lock.lock();
        s.reclaiming = false;
        s.reclaimed_bytes += got;
        if (got > 0) {
          spdlog::debug("event=ingest_memory_reclaim what=\"{}\" needed={} flushed={}", wait.what, needed, got);
          continue;  // re-check at once: a flush may already have completed
        }
      }
    }
    self.cv.wait_for(lock, wait.poll_interval);
  }
}

int64_t MemoryBudget::ReclaimFromHolders(int64_t needed) {
  std::vector<std::shared_ptr<Reclaimable>> live;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    for (auto it = state_->holders.begin(); it != state_->holders.end(); ++it) {
      if (auto h = it->lock()) live.push_back(std::move(h));
    }
  }
  std::vector<std::pair<int64_t, Reclaimable*>> order;
  order.reserve(live.size());
  for (const auto& h : live) {
    const int64_t b = h->ReclaimableBytes();
    if (b > 0) order.emplace_back(b, h.get());
  }
  // Largest first: the fewest early flushes, the largest early chunks.
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  int64_t got = 0;
  for (const auto& [_, holder] : order) {
    if (got >= needed) break;
    got += holder->Reclaim();
  }
  return got;
}

MemoryBudget::Registration MemoryBudget::Register(std::weak_ptr<Reclaimable> holder) {
  std::shared_ptr<detail::BudgetState> state = state_;
  std::list<std::weak_ptr<Reclaimable>>::iterator it;
  {
    std::lock_guard<std::mutex> lock(state->mu);
    it = state->holders.insert(state->holders.end(), std::move(holder));
  }
  return Registration(state.get(), [state, it](void*) {
    std::lock_guard<std::mutex> lock(state->mu);
    state->holders.erase(it);
  });
}

MemoryBudget::Stats MemoryBudget::stats() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  Stats out;
  out.capacity = state_->capacity;
  out.in_use = state_->in_use;
  out.draining = state_->draining;
  out.peak_in_use = state_->peak_in_use;
  out.waiting = static_cast<int64_t>(state_->queue.size());
  out.waits = state_->waits;
  out.oversize_grants = state_->oversize_grants;
  out.reclaimed_bytes = state_->reclaimed_bytes;
  return out;
}

// --- defaults -----------------------------------------------------------------------------------------------------

int64_t DefaultIngestMemoryBytes(int64_t machine_bytes) {
  constexpr int64_t kFloor = 256LL << 20;
  constexpr int64_t kCeiling = 16LL << 30;
  if (machine_bytes <= 0) return 1LL << 30;
  return std::clamp(machine_bytes / 4, kFloor, kCeiling);
}

namespace {

// A cgroup memory limit file: a number of bytes, or "max" / a huge value when unlimited. 0: none.
int64_t ReadCgroupLimit(const char* path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max") return 0;
  try {
    const unsigned long long v = std::stoull(text);
    if (v == 0 || v >= (1ULL << 62)) return 0;  // cgroup v1 reports "unlimited" as a page-rounded INT64_MAX
    return static_cast<int64_t>(v);
  } catch (...) {
    return 0;
  }
}

}  // namespace

int64_t MachineMemoryBytes() {
  int64_t total = 0;
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0) total = static_cast<int64_t>(pages) * page;
  for (const char* path : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    const int64_t limit = ReadCgroupLimit(path);
    if (limit > 0 && (total <= 0 || limit < total)) total = limit;
  }
  return total;
}

}  // namespace mosaico::ingest
