// Catalog::GetStats and Ping (catalog.h, the figures server/monitoring.h reports) on every backend: record counts,
// and jobs by kind and state with done jobs left out.
#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"
#include "mosaico/catalog/postgres/pg_conn.h"
#include "mosaico/catalog/sqlite/sqlite_util.h"

namespace mosaico::catalog::testing {
namespace {

class StatsTest : public OnEachBackend<CatalogTest> {};

int64_t JobCount(const CatalogStats& stats, const std::string& kind, JobRecord::State state) {
  for (const auto& j : stats.jobs) {
    if (j.kind == kind && j.state == state) return j.count;
  }
  return 0;
}

TEST_P(StatsTest, CountsRecordsAndActiveJobsByKindAndState) {
  MOSAICO_ASSERT_OK(catalog_->Ping());
  MOSAICO_ASSERT_OK_AND_ASSIGN(CatalogStats empty, catalog_->GetStats());
  EXPECT_EQ(empty.sequences, 0);
  EXPECT_EQ(empty.topics, 0);
  EXPECT_TRUE(empty.jobs.empty());

  auto session = MustCreateSession(MustCreateSequence("a").name, "k1");
  MustCreateSequence("b");
  MustCreateTopic(session, "t1");
  MustCreateTopic(session, "t2");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(catalog_->EnqueueJob("gc_store", "{}", "", 0, 10).ok());
  ASSERT_TRUE(catalog_->EnqueueJob("compact_topic", "{}", "", 0, 10).ok());
  // One gc_store running, one given up, one done: done jobs are not counted.
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto running, catalog_->ClaimJob("w", 20, 1000));
  ASSERT_TRUE(running.has_value());
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto failed, catalog_->ClaimJob("w", 20, 1000));
  ASSERT_TRUE(failed.has_value());
  MOSAICO_ASSERT_OK(catalog_->FailJob(failed->id, "w", "boom", 20, /*give_up=*/true, 20));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto done, catalog_->ClaimJob("w", 20, 1000));
  ASSERT_TRUE(done.has_value());
  MOSAICO_ASSERT_OK(catalog_->CompleteJob(done->id, "w", 21));

  MOSAICO_ASSERT_OK_AND_ASSIGN(CatalogStats stats, catalog_->GetStats());
  EXPECT_EQ(stats.sequences, 2);
  EXPECT_EQ(stats.topics, 2);
  int64_t total = 0;
  for (const auto& j : stats.jobs) total += j.count;
  EXPECT_EQ(total, 3) << "pending + running + failed, no done job";
  EXPECT_EQ(JobCount(stats, running->kind, JobRecord::State::kRunning), 1);
  EXPECT_EQ(JobCount(stats, failed->kind, JobRecord::State::kFailed), 1);
  EXPECT_EQ(JobCount(stats, "gc_store", JobRecord::State::kPending) +
                JobCount(stats, "compact_topic", JobRecord::State::kPending),
            1);
}

// Both backends keep the counts in tables maintained by triggers (SQLite migration 8, PostgreSQL 6): they follow
// cascaded deletes, job state changes and pruning, and GetStats reads them instead of counting (so a scrape costs
// the same at any size).
TEST_P(StatsTest, CountsAreMaintainedNotCounted) {
  auto session = MustCreateSession(MustCreateSequence("a").name, "k1");
  MustCreateSequence("b");
  MustCreateTopic(session, "t1");
  MustCreateTopic(session, "t2");
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(catalog_->EnqueueJob("gc_store", "{}", "", 0, 10).ok());
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto claimed, catalog_->ClaimJob("w", 20, 1000));
  ASSERT_TRUE(claimed.has_value());
  MOSAICO_ASSERT_OK(catalog_->CompleteJob(claimed->id, "w", 21));
  MOSAICO_ASSERT_OK(catalog_->DeleteSequence("a"));  // cascades to its session and both topics
  MOSAICO_ASSERT_OK_AND_ASSIGN(CatalogStats stats, catalog_->GetStats());
  EXPECT_EQ(stats.sequences, 1);
  EXPECT_EQ(stats.topics, 0);
  ASSERT_EQ(stats.jobs.size(), 1u);
  EXPECT_EQ(stats.jobs[0].state, JobRecord::State::kPending);
  EXPECT_EQ(stats.jobs[0].count, 1);
  MOSAICO_ASSERT_OK_AND_ASSIGN(int64_t pruned, catalog_->PruneJobs(100));
  EXPECT_EQ(pruned, 1);
  MOSAICO_ASSERT_OK_AND_ASSIGN(stats, catalog_->GetStats());
  EXPECT_EQ(stats.jobs.size(), 1u);

  // GetStats answers from the counters: move one behind the catalog's back and it shows (a count(*) would not).
  catalog_.reset();
  const char* bump = "UPDATE catalog_counts SET value = value + 1000000 WHERE name = 'topics'";
  if (backend() == Backend::kSqlite) {
    auto conn = sqlite::Connection::Open(db_path());
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    MOSAICO_ASSERT_OK((*conn)->Exec(bump));
  } else {
    auto conn = postgres::PgConnection::Connect(catalog_url());
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    MOSAICO_ASSERT_OK((*conn)->ExecScript(  // one of the count's shard rows
        "UPDATE catalog_counts SET value = value + 1000000 WHERE name = 'topics' AND shard = "
        "(SELECT min(shard) FROM catalog_counts WHERE name = 'topics')"));
  }
  auto reopened = OpenCatalog(catalog_url());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  catalog_ = *reopened;
  MOSAICO_ASSERT_OK_AND_ASSIGN(stats, catalog_->GetStats());
  EXPECT_EQ(stats.topics, 1000000);
}

MOSAICO_CATALOG_BACKENDS(StatsTest);

}  // namespace
}  // namespace mosaico::catalog::testing
