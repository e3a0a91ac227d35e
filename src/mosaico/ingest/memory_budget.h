// MemoryBudget: the daemon-wide ingest memory budget (--ingest-memory-mb, docs/SECURITY.md "Limits").
//
// What it counts: the Arrow bytes (arrow::util::TotalBufferSize) of the DoPut messages ingest holds -- batches
// buffered in a chunk being built, and chunks being sorted, encoded and written. Every open upload stream draws on
// the one budget, so memory follows the data in flight, not the number of streams.
//
//   MemoryBudget budget(256 << 20);
//   ARROW_ASSIGN_OR_RAISE(MemoryReservation r, budget.Reserve(bytes, wait));   // may wait
//   held.Absorb(std::move(r));          // ... a chunk of several messages holds one reservation
//   held.MarkDraining();                // handed to a background encode: released when the encode ends
//
// Contract:
//  - Reserve(bytes) grants at once when in_use + bytes <= capacity and nobody waits ahead; otherwise the caller
//    waits in FIFO order (a large request is not starved by a stream of small ones). TryReserve never waits and
//    also refuses while anybody waits. A DoPut stream reserves a message after gRPC delivered it and before it
//    appends it, so while it waits it reads nothing more and gRPC flow control holds its client.
//  - No deadlock: the first waiter ("head") looks at what would be left once every draining reservation (chunks
//    being encoded: they end on their own) is released; when even that is too little it asks the registered
//    Reclaimables -- every upload's chunk writer, including idle streams and the waiting streams themselves, whose
//    threads hold nothing while they wait -- to flush their partly built chunks early, largest first, until
//    enough is draining: in bulk, until at most half the capacity is held outside draining chunks (so one round
//    admits many waiters and the early chunks encode in parallel). Held memory is therefore always free,
//    draining or reclaimable. Early flushes make smaller chunks; compaction (jobs/compaction.h) merges them once
//    the topic is finalized.
//  - Oversize: a request larger than the whole capacity is granted alone: when it is the head and nothing else is
//    reserved (everything else reclaimed and drained). in_use then exceeds capacity until it is released, and
//    every other request waits meanwhile. It is counted in stats().oversize_grants.
//  - A wait ends with the status of the request: Aborted ("... cancelled while waiting for ingest memory") as
//    soon as wait.cancelled() returns true (polled every wait.poll_interval and whenever woken), Unavailable
//    naming --ingest-memory-mb when wait.max_wait (> 0) passes. The caller then holds nothing new.
//  - capacity <= 0: no budget. Every request is granted at once (still counted: stats()).
//  - Thread-safe. A MemoryReservation may outlive the MemoryBudget (it keeps the shared state alive) and may be
//    released from any thread; releasing wakes the first waiter only (each waiter has its own condition variable:
//    hundreds of waiting streams are not all woken per release), and a waiter that is granted wakes the next.
//  - Reclaimable::Reclaim is called from a waiting thread without any budget lock held; it must not wait for
//    budget itself. A registration lasts while the returned token lives; after the token is destroyed Reclaim is
//    not called any more (a call in progress may still finish: holders guard themselves, see chunk_writer.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <arrow/result.h>
#include <arrow/status.h>

namespace mosaico::ingest {

namespace detail {
struct BudgetState;
}

// Something holding budgeted memory that it can give back on request (a chunk writer's partly built chunk).
class Reclaimable {
 public:
  virtual ~Reclaimable() = default;
  // Bytes Reclaim() could move to draining right now (a hint for ordering; may be stale).
  virtual int64_t ReclaimableBytes() const = 0;
  // Starts releasing held memory without waiting for budget; returns the bytes moved to draining (released
  // when their background work ends), 0 when there is nothing to give or the holder is busy.
  virtual int64_t Reclaim() = 0;
};

// Bytes reserved from a MemoryBudget; released when destroyed. Movable, not copyable.
class MemoryReservation {
 public:
  MemoryReservation() = default;
  ~MemoryReservation() { Release(); }
  MemoryReservation(MemoryReservation&& other) noexcept;
  MemoryReservation& operator=(MemoryReservation&& other) noexcept;
  MemoryReservation(const MemoryReservation&) = delete;
  MemoryReservation& operator=(const MemoryReservation&) = delete;

  int64_t bytes() const { return bytes_; }
  bool draining() const { return draining_; }
  // Gives every byte back to the budget (and wakes its waiters). Idempotent.
  void Release();
  // Takes over `other`'s bytes (same budget, or this one empty). Neither may be draining.
  void Absorb(MemoryReservation&& other);
  // These bytes will be released without anybody's help (a background encode owns them): the head waiter no
  // longer asks for them to be reclaimed.
  void MarkDraining();

 private:
  friend class MemoryBudget;
  MemoryReservation(std::shared_ptr<detail::BudgetState> state, int64_t bytes)
      : state_(std::move(state)), bytes_(bytes) {}

  std::shared_ptr<detail::BudgetState> state_;
  int64_t bytes_ = 0;
  bool draining_ = false;
};

struct BudgetWait {
  // Polled with the budget's lock held: must be cheap and must not use the budget. Unset: never cancelled.
  std::function<bool()> cancelled;
  std::chrono::steady_clock::duration max_wait{};  // <= 0: no limit
  std::chrono::milliseconds poll_interval{50};
  std::string what = "upload";  // names the waiter in logs and errors: "upload to 'seq/topic'"
  // Added to the Unavailable message when max_wait passes, e.g. the flag that set max_wait.
  std::string max_wait_flag;
};

class MemoryBudget {
 public:
  struct Stats {
    int64_t capacity = 0;
    int64_t in_use = 0;
    int64_t draining = 0;
    int64_t peak_in_use = 0;
    int64_t waiting = 0;          // requests waiting now
    int64_t waits = 0;            // requests that had to wait, ever
    int64_t oversize_grants = 0;  // requests larger than the capacity, granted alone
    int64_t reclaimed_bytes = 0;  // bytes flushed early at a waiter's request
  };

  explicit MemoryBudget(int64_t capacity_bytes);  // <= 0: no budget
  ~MemoryBudget();
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  int64_t capacity() const;
  bool limited() const { return capacity() > 0; }

  // `bytes` at once, or nothing (also when others wait). bytes <= 0: an empty reservation.
  std::optional<MemoryReservation> TryReserve(int64_t bytes);
  // `bytes`, waiting as the contract says.
  arrow::Result<MemoryReservation> Reserve(int64_t bytes, const BudgetWait& wait = {});

  // Reclaim() may be called on `holder` until the token is destroyed.
  using Registration = std::shared_ptr<void>;
  Registration Register(std::weak_ptr<Reclaimable> holder);

  Stats stats() const;

 private:
  // Asks holders to flush until `needed` bytes are draining; returns the bytes they moved to draining.
  int64_t ReclaimFromHolders(int64_t needed);

  std::shared_ptr<detail::BudgetState> state_;
};

// The default budget for a machine with `machine_bytes` of memory: a quarter of it, at least 256 MiB, at most
// 16 GiB (see docs/SECURITY.md "Limits"). machine_bytes <= 0 (unknown): 1 GiB.
int64_t DefaultIngestMemoryBytes(int64_t machine_bytes);
// The memory this process may use: physical RAM, or the cgroup (v2 memory.max, v1 memory.limit_in_bytes) limit
// when that is lower; 0 when unknown.
int64_t MachineMemoryBytes();

}  // namespace mosaico::ingest
