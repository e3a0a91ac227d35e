// BackgroundJobs: the daemon's wiring of runner, handlers and schedule; 0 workers runs nothing.
#include <gtest/gtest.h>

#include "jobs/jobs_test_util.h"
#include "mosaico/jobs/background_jobs.h"

namespace mosaico::jobs::queue_testing {
namespace {

using State = catalog::JobRecord::State;
using BackgroundJobsTest = QueueTest;

BackgroundJobsConfig Quick() {
  BackgroundJobsConfig c;
  c.runner.workers = 1;
  c.runner.idle_poll_ns = 10000000;
  c.sweep_interval_ns = 3600 * kSecond;
  c.gc_interval_ns = 3600 * kSecond;
  return c;
}

bool Finished(catalog::Catalog& cat, const std::string& kind) {
  auto done = cat.ListJobs(State::kDone, 100);
  if (!done.ok()) return false;
  for (const auto& j : *done) {
    if (j.kind == kind) return true;
  }
  return false;
}

TEST_F(BackgroundJobsTest, RunsTheScheduledSweepsAtStart) {
  auto jobs = BackgroundJobs::Start(lc_, Quick());
  ASSERT_NE(jobs, nullptr);
  EXPECT_TRUE(WaitFor([&] { return Finished(*catalog_, kSweepAbandonedSessionsJob) && Finished(*catalog_, kGcStoreJob); }));
  jobs->Stop();
}

TEST_F(BackgroundJobsTest, EveryBuiltinKindHasAHandler) {
  auto jobs = BackgroundJobs::Start(lc_, Quick());
  ASSERT_NE(jobs, nullptr);
  const std::string id = NewUlid(NowNs());
  PutInterruptedUpload("rec", "imu", id);
  auto del = MustEnqueue(kDeleteUploadJob, R"({"sequence":"rec","topic":"imu","upload_id":")" + id + R"("})");
  jobs->runner().Wake();
  ASSERT_TRUE(WaitFor([&] { return Job(del.id).state == State::kDone; }));
  EXPECT_FALSE(Exists(store::layout::ChunkObject("rec", "imu", id, 0)));
  jobs->Stop();
}

TEST_F(BackgroundJobsTest, ZeroWorkersRunNothingHere) {
  BackgroundJobsConfig c = Quick();
  c.runner.workers = 0;
  EXPECT_EQ(BackgroundJobs::Start(lc_, c), nullptr);
  auto all = catalog_->ListJobs(std::nullopt, 10);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

TEST_F(BackgroundJobsTest, BuiltinScheduleUsesTheKindsAsDedupKeys) {
  auto schedule = BuiltinSchedule(Quick());
  ASSERT_EQ(schedule.size(), 3u);
  for (const auto& s : schedule) EXPECT_EQ(s.kind, s.dedup_key);
}

}  // namespace
}  // namespace mosaico::jobs::queue_testing
