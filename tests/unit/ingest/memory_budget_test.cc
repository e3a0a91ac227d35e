// MemoryBudget (memory_budget.h): accounting, waiting and wake-up in FIFO order, reclaim from holders, oversize
// requests, cancellation and the wait limit, the default size.
#include "mosaico/ingest/memory_budget.h"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "ingest/test_util.h"

namespace mosaico::ingest {
namespace {

using namespace std::chrono_literals;
using testing::Contains;

constexpr int64_t kMiB = 1 << 20;

BudgetWait FastPoll() {
  BudgetWait w;
  w.poll_interval = 5ms;
  w.what = "upload to 'seq/topic'";
  return w;
}

// Waits (bounded) until `pred` holds.
template <typename Pred>
bool Eventually(Pred pred, std::chrono::milliseconds limit = 5000ms) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return pred();
}

// A holder whose memory can be reclaimed: Reclaim marks its reservation draining and releases it a bit later,
// like a chunk writer whose early flush encodes in the background.
class FakeHolder : public Reclaimable {
 public:
  explicit FakeHolder(MemoryReservation r, std::chrono::milliseconds encode_time = 20ms)
      : held_(std::move(r)), bytes_(held_.bytes()), encode_time_(encode_time) {}
  ~FakeHolder() override {
    if (encoder_.joinable()) encoder_.join();
  }
  int64_t ReclaimableBytes() const override { return reclaimed_ ? 0 : bytes_; }
  int64_t Reclaim() override {
    ++calls;
    if (reclaimed_) return 0;
    reclaimed_ = true;
    held_.MarkDraining();
    encoder_ = std::thread([this, r = std::move(held_)]() mutable {
      std::this_thread::sleep_for(encode_time_);
      r.Release();
    });
    return bytes_;
  }
  std::atomic<int> calls{0};

 private:
  MemoryReservation held_;
  int64_t bytes_;
  std::chrono::milliseconds encode_time_;
  bool reclaimed_ = false;
  std::thread encoder_;
};

TEST(MemoryBudgetTest, ReserveReleaseAndAbsorbKeepTheAccounts) {
  MemoryBudget budget(100);
  EXPECT_TRUE(budget.limited());
  auto a = budget.TryReserve(30);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->bytes(), 30);
  EXPECT_EQ(budget.stats().in_use, 30);
  EXPECT_FALSE(budget.TryReserve(71).has_value()) << "30 + 71 > 100";
  auto b = budget.TryReserve(70);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(budget.stats().in_use, 100);
  EXPECT_EQ(budget.stats().peak_in_use, 100);

  a->Absorb(std::move(*b));  // one reservation for a chunk of several messages
  EXPECT_EQ(a->bytes(), 100);
  EXPECT_EQ(b->bytes(), 0);
  EXPECT_EQ(budget.stats().in_use, 100);

  MemoryReservation moved = std::move(*a);
  EXPECT_EQ(a->bytes(), 0);
  moved.MarkDraining();
  EXPECT_TRUE(moved.draining());
  EXPECT_EQ(budget.stats().draining, 100);
  moved.Release();
  moved.Release();  // idempotent
  EXPECT_EQ(budget.stats().in_use, 0);
  EXPECT_EQ(budget.stats().draining, 0);

  {
    auto scoped = budget.TryReserve(40);
    ASSERT_TRUE(scoped.has_value());
    EXPECT_EQ(budget.stats().in_use, 40);
  }
  EXPECT_EQ(budget.stats().in_use, 0) << "destroying a reservation releases it";
  EXPECT_EQ(budget.TryReserve(0)->bytes(), 0);
  EXPECT_EQ(budget.stats().waits, 0);
}

TEST(MemoryBudgetTest, ZeroCapacityIsNoBudgetButStillCounts) {
  MemoryBudget budget(0);
  EXPECT_FALSE(budget.limited());
  auto r = budget.Reserve(int64_t{1} << 40);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(budget.stats().in_use, int64_t{1} << 40);
  EXPECT_TRUE(budget.TryReserve(123).has_value());
}

TEST(MemoryBudgetTest, AReservationMayOutliveItsBudget) {
  MemoryReservation r;
  {
    MemoryBudget budget(10);
    r = *budget.TryReserve(5);
  }
  r.Release();  // no crash: the shared state is still alive
  SUCCEED();
}

TEST(MemoryBudgetTest, AWaiterWakesWhenMemoryIsReleased) {
  MemoryBudget budget(100);
  auto held = *budget.TryReserve(90);
  auto waiter = std::async(std::launch::async, [&] { return budget.Reserve(20, FastPoll()); });
  ASSERT_TRUE(Eventually([&] { return budget.stats().waiting == 1; }));
  EXPECT_EQ(waiter.wait_for(50ms), std::future_status::timeout) << "90 + 20 > 100: must wait";
  held.Release();
  ASSERT_EQ(waiter.wait_for(5s), std::future_status::ready);
  auto got = waiter.get();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->bytes(), 20);
  EXPECT_EQ(budget.stats().in_use, 20);
  EXPECT_EQ(budget.stats().waits, 1);
  EXPECT_EQ(budget.stats().waiting, 0);
}

TEST(MemoryBudgetTest, WaitersAreServedInArrivalOrder) {
  MemoryBudget budget(100);
  auto held = *budget.TryReserve(100);
  auto big = std::async(std::launch::async, [&] { return budget.Reserve(60, FastPoll()); });
  ASSERT_TRUE(Eventually([&] { return budget.stats().waiting == 1; }));
  auto small = std::async(std::launch::async, [&] { return budget.Reserve(10, FastPoll()); });
  ASSERT_TRUE(Eventually([&] { return budget.stats().waiting == 2; }));
  EXPECT_FALSE(budget.TryReserve(1).has_value()) << "TryReserve does not jump the queue";

  held = MemoryReservation();  // release all 100: both fit, the first one first
  ASSERT_EQ(big.wait_for(5s), std::future_status::ready);
  ASSERT_EQ(small.wait_for(5s), std::future_status::ready);
  auto b = big.get();
  auto s = small.get();
  ASSERT_TRUE(b.ok() && s.ok());
  EXPECT_EQ(budget.stats().in_use, 70);

  // Now with a partial release: the head (50) does not fit in 30, the one behind it (5) would, and must wait.
  auto rest = *budget.TryReserve(30);  // full again
  auto head = std::async(std::launch::async, [&] { return budget.Reserve(50, FastPoll()); });
  ASSERT_TRUE(Eventually([&] { return budget.stats().waiting == 1; }));
  auto behind = std::async(std::launch::async, [&] { return budget.Reserve(5, FastPoll()); });
  ASSERT_TRUE(Eventually([&] { return budget.stats().waiting == 2; }));
  rest.Release();  // 30 free
  EXPECT_EQ(behind.wait_for(100ms), std::future_status::timeout) << "a later request overtook the head";
  b->Release();  // 90 free: head gets 50, then 5 fits too
  ASSERT_EQ(head.wait_for(5s), std::future_status::ready);
  ASSERT_EQ(behind.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(head.get().ok());
  EXPECT_TRUE(behind.get().ok());
}

TEST(MemoryBudgetTest, TheHeadWaiterReclaimsFromHoldersLargestFirst) {
  MemoryBudget budget(100);
  auto small = std::make_shared<FakeHolder>(*budget.TryReserve(20));
  auto large = std::make_shared<FakeHolder>(*budget.TryReserve(70));
  auto reg_small = budget.Register(small);
  auto reg_large = budget.Register(large);
  // 10 free; 50 needed: flushing the large holder (70) is enough, the small one stays.
  auto got = budget.Reserve(50, FastPoll());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_GE(large->calls.load(), 1);
  EXPECT_EQ(small->calls.load(), 0) << "reclaimed more than needed";
  EXPECT_EQ(budget.stats().reclaimed_bytes, 70);
  EXPECT_EQ(budget.stats().in_use, 20 + 50);
}

TEST(MemoryBudgetTest, DrainingMemoryIsWaitedForNotReclaimed) {
  MemoryBudget budget(100);
  auto encoding = *budget.TryReserve(80);
  encoding.MarkDraining();  // a chunk being encoded: will be released on its own
  auto holder = std::make_shared<FakeHolder>(*budget.TryReserve(10));
  auto reg = budget.Register(holder);
  std::thread encoder([r = std::move(encoding)]() mutable {
    std::this_thread::sleep_for(50ms);
    r.Release();
  });
  auto got = budget.Reserve(60, FastPoll());
  encoder.join();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(holder->calls.load(), 0) << "the draining 80 were enough; the holder's 10 need not be flushed";
}

TEST(MemoryBudgetTest, AnExpiredRegistrationIsNotAskedAnyMore) {
  MemoryBudget budget(100);
  auto holder = std::make_shared<FakeHolder>(*budget.TryReserve(100));
  auto reg = budget.Register(holder);
  reg.reset();
  BudgetWait w = FastPoll();
  w.max_wait = 100ms;
  auto got = budget.Reserve(10, w);
  EXPECT_FALSE(got.ok());
  EXPECT_EQ(holder->calls.load(), 0);
}

TEST(MemoryBudgetTest, ARequestLargerThanTheBudgetIsAdmittedAlone) {
  MemoryBudget budget(100);
  // Nothing else reserved: granted at once, in_use above capacity.
  {
    auto alone = budget.Reserve(250, FastPoll());
    ASSERT_TRUE(alone.ok());
    EXPECT_EQ(budget.stats().in_use, 250);
    EXPECT_FALSE(budget.TryReserve(1).has_value()) << "nothing else while it is held";
    auto small = std::async(std::launch::async, [&] { return budget.Reserve(1, FastPoll()); });
    EXPECT_EQ(small.wait_for(50ms), std::future_status::timeout);
    alone->Release();
    ASSERT_EQ(small.wait_for(5s), std::future_status::ready);
    EXPECT_TRUE(small.get().ok());
  }
  EXPECT_EQ(budget.stats().in_use, 0);

  // Something else held: it waits until everything else is released (reclaimed and drained) ...
  auto holder = std::make_shared<FakeHolder>(*budget.TryReserve(30));
  auto reg = budget.Register(holder);
  auto other = *budget.TryReserve(10);
  auto big = std::async(std::launch::async, [&] { return budget.Reserve(150, FastPoll()); });
  ASSERT_TRUE(Eventually([&] { return holder->calls.load() >= 1; })) << "the holder was asked to flush";
  EXPECT_EQ(big.wait_for(100ms), std::future_status::timeout) << "10 bytes are still held";
  other.Release();
  ASSERT_EQ(big.wait_for(5s), std::future_status::ready);
  auto got = big.get();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(budget.stats().in_use, 150);
  EXPECT_EQ(budget.stats().oversize_grants, 2);
}

TEST(MemoryBudgetTest, ACancelledWaitGivesUpAndLetsTheNextOneThrough) {
  MemoryBudget budget(100);
  auto held = *budget.TryReserve(95);
  std::atomic<bool> cancelled{false};
  BudgetWait w = FastPoll();
  w.cancelled = [&] { return cancelled.load(); };
  auto first = std::async(std::launch::async, [&] { return budget.Reserve(50, w); });
  ASSERT_TRUE(Eventually([&] { return budget.stats().waiting == 1; }));
  auto second = std::async(std::launch::async, [&] { return budget.Reserve(5, FastPoll()); });
  ASSERT_TRUE(Eventually([&] { return budget.stats().waiting == 2; }));
  EXPECT_EQ(second.wait_for(50ms), std::future_status::timeout) << "behind the first";
  cancelled = true;
  ASSERT_EQ(first.wait_for(5s), std::future_status::ready);
  auto st = first.get().status();
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.message(), "cancelled")) << st.ToString();
  EXPECT_TRUE(Contains(st.message(), "upload to 'seq/topic'")) << st.ToString();
  EXPECT_TRUE(Contains(st.message(), "--ingest-memory-mb")) << st.ToString();
  // The cancelled request left the queue: the one behind it fits in the 5 free bytes.
  ASSERT_EQ(second.wait_for(5s), std::future_status::ready);
  auto granted = second.get();
  EXPECT_TRUE(granted.ok());
  EXPECT_EQ(budget.stats().in_use, 100);
  EXPECT_EQ(budget.stats().waiting, 0);
}

TEST(MemoryBudgetTest, AWaitPastItsLimitIsUnavailableNamingTheFlags) {
  MemoryBudget budget(10 * kMiB);
  auto held = *budget.TryReserve(10 * kMiB);
  BudgetWait w = FastPoll();
  w.max_wait = 80ms;
  w.max_wait_flag = "--upload-idle-timeout-seconds";
  const auto start = std::chrono::steady_clock::now();
  auto got = budget.Reserve(kMiB, w);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 80ms);
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(Contains(got.status().message(), "--ingest-memory-mb 10")) << got.status().ToString();
  EXPECT_TRUE(Contains(got.status().message(), "--upload-idle-timeout-seconds")) << got.status().ToString();
  EXPECT_EQ(budget.stats().in_use, 10 * kMiB) << "a failed wait holds nothing";
  EXPECT_EQ(budget.stats().waiting, 0);
}

TEST(MemoryBudgetTest, ManyThreadsNeverExceedTheCapacity) {
  MemoryBudget budget(1000);
  std::atomic<int64_t> live{0};
  std::atomic<int64_t> max_live{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const int64_t bytes = 50 + (t * 37 + i * 11) % 300;
        auto r = budget.Reserve(bytes, FastPoll());
        ASSERT_TRUE(r.ok());
        const int64_t now = live += bytes;
        int64_t seen = max_live.load();
        while (now > seen && !max_live.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        live -= bytes;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(max_live.load(), 1000);
  EXPECT_LE(budget.stats().peak_in_use, 1000);
  EXPECT_EQ(budget.stats().in_use, 0);
}

TEST(MemoryBudgetTest, DefaultIsAQuarterOfTheMachineWithinFloorAndCeiling) {
  EXPECT_EQ(DefaultIngestMemoryBytes(int64_t{24} << 30), int64_t{6} << 30);
  EXPECT_EQ(DefaultIngestMemoryBytes(int64_t{512} << 20), int64_t{256} << 20) << "floor";
  EXPECT_EQ(DefaultIngestMemoryBytes(int64_t{256} << 30), int64_t{16} << 30) << "ceiling";
  EXPECT_EQ(DefaultIngestMemoryBytes(0), int64_t{1} << 30) << "unknown machine";
  EXPECT_GT(MachineMemoryBytes(), 0);
}

}  // namespace
}  // namespace mosaico::ingest
