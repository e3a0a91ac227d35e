// Catalog::ReplaceTopicData (compaction's swap), on every backend: all or nothing, guarded by the expected upload
// id, allowed on locked topics, and never observable half-done by a reader (same connection or another one).
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"

namespace mosaico::catalog::testing {
namespace {

class ReplaceTopicDataTest : public OnEachBackend<CatalogTest> {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    MustCreateSequence("seq");
    session_ = MustCreateSession("seq", "KEY");
    topic_ = MustCreateTopic(session_, "imu");
  }

  static ChunkRecord WithStats(ChunkRecord c, int64_t lo, int64_t hi) {
    c.stats.push_back({.column = "v", .kind = ColumnStats::Kind::kInt, .min_int = lo, .max_int = hi});
    c.stats.push_back({.column = "f", .kind = ColumnStats::Kind::kFloat, .min_float = -1.0 * lo,
                       .max_float = 0.5 * hi, .null_count = 2});
    return c;
  }

  // Four small chunks of upload "old", as ingest would commit them.
  std::vector<ChunkRecord> OldChunks() const {
    return {WithStats(Chunk(0, 0, 9, 10), 0, 9), WithStats(Chunk(1, 10, 19, 10), 10, 19),
            WithStats(Chunk(2, 20, 29, 10), 20, 29), WithStats(Chunk(3, 30, 39, 10), 30, 39)};
  }
  // The same rows as one compacted chunk of upload "new".
  static std::vector<ChunkRecord> NewChunks() {
    ChunkRecord c = WithStats(Chunk(0, 0, 39, 40), 0, 39);
    c.object_key = "new/chunk-000000.parquet";
    c.size_bytes = 3000;
    c.checksum = "new0";
    return {c};
  }

  static void Normalize(std::vector<ChunkRecord>* chunks) {
    for (auto& c : *chunks) c.id = c.topic_id = 0;
  }

  SessionRecord session_;
  TopicRecord topic_;
};

TEST_P(ReplaceTopicDataTest, SwapsChunksStatsAndUploadIdOfALockedTopic) {
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(topic_.id, "old", OldChunks()));
  MOSAICO_ASSERT_OK(catalog_->LockSession(session_.id, 500));

  MOSAICO_ASSERT_OK(catalog_->ReplaceTopicData(topic_.id, "old", "new", NewChunks()));

  MOSAICO_ASSERT_OK_AND_ASSIGN(TopicRecord t, catalog_->GetTopic("seq", "imu"));
  EXPECT_EQ(t.upload_id, std::optional<std::string>("new"));
  EXPECT_TRUE(t.locked);  // the lock and everything else stay as they were
  EXPECT_EQ(t.completed_at_ns, std::optional<int64_t>(500));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto listed, catalog_->ListChunks(topic_.id, /*with_stats=*/true));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_GT(listed[0].id, 0);
  EXPECT_EQ(listed[0].topic_id, topic_.id);
  Normalize(&listed);
  EXPECT_EQ(listed[0].object_key, "new/chunk-000000.parquet");
  EXPECT_EQ(listed[0].row_count, 40);
  EXPECT_EQ(listed[0].checksum, "new0");
  EXPECT_EQ(listed[0].stats, NewChunks()[0].stats);

  MOSAICO_ASSERT_OK_AND_ASSIGN(TopicDataSummary s, catalog_->SummarizeTopic(topic_.id));
  EXPECT_EQ(s.total_chunks, 1);
  EXPECT_EQ(s.total_rows, 40);
  EXPECT_EQ(s.total_bytes, 3000);
  EXPECT_EQ(s.ts_min, std::optional<int64_t>(0));
  EXPECT_EQ(s.ts_max, std::optional<int64_t>(39));
}

TEST_P(ReplaceTopicDataTest, OldChunkIdsAreNeverReused) {
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(topic_.id, "old", OldChunks()));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto before, catalog_->ListChunks(topic_.id, false));
  MOSAICO_ASSERT_OK(catalog_->ReplaceTopicData(topic_.id, "old", "new", NewChunks()));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto after, catalog_->ListChunks(topic_.id, false));
  ASSERT_EQ(after.size(), 1u);
  for (const auto& c : before) EXPECT_GT(after[0].id, c.id);
}

TEST_P(ReplaceTopicDataTest, ExpectedUploadMismatchChangesNothing) {
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(topic_.id, "old", OldChunks()));
  arrow::Status st = catalog_->ReplaceTopicData(topic_.id, "someone-else", "new", NewChunks());
  ASSERT_TRUE(IsFailedPrecondition(st)) << st.ToString();
  EXPECT_TRUE(MessageHas(st, "'seq/imu'"));
  EXPECT_TRUE(MessageHas(st, "'old'"));

  // A second swap from the same expected upload (a re-run after the first succeeded) is refused too.
  MOSAICO_ASSERT_OK(catalog_->ReplaceTopicData(topic_.id, "old", "new", NewChunks()));
  st = catalog_->ReplaceTopicData(topic_.id, "old", "newer", OldChunks());
  ASSERT_TRUE(IsFailedPrecondition(st)) << st.ToString();
  MOSAICO_ASSERT_OK_AND_ASSIGN(TopicRecord t, catalog_->GetTopic("seq", "imu"));
  EXPECT_EQ(t.upload_id, std::optional<std::string>("new"));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto listed, catalog_->ListChunks(topic_.id, true));
  EXPECT_EQ(listed.size(), 1u);
}

TEST_P(ReplaceTopicDataTest, TopicWithoutDataOrUnknownTopic) {
  arrow::Status st = catalog_->ReplaceTopicData(topic_.id, "old", "new", NewChunks());
  EXPECT_TRUE(IsFailedPrecondition(st)) << st.ToString();
  EXPECT_TRUE(MessageHas(st, "'none'"));
  MOSAICO_ASSERT_OK_AND_ASSIGN(TopicRecord t, catalog_->GetTopic("seq", "imu"));
  EXPECT_FALSE(t.upload_id.has_value());
  EXPECT_TRUE(catalog_->ReplaceTopicData(424242, "old", "new", NewChunks()).IsKeyError());
}

TEST_P(ReplaceTopicDataTest, InvalidInputIsRefusedBeforeAnyChange) {
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(topic_.id, "old", OldChunks()));
  EXPECT_TRUE(catalog_->ReplaceTopicData(topic_.id, "old", "", NewChunks()).IsInvalid());
  EXPECT_TRUE(catalog_->ReplaceTopicData(topic_.id, "", "new", NewChunks()).IsInvalid());
  EXPECT_TRUE(catalog_->ReplaceTopicData(topic_.id, "old", "old", NewChunks()).IsInvalid());
  EXPECT_TRUE(catalog_->ReplaceTopicData(topic_.id, "old", "new", {Chunk(0, 1, 2), Chunk(0, 3, 4)}).IsInvalid());
  ChunkRecord bad = Chunk(1, 1, 2);
  bad.stats.push_back({.column = "x", .kind = ColumnStats::Kind::kInt, .min_float = 1.0, .max_float = 2.0});
  EXPECT_TRUE(catalog_->ReplaceTopicData(topic_.id, "old", "new", {Chunk(0, 1, 2), bad}).IsInvalid());

  MOSAICO_ASSERT_OK_AND_ASSIGN(TopicRecord t, catalog_->GetTopic("seq", "imu"));
  EXPECT_EQ(t.upload_id, std::optional<std::string>("old"));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto listed, catalog_->ListChunks(topic_.id, true));
  Normalize(&listed);
  auto expected = OldChunks();
  ASSERT_EQ(listed.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(listed[i].object_key, expected[i].object_key);
    EXPECT_EQ(listed[i].stats, expected[i].stats);
  }
}

TEST_P(ReplaceTopicDataTest, OtherTopicsAreUntouched) {
  TopicRecord other = MustCreateTopic(session_, "gps");
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(topic_.id, "old", OldChunks()));
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(other.id, "gps-up", OldChunks()));
  MOSAICO_ASSERT_OK(catalog_->ReplaceTopicData(topic_.id, "old", "new", NewChunks()));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto theirs, catalog_->ListChunks(other.id, true));
  ASSERT_EQ(theirs.size(), 4u);
  for (const auto& c : theirs) EXPECT_EQ(c.stats.size(), 2u);
}

TEST_P(ReplaceTopicDataTest, SwapToNoChunksAndBack) {
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(topic_.id, "old", OldChunks()));
  MOSAICO_ASSERT_OK(catalog_->ReplaceTopicData(topic_.id, "old", "empty", {}));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto listed, catalog_->ListChunks(topic_.id, true));
  EXPECT_TRUE(listed.empty());
  MOSAICO_ASSERT_OK(catalog_->ReplaceTopicData(topic_.id, "empty", "new", NewChunks()));
  MOSAICO_ASSERT_OK_AND_ASSIGN(listed, catalog_->ListChunks(topic_.id, true));
  EXPECT_EQ(listed.size(), 1u);
}

// FindTopics reads a topic's interval from its row (SQLite schema 9, PostgreSQL 10): it must follow every swap,
// including to no chunks (null) and back, and a changed interval (compaction of a partial rewrite).
TEST_P(ReplaceTopicDataTest, FindTopicsIntervalFollowsTheSwap) {
  auto interval = [&]() -> std::pair<std::optional<int64_t>, std::optional<int64_t>> {
    TopicFilter all;
    all.with_schemas = false;
    auto found = catalog_->FindTopics(all);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    if (!found.ok() || found->size() != 1) return {};
    return {(*found)[0].ts_min, (*found)[0].ts_max};
  };
  using Interval = std::pair<std::optional<int64_t>, std::optional<int64_t>>;
  EXPECT_EQ(interval(), Interval(std::nullopt, std::nullopt));
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(topic_.id, "old", OldChunks()));
  EXPECT_EQ(interval(), Interval(0, 39));
  MOSAICO_ASSERT_OK(catalog_->ReplaceTopicData(topic_.id, "old", "empty", {}));
  EXPECT_EQ(interval(), Interval(std::nullopt, std::nullopt));
  std::vector<ChunkRecord> narrower = {Chunk(0, 5, 17, 10), Chunk(1, 3, 12, 10)};  // min/max not of one chunk
  MOSAICO_ASSERT_OK(catalog_->ReplaceTopicData(topic_.id, "empty", "narrow", narrower));
  EXPECT_EQ(interval(), Interval(3, 17));
  MOSAICO_ASSERT_OK(catalog_->ReplaceTopicData(topic_.id, "narrow", "new", NewChunks()));
  EXPECT_EQ(interval(), Interval(0, 39));
}

// Readers on this catalog and on a second connection to the same database (another daemon) see the old chunk list or
// the new one, whole: never a mix, never an empty list, never stats of the other list.
TEST_P(ReplaceTopicDataTest, ReadersNeverSeeAGap) {
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(topic_.id, "u0", OldChunks()));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto second, OpenCatalog(catalog_url()));

  std::atomic<bool> stop{false};
  std::atomic<int64_t> reads{0}, bad{0};
  auto reader = [&](Catalog* c) {
    while (!stop.load()) {
      auto chunks = c->ListChunks(topic_.id, /*with_stats=*/true);
      auto summary = c->SummarizeTopic(topic_.id);
      if (!chunks.ok() || !summary.ok()) {
        ++bad;
        continue;
      }
      int64_t rows = 0;
      bool stats_ok = true;
      for (const auto& ch : *chunks) {
        rows += ch.row_count;
        stats_ok = stats_ok && ch.stats.size() == 2;
      }
      const bool whole_old = chunks->size() == 4, whole_new = chunks->size() == 1;
      if (!(whole_old || whole_new) || rows != 40 || !stats_ok || summary->total_rows != 40) ++bad;
      ++reads;
    }
  };
  std::thread same(reader, catalog_.get());
  std::thread other(reader, second.get());
  std::string current = "u0";
  for (int i = 1; i <= 60; ++i) {
    const std::string next = "u" + std::to_string(i);
    MOSAICO_ASSERT_OK(catalog_->ReplaceTopicData(topic_.id, current, next, i % 2 ? NewChunks() : OldChunks()));
    current = next;
  }
  // Let the readers run at least a little after the last swap.
  while (reads.load() < 50) std::this_thread::yield();
  stop = true;
  same.join();
  other.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GE(reads.load(), 50);
}

MOSAICO_CATALOG_BACKENDS(ReplaceTopicDataTest);

}  // namespace
}  // namespace mosaico::catalog::testing
