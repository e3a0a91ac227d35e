// The event queue of the SQLite catalog (catalog.h, JobRecord): enqueue and dedup, claim order and run_after,
// lease expiry and reclaim, ownership of complete / fail / renew, retry and give-up, listing and pruning, and two
// connections on one file claiming concurrently. Run on every backend (catalog_test_util.h, OnEachBackend).
#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"

namespace mosaico::catalog::testing {
namespace {

using State = JobRecord::State;
constexpr int64_t kSec = 1000000000;

class JobsTest : public OnEachBackend<CatalogTest> {
 protected:
  JobRecord Enqueue(const std::string& kind, const std::string& dedup = "", int64_t run_after = 0,
                    int64_t now = 1000, const std::string& payload = "{}") {
    auto r = catalog_->EnqueueJob(kind, payload, dedup, run_after, now);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : JobRecord{};
  }

  std::optional<JobRecord> Claim(const std::string& owner, int64_t now, int64_t lease = 10 * kSec) {
    auto r = catalog_->ClaimJob(owner, now, lease);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::nullopt;
  }

  JobRecord Get(int64_t id) {
    auto all = catalog_->ListJobs(std::nullopt, 1000);
    EXPECT_TRUE(all.ok());
    for (const auto& j : *all) {
      if (j.id == id) return j;
    }
    ADD_FAILURE() << "job " << id << " not listed";
    return {};
  }
};

TEST_P(JobsTest, EnqueueReturnsTheCompleteRecord) {
  JobRecord j = Enqueue("gc_store", "", 500, 1000, R"({"a":1})");
  EXPECT_GT(j.id, 0);
  EXPECT_EQ(j.kind, "gc_store");
  EXPECT_EQ(j.payload_json, R"({"a":1})");
  EXPECT_EQ(j.dedup_key, "");
  EXPECT_EQ(j.state, State::kPending);
  EXPECT_EQ(j.attempts, 0);
  EXPECT_EQ(j.run_after_ns, 500);
  EXPECT_EQ(j.lease_owner, "");
  EXPECT_EQ(j.created_at_ns, 1000);
  EXPECT_EQ(j.updated_at_ns, 1000);
  EXPECT_TRUE(catalog_->EnqueueJob("", "{}", "", 0, 0).status().IsInvalid());
}

TEST_P(JobsTest, DedupKeyHoldsOneActiveJobAtATime) {
  JobRecord a = Enqueue("sweep", "k");
  JobRecord again = Enqueue("sweep", "k", 99, 2000, R"({"other":true})");
  EXPECT_EQ(again.id, a.id);  // the existing job, unchanged
  EXPECT_EQ(again.run_after_ns, a.run_after_ns);
  EXPECT_EQ(again.payload_json, "{}");
  EXPECT_NE(Enqueue("sweep", "other-key").id, a.id);
  // Jobs without a key never dedup.
  EXPECT_NE(Enqueue("x").id, Enqueue("x").id);

  // Still held while running; released once done.
  auto claimed = Claim("w1", 5000);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->id, a.id);
  EXPECT_EQ(Enqueue("sweep", "k").id, a.id);
  MOSAICO_ASSERT_OK(catalog_->CompleteJob(a.id, "w1", 6000));
  JobRecord next = Enqueue("sweep", "k", 0, 7000);
  EXPECT_NE(next.id, a.id);
  EXPECT_EQ(next.state, State::kPending);
  EXPECT_EQ(Enqueue("sweep", "k").id, next.id);
}

TEST_P(JobsTest, DedupKeyIsReleasedByGivingUp) {
  JobRecord a = Enqueue("sweep", "k");
  ASSERT_TRUE(Claim("w", 10));
  MOSAICO_ASSERT_OK(catalog_->FailJob(a.id, "w", "boom", 0, /*give_up=*/true, 20));
  EXPECT_NE(Enqueue("sweep", "k").id, a.id);
}

TEST_P(JobsTest, ClaimsInRunAfterThenIdOrderAndRespectsRunAfter) {
  JobRecord late = Enqueue("a", "", 300);
  JobRecord early1 = Enqueue("b", "", 100);
  JobRecord early2 = Enqueue("c", "", 100);
  JobRecord future = Enqueue("d", "", 10 * kSec);

  EXPECT_FALSE(Claim("w", 50));  // nothing runnable yet
  auto first = Claim("w", 1000);
  auto second = Claim("w", 1000);
  auto third = Claim("w", 1000);
  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(first->id, early1.id);
  EXPECT_EQ(second->id, early2.id);
  EXPECT_EQ(third->id, late.id);
  EXPECT_FALSE(Claim("w", 1000));  // `future` is not due
  auto fourth = Claim("w", 10 * kSec);
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->id, future.id);
}

TEST_P(JobsTest, ClaimMarksRunningWithLeaseAndCountsAttempts) {
  JobRecord j = Enqueue("gc_store");
  auto c = Claim("host:1:0", 2000, 30);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->id, j.id);
  EXPECT_EQ(c->state, State::kRunning);
  EXPECT_EQ(c->attempts, 1);
  EXPECT_EQ(c->lease_owner, "host:1:0");
  EXPECT_EQ(c->lease_expires_ns, 2030);
  EXPECT_EQ(c->updated_at_ns, 2000);
  JobRecord stored = Get(j.id);
  EXPECT_EQ(stored.state, State::kRunning);
  EXPECT_EQ(stored.attempts, 1);
  EXPECT_EQ(stored.lease_owner, "host:1:0");
  EXPECT_EQ(stored.lease_expires_ns, 2030);
  EXPECT_TRUE(catalog_->ClaimJob("", 0, 1).status().IsInvalid());
}

TEST_P(JobsTest, ExpiredLeaseIsReclaimedAndTheOldOwnerLosesTheJob) {
  JobRecord j = Enqueue("gc_store");
  ASSERT_TRUE(Claim("dead", 1000, 100));
  EXPECT_FALSE(Claim("alive", 1099));  // lease still running
  auto again = Claim("alive", 1100, 100);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, j.id);
  EXPECT_EQ(again->attempts, 2);
  EXPECT_EQ(again->lease_owner, "alive");

  // The worker that died (or stalled) can no longer finish, fail or renew it.
  auto st = catalog_->CompleteJob(j.id, "dead", 1200);
  EXPECT_TRUE(IsFailedPrecondition(st)) << st.ToString();
  EXPECT_TRUE(MessageHas(st, "alive"));
  EXPECT_TRUE(IsFailedPrecondition(catalog_->FailJob(j.id, "dead", "x", 0, false, 1200)));
  EXPECT_TRUE(IsFailedPrecondition(catalog_->RenewJobLease(j.id, "dead", 5000, 1200)));
  MOSAICO_ASSERT_OK(catalog_->CompleteJob(j.id, "alive", 1200));
  EXPECT_EQ(Get(j.id).state, State::kDone);
}

TEST_P(JobsTest, ExpiredRunningJobCompetesByRunAfter) {
  JobRecord old_job = Enqueue("a", "", 10);
  ASSERT_TRUE(Claim("dead", 20, 5));
  JobRecord newer = Enqueue("b", "", 15);
  auto c = Claim("w", 100);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->id, old_job.id);  // run_after 10 < 15
  auto d = Claim("w", 100);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id, newer.id);
}

TEST_P(JobsTest, RenewedLeaseIsNotReclaimed) {
  JobRecord j = Enqueue("long");
  ASSERT_TRUE(Claim("w", 1000, 100));
  MOSAICO_ASSERT_OK(catalog_->RenewJobLease(j.id, "w", 5000, 1050));
  EXPECT_FALSE(Claim("other", 1200));
  EXPECT_EQ(Get(j.id).lease_expires_ns, 5000);
  auto c = Claim("other", 5000);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->attempts, 2);
}

TEST_P(JobsTest, CompleteAndFailByANonOwnerOrOnAJobNotRunningAreRefused) {
  JobRecord j = Enqueue("k");
  EXPECT_TRUE(IsFailedPrecondition(catalog_->CompleteJob(j.id, "w", 5)));  // pending: nobody holds it
  ASSERT_TRUE(Claim("w", 10));
  EXPECT_TRUE(IsFailedPrecondition(catalog_->CompleteJob(j.id, "intruder", 20)));
  EXPECT_TRUE(IsFailedPrecondition(catalog_->FailJob(j.id, "intruder", "x", 0, true, 20)));
  EXPECT_EQ(Get(j.id).state, State::kRunning);
  MOSAICO_ASSERT_OK(catalog_->CompleteJob(j.id, "w", 30));
  EXPECT_TRUE(IsFailedPrecondition(catalog_->CompleteJob(j.id, "w", 40)));  // done already
  EXPECT_TRUE(catalog_->CompleteJob(987654, "w", 40).IsKeyError());
  JobRecord done = Get(j.id);
  EXPECT_EQ(done.state, State::kDone);
  EXPECT_EQ(done.updated_at_ns, 30);
  EXPECT_EQ(done.lease_owner, "w");  // who ran it, for the record
}

TEST_P(JobsTest, FailRetriesLaterThenGivesUp) {
  JobRecord j = Enqueue("flaky");
  ASSERT_TRUE(Claim("w", 100));
  MOSAICO_ASSERT_OK(catalog_->FailJob(j.id, "w", "first failure", /*retry_at=*/500, false, 110));
  JobRecord pending = Get(j.id);
  EXPECT_EQ(pending.state, State::kPending);
  EXPECT_EQ(pending.run_after_ns, 500);
  EXPECT_EQ(pending.last_error, "first failure");
  EXPECT_EQ(pending.lease_owner, "");
  EXPECT_EQ(pending.attempts, 1);

  EXPECT_FALSE(Claim("w", 499));
  auto second = Claim("w2", 500);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->attempts, 2);
  EXPECT_EQ(second->last_error, "first failure");
  MOSAICO_ASSERT_OK(catalog_->FailJob(j.id, "w2", "second failure", 0, /*give_up=*/true, 600));
  JobRecord failed = Get(j.id);
  EXPECT_EQ(failed.state, State::kFailed);
  EXPECT_EQ(failed.last_error, "second failure");
  EXPECT_EQ(failed.attempts, 2);
  EXPECT_FALSE(Claim("w", 100 * kSec));  // failed jobs are never claimed again

  // Very long errors are cut.
  JobRecord k = Enqueue("flaky");
  ASSERT_TRUE(Claim("w", 100 * kSec));
  MOSAICO_ASSERT_OK(catalog_->FailJob(k.id, "w", std::string(100000, 'e'), 0, true, 100 * kSec));
  EXPECT_LT(Get(k.id).last_error.size(), 5000u);
}

TEST_P(JobsTest, ListNewestFirstFilteredByStateAndPruneFinished) {
  JobRecord a = Enqueue("a");
  JobRecord b = Enqueue("b");
  JobRecord c = Enqueue("c");
  ASSERT_TRUE(Claim("w", 100));  // a
  MOSAICO_ASSERT_OK(catalog_->CompleteJob(a.id, "w", 200));
  ASSERT_TRUE(Claim("w", 300));  // b
  MOSAICO_ASSERT_OK(catalog_->FailJob(b.id, "w", "x", 0, true, 400));

  MOSAICO_ASSERT_OK_AND_ASSIGN(auto all, catalog_->ListJobs(std::nullopt, 10));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, c.id);
  EXPECT_EQ(all[2].id, a.id);
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto limited, catalog_->ListJobs(std::nullopt, 2));
  EXPECT_EQ(limited.size(), 2u);
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto done, catalog_->ListJobs(State::kDone, 10));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].id, a.id);
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto pending, catalog_->ListJobs(State::kPending, 10));
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].id, c.id);

  MOSAICO_ASSERT_OK_AND_ASSIGN(int64_t pruned, catalog_->PruneJobs(300));  // only a (updated 200)
  EXPECT_EQ(pruned, 1);
  MOSAICO_ASSERT_OK_AND_ASSIGN(pruned, catalog_->PruneJobs(1000));  // b; c is pending and stays
  EXPECT_EQ(pruned, 1);
  MOSAICO_ASSERT_OK_AND_ASSIGN(all, catalog_->ListJobs(std::nullopt, 10));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, c.id);
}

TEST_P(JobsTest, JobsSurviveReopen) {
  JobRecord j = Enqueue("delayed", "d", 5 * kSec);
  ASSERT_TRUE(Claim("w", 0) == std::nullopt);
  catalog_.reset();
  MOSAICO_ASSERT_OK_AND_ASSIGN(catalog_, OpenCatalog(catalog_url()));
  EXPECT_EQ(Enqueue("delayed", "d").id, j.id);
  auto c = Claim("w", 5 * kSec);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->id, j.id);
}

// Two catalogs on one database (two sqlite connections on one file) are what two daemons would have: claiming
// from both at once hands out every job exactly once.
TEST_P(JobsTest, ConcurrentClaimersOnTwoConnectionsNeverShareAJob) {
  constexpr int kJobs = 200;
  for (int i = 0; i < kJobs; ++i) Enqueue("k" + std::to_string(i % 7), i % 3 == 0 ? "dk" + std::to_string(i) : "");
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto second, OpenCatalog(catalog_url()));
  std::vector<std::shared_ptr<Catalog>> connections = {catalog_, second};

  std::atomic<bool> failed{false};
  std::vector<std::vector<int64_t>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Catalog& cat = *connections[t % 2];
      const std::string owner = "worker-" + std::to_string(t);
      while (true) {
        auto c = cat.ClaimJob(owner, 1000, 1000 * kSec);
        if (!c.ok()) {
          failed = true;
          ADD_FAILURE() << c.status().ToString();
          return;
        }
        if (!*c) return;
        got[t].push_back((*c)->id);
        if (!cat.CompleteJob((*c)->id, owner, 1001).ok()) failed = true;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_FALSE(failed);
  std::vector<int64_t> all;
  for (const auto& g : got) all.insert(all.end(), g.begin(), g.end());
  std::set<int64_t> distinct(all.begin(), all.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kJobs));
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kJobs));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto done, catalog_->ListJobs(State::kDone, 1000));
  EXPECT_EQ(done.size(), static_cast<size_t>(kJobs));
  for (const auto& j : done) EXPECT_EQ(j.attempts, 1);
}

// Concurrent enqueues of one dedup key from two connections make one job.
TEST_P(JobsTest, ConcurrentDedupFromTwoConnectionsMakesOneJob) {
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto second, OpenCatalog(catalog_url()));
  std::vector<std::shared_ptr<Catalog>> connections = {catalog_, second};
  std::vector<std::thread> threads;
  std::vector<std::set<int64_t>> ids(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto r = connections[t % 2]->EnqueueJob("sweep", "{}", "the-key", 0, i);
        EXPECT_TRUE(r.ok()) << r.status().ToString();
        if (r.ok()) ids[t].insert(r->id);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<int64_t> all;
  for (const auto& s : ids) all.insert(s.begin(), s.end());
  EXPECT_EQ(all.size(), 1u);
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto jobs, catalog_->ListJobs(std::nullopt, 100));
  EXPECT_EQ(jobs.size(), 1u);
}

MOSAICO_CATALOG_BACKENDS(JobsTest);

}  // namespace
}  // namespace mosaico::catalog::testing
