// Scheduler: the periodic jobs are enqueued at start and every interval, never twice while one is waiting
// (dedup key), and a zero interval schedules nothing.
#include <atomic>

#include <gtest/gtest.h>

#include "jobs/jobs_test_util.h"
#include "mosaico/jobs/scheduler.h"

namespace mosaico::jobs::queue_testing {
namespace {

using State = catalog::JobRecord::State;
using namespace std::chrono_literals;

using SchedulerTest = QueueTest;

size_t CountOf(catalog::Catalog& cat, const std::string& kind) {
  auto all = cat.ListJobs(std::nullopt, 1000);
  EXPECT_TRUE(all.ok());
  size_t n = 0;
  for (const auto& j : *all) n += j.kind == kind;
  return n;
}

TEST_F(SchedulerTest, EnqueuesAtStartThenEveryIntervalButNeverTwiceWhileOneWaits) {
  std::atomic<int> notified{0};
  Scheduler scheduler(catalog_, {{"tick", "tick", 50000000}, {"never", "never", 0}}, [&] { ++notified; });
  scheduler.Start();
  ASSERT_TRUE(WaitFor([&] { return CountOf(*catalog_, "tick") == 1; }));
  std::this_thread::sleep_for(300ms);  // ~6 more ticks: each finds the pending one
  EXPECT_EQ(CountOf(*catalog_, "tick"), 1u);
  EXPECT_GE(notified.load(), 3);
  EXPECT_EQ(CountOf(*catalog_, "never"), 0u);

  // Once the job ran, the next tick adds a new one.
  auto claimed = catalog_->ClaimJob("w", NowNs(), kSecond);
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  ASSERT_TRUE(catalog_->CompleteJob((*claimed)->id, "w", NowNs()).ok());
  ASSERT_TRUE(WaitFor([&] { return CountOf(*catalog_, "tick") == 2; }));
  auto pending = catalog_->ListJobs(State::kPending, 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].dedup_key, "tick");
  scheduler.Stop();
  scheduler.Stop();  // idempotent
}

TEST_F(SchedulerTest, StopIsPromptWithALongInterval) {
  Scheduler scheduler(catalog_, {{"hourly", "hourly", 3600 * kSecond}});
  scheduler.Start();
  ASSERT_TRUE(WaitFor([&] { return CountOf(*catalog_, "hourly") == 1; }));
  const auto t0 = std::chrono::steady_clock::now();
  scheduler.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

}  // namespace
}  // namespace mosaico::jobs::queue_testing
