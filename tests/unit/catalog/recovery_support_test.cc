// What start-up recovery (recovery/startup_recovery.h) asks the catalog, on every backend: Catalog::ClaimJobByKey
// (claim one particular job of the event queue, to run a sync_notifications job before serving) and
// Catalog::ListOpenSequences (where a create, upload or finalize can have been cut short); and
// Catalog::ListSequencesPage, which ListFlights pages the catalog with.
#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"

namespace mosaico::catalog::testing {
namespace {

using State = JobRecord::State;
constexpr int64_t kSec = 1000000000;

class ClaimByKeyTest : public OnEachBackend<CatalogTest> {};

TEST_P(ClaimByKeyTest, ClaimsThePendingJobOfTheKeyEvenBeforeItIsDue) {
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto other, catalog_->EnqueueJob("gc_store", "{}", "gc_store", 0, 1000));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto mine, catalog_->EnqueueJob("sync_notifications", "{}", "sync:a", 50 * kSec, 1000));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto got, catalog_->ClaimJobByKey("sync:a", "w1", 2000, 10 * kSec));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->id, mine.id);
  EXPECT_EQ(got->state, State::kRunning);
  EXPECT_EQ(got->attempts, 1);
  EXPECT_EQ(got->lease_owner, "w1");
  EXPECT_EQ(got->lease_expires_ns, 2000 + 10 * kSec);
  // held: nobody else gets it, by key or otherwise; the other job is untouched
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto again, catalog_->ClaimJobByKey("sync:a", "w2", 3000, 10 * kSec));
  EXPECT_FALSE(again.has_value());
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto next, catalog_->ClaimJob("w2", 3000, 10 * kSec));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->id, other.id);
  MOSAICO_ASSERT_OK(catalog_->CompleteJob(mine.id, "w1", 4000));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto done, catalog_->ClaimJobByKey("sync:a", "w2", 5000, 10 * kSec));
  EXPECT_FALSE(done.has_value()) << "a done job is not claimable";
}

TEST_P(ClaimByKeyTest, AnExpiredLeaseIsReclaimedAndUnknownKeysGiveNothing) {
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto job, catalog_->EnqueueJob("sync_notifications", "{}", "sync:b", 0, 1000));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto first, catalog_->ClaimJobByKey("sync:b", "dead", 1000, kSec));
  ASSERT_TRUE(first.has_value());
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto early, catalog_->ClaimJobByKey("sync:b", "w", 1000 + kSec / 2, kSec));
  EXPECT_FALSE(early.has_value());
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto late, catalog_->ClaimJobByKey("sync:b", "w", 1000 + 2 * kSec, kSec));
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->id, job.id);
  EXPECT_EQ(late->attempts, 2);
  EXPECT_FALSE(catalog_->CompleteJob(job.id, "dead", 5000).ok()) << "the reclaimed job no longer belongs to 'dead'";
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto none, catalog_->ClaimJobByKey("no such key", "w", 9000, kSec));
  EXPECT_FALSE(none.has_value());
  EXPECT_FALSE(catalog_->ClaimJobByKey("", "w", 9000, kSec).ok());
}

MOSAICO_CATALOG_BACKENDS(ClaimByKeyTest);

}  // namespace
}  // namespace mosaico::catalog::testing

namespace mosaico::catalog::testing {
namespace {

class OpenSequencesTest : public OnEachBackend<CatalogTest> {};

// Catalog::ListOpenSequences: sequences with an unlocked session or none, by name -- where start-up recovery looks.
TEST_P(OpenSequencesTest, ListsSequencesWithAnUnlockedSessionOrNone) {
  for (const char* name : {"b_empty", "a_open", "c_done", "d_mixed"}) {
    MOSAICO_ASSERT_OK(catalog_->CreateSequence(name, "{}", 1).status());
  }
  MOSAICO_ASSERT_OK(catalog_->CreateSession("a_open", "k1", "u1", 2).status());
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto done, catalog_->CreateSession("c_done", "k2", "u2", 2));
  MOSAICO_ASSERT_OK(catalog_->LockSession(done.id, 3));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto mixed_done, catalog_->CreateSession("d_mixed", "k3", "u3", 2));
  MOSAICO_ASSERT_OK(catalog_->LockSession(mixed_done.id, 3));
  MOSAICO_ASSERT_OK(catalog_->CreateSession("d_mixed", "k4", "u4", 4).status());
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto open, catalog_->ListOpenSequences());
  EXPECT_EQ(open, (std::vector<std::string>{"a_open", "b_empty", "d_mixed"}));
  // the base-class answer (ListSequences + ListSessions) agrees with the backend's query
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto generic, catalog_->Catalog::ListOpenSequences());
  EXPECT_EQ(generic, open);
}

MOSAICO_CATALOG_BACKENDS(OpenSequencesTest);

class SequencePagesTest : public OnEachBackend<CatalogTest> {};

std::vector<std::string> Names(const std::vector<SequenceRecord>& seqs) {
  std::vector<std::string> out;
  for (const auto& s : seqs) out.push_back(s.name);
  return out;
}

// Catalog::ListSequencesPage (ListFlights, server/sequence_listing.h): pages in ListSequences' byte order.
TEST_P(SequencePagesTest, PagesWalkTheNamesInOrderAfterTheGivenOne) {
  for (const char* name : {"b", "a", "B", "a_1", "a.2", "c"}) {
    MOSAICO_ASSERT_OK(catalog_->CreateSequence(name, "{}", 1).status());
  }
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto all, catalog_->ListSequences());
  std::vector<std::string> walked;
  std::string after;
  while (true) {
    MOSAICO_ASSERT_OK_AND_ASSIGN(auto page, catalog_->ListSequencesPage(after, 4));
    ASSERT_LE(page.size(), 4u);
    for (const auto& s : page) walked.push_back(s.name);
    if (page.size() < 4) break;
    after = page.back().name;
  }
  EXPECT_EQ(walked, Names(all));
  EXPECT_EQ(walked, (std::vector<std::string>{"B", "a", "a.2", "a_1", "b", "c"}));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto after_a, catalog_->ListSequencesPage("a", 2));
  EXPECT_EQ(Names(after_a), (std::vector<std::string>{"a.2", "a_1"}));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto none, catalog_->ListSequencesPage("c", 10));
  EXPECT_TRUE(none.empty());
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto zero, catalog_->ListSequencesPage("", 0));
  EXPECT_TRUE(zero.empty());
  // the base-class answer (paging ListSequences) agrees with the backend's query
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto generic, catalog_->Catalog::ListSequencesPage("a", 3));
  EXPECT_EQ(Names(generic), (std::vector<std::string>{"a.2", "a_1", "b"}));
  EXPECT_EQ(generic[0].id, after_a[0].id);
}

MOSAICO_CATALOG_BACKENDS(SequencePagesTest);

}  // namespace
}  // namespace mosaico::catalog::testing
