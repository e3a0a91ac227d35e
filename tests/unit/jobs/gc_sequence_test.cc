// Store GC driven by the operations (issue 12): gc_sequence removes the garbage of one sequence without listing
// the catalog or looking at another sequence's objects; a recovery mark that ran enqueues it, due once the garbage
// is old enough; young garbage gets a follow-up job; the full sweep is no longer scheduled by default, while
// finished jobs are still pruned on a schedule.
#include <gtest/gtest.h>

#include <atomic>

#include "jobs/compaction_test_util.h"
#include "jobs/jobs_test_util.h"
#include "mosaico/jobs/background_jobs.h"
#include "mosaico/jobs/gc.h"
#include "mosaico/lifecycle/recovery_marks.h"

namespace mosaico::jobs::queue_testing {
namespace {

namespace layout = store::layout;
using State = catalog::JobRecord::State;

class CountingCatalog : public jobs::testing::ForwardingCatalog {
 public:
  using ForwardingCatalog::ForwardingCatalog;
  arrow::Result<std::vector<catalog::SequenceRecord>> ListSequences() override {
    ++listings;
    return ForwardingCatalog::ListSequences();
  }
  arrow::Result<std::vector<std::string>> ListOpenSequences() override {
    ++listings;
    return inner().ListOpenSequences();
  }
  std::atomic<int> listings{0};
};

class GcSequenceTest : public QueueTest {
 protected:
  std::vector<catalog::JobRecord> JobsOf(const std::string& kind) {
    std::vector<catalog::JobRecord> out;
    auto all = catalog_->ListJobs(std::nullopt, 1000);
    EXPECT_TRUE(all.ok());
    if (all.ok()) {
      for (const auto& j : *all) {
        if (j.kind == kind) out.push_back(j);
      }
    }
    return out;
  }
};

TEST_F(GcSequenceTest, OneSequenceWithoutListingTheCatalog) {
  for (const char* seq : {"a", "b", "c"}) OpenSession(seq, {"imu"});
  const std::string cut_a = NewUlid(NowNs()), cut_b = NewUlid(NowNs());
  PutInterruptedUpload("a", "imu", cut_a);
  PutInterruptedUpload("b", "imu", cut_b);
  auto counting = std::make_shared<CountingCatalog>(catalog_);
  lifecycle::Lifecycle lc(counting, store_);
  GcOptions o;
  o.only_sequences = std::set<std::string>{"a"};
  auto report = CollectGarbage(lc, o, NowNs() + 2 * kHour);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->removed.size(), 1u);
  EXPECT_EQ(report->removed[0].subject, layout::UploadDir("a", "imu", cut_a));
  EXPECT_FALSE(Exists(layout::ChunkObject("a", "imu", cut_a, 0)));
  EXPECT_TRUE(Exists(layout::ChunkObject("b", "imu", cut_b, 0)));  // another sequence: not looked at
  EXPECT_EQ(counting->listings.load(), 0);
  // The full sweep (what gc_store did every hour) lists the catalog and takes b's garbage too.
  o.only_sequences.reset();
  report = CollectGarbage(lc, o, NowNs() + 2 * kHour);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->removed.size(), 1u);
  EXPECT_GT(counting->listings.load(), 0);
}

TEST_F(GcSequenceTest, YoungGarbageGetsAFollowUpJob) {
  OpenSession("a", {"imu"});
  const std::string cut = NewUlid(NowNs());
  PutInterruptedUpload("a", "imu", cut);
  ASSERT_TRUE(store_->PutAtomic("sequences/a/.tmp-77", "half").ok());
  auto job = MustEnqueue(kGcSequenceJob, R"({"sequence":"a"})");
  GcOptions o;
  const int64_t now = NowNs();
  ASSERT_TRUE(RunGcSequenceJob(job, *lc_, o, now).ok());
  EXPECT_TRUE(Exists(layout::ChunkObject("a", "imu", cut, 0)));  // too young
  auto all = JobsOf(kGcSequenceJob);
  ASSERT_EQ(all.size(), 2u);  // the one run by hand, and the follow-up
  const catalog::JobRecord follow = all[0].id == job.id ? all[1] : all[0];
  EXPECT_GE(follow.run_after_ns, now + o.min_age_ns);
  ASSERT_TRUE(RunGcSequenceJob(follow, *lc_, o, now + 2 * kHour).ok());
  EXPECT_FALSE(Exists(layout::ChunkObject("a", "imu", cut, 0)));
  EXPECT_EQ(JobsOf(kGcSequenceJob).size(), 2u);  // nothing left: no further job
}

TEST_F(GcSequenceTest, ARecoveryMarkThatRanEnqueuesTheSequencesGc) {
  OpenSession("a", {"imu"});
  BackgroundJobsConfig c;
  c.runner.workers = 1;
  c.runner.idle_poll_ns = 10000000;
  c.sweep_interval_ns = 0;
  c.prune_jobs_interval_ns = 0;
  c.gc.min_age_ns = kHour;
  ASSERT_TRUE(lifecycle::MarkSequencePending(*catalog_, "a", NowNs() - 10 * 60 * kSecond).ok());  // due now
  const int64_t before = NowNs();
  auto jobs = BackgroundJobs::Start(lc_, c);
  ASSERT_NE(jobs, nullptr);
  ASSERT_TRUE(WaitFor([&] { return !JobsOf(kGcSequenceJob).empty(); }));
  jobs->Stop();
  auto gc = JobsOf(kGcSequenceJob);
  ASSERT_EQ(gc.size(), 1u);
  EXPECT_EQ(gc[0].payload_json, R"({"sequence":"a"})");
  EXPECT_EQ(gc[0].state, State::kPending);
  EXPECT_GE(gc[0].run_after_ns, before + kHour);  // once the operation's garbage is old enough
  EXPECT_TRUE(JobsOf(kGcStoreJob).empty());       // the full sweep is not scheduled by default
}

TEST_F(GcSequenceTest, DefaultScheduleHasNoFullSweepButPrunesJobs) {
  BackgroundJobsConfig c;
  bool prune = false;
  for (const auto& s : BuiltinSchedule(c)) {
    if (s.kind == kGcStoreJob) EXPECT_LE(s.interval_ns, 0);
    if (s.kind == kPruneJobsJob) prune = s.interval_ns > 0;
  }
  EXPECT_TRUE(prune);
}

}  // namespace
}  // namespace mosaico::jobs::queue_testing
