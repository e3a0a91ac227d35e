// Locking, committed data (chunks + column statistics), summaries.
#include <limits>

#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"

namespace mosaico::catalog::testing {
namespace {

class DataTest : public OnEachBackend<CatalogTest> {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    MustCreateSequence("seq");
    session_ = MustCreateSession("seq", "KEY");
    topic_ = MustCreateTopic(session_, "imu");
  }
  SessionRecord session_;
  TopicRecord topic_;
};

TEST_P(DataTest, LockSessionLocksItAndAllItsTopics) {
  TopicRecord second = MustCreateTopic(session_, "gps");
  SessionRecord other = MustCreateSession("seq", "OTHER");
  TopicRecord foreign = MustCreateTopic(other, "cam");

  MOSAICO_ASSERT_OK(catalog_->LockSession(session_.id, 777));
  MOSAICO_ASSERT_OK_AND_ASSIGN(SessionRecord s, catalog_->GetSession("seq", "KEY"));
  EXPECT_TRUE(s.locked);
  EXPECT_EQ(s.completed_at_ns, std::optional<int64_t>(777));
  for (const char* name : {"imu", "gps"}) {
    MOSAICO_ASSERT_OK_AND_ASSIGN(TopicRecord t, catalog_->GetTopic("seq", name));
    EXPECT_TRUE(t.locked) << name;
    EXPECT_EQ(t.completed_at_ns, std::optional<int64_t>(777)) << name;
  }
  MOSAICO_ASSERT_OK_AND_ASSIGN(TopicRecord untouched, catalog_->GetTopic("seq", "cam"));
  EXPECT_FALSE(untouched.locked);
  EXPECT_FALSE(untouched.completed_at_ns.has_value());

  arrow::Status again = catalog_->LockSession(session_.id, 888);
  ASSERT_TRUE(IsFailedPrecondition(again)) << again.ToString();
  EXPECT_EQ(again.message(), "session 'seq:KEY' is locked (finalized)");
  MOSAICO_ASSERT_OK_AND_ASSIGN(s, catalog_->GetSessionByUuid(session_.uuid));
  EXPECT_EQ(s.completed_at_ns, std::optional<int64_t>(777));  // unchanged by the refused call
  (void)second;
  (void)foreign;
}

TEST_P(DataTest, LockedSessionAndTopicsRefuseChanges) {
  MOSAICO_ASSERT_OK(catalog_->LockSession(session_.id, 1));
  arrow::Status schema = catalog_->SetTopicSchema(topic_.id, "ipc");
  EXPECT_TRUE(IsFailedPrecondition(schema)) << schema.ToString();
  EXPECT_TRUE(MessageHas(schema, "'seq/imu'"));
  arrow::Status commit = catalog_->CommitTopicData(topic_.id, "up", {Chunk(0, 1, 2)});
  EXPECT_TRUE(IsFailedPrecondition(commit)) << commit.ToString();
  auto topic = catalog_->CreateTopic(TopicFor(session_, "late"));
  EXPECT_TRUE(IsFailedPrecondition(topic.status())) << topic.status().ToString();
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto chunks, catalog_->ListChunks(topic_.id, true));
  EXPECT_TRUE(chunks.empty());
}

TEST_P(DataTest, CommitRecordsChunksAndUploadIdOnce) {
  std::vector<ChunkRecord> chunks = {Chunk(0, 100, 200), Chunk(1, 50, 300), Chunk(2, 100, 150)};
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(topic_.id, "upload-1", chunks));
  MOSAICO_ASSERT_OK_AND_ASSIGN(TopicRecord t, catalog_->GetTopic("seq", "imu"));
  EXPECT_EQ(t.upload_id, std::optional<std::string>("upload-1"));

  // Ordered by (ts_min, index); stats absent unless asked for.
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto listed, catalog_->ListChunks(topic_.id, false));
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].index, 1);
  EXPECT_EQ(listed[1].index, 0);
  EXPECT_EQ(listed[2].index, 2);
  const ChunkRecord& c = listed[1];
  EXPECT_GT(c.id, 0);
  EXPECT_EQ(c.topic_id, topic_.id);
  EXPECT_EQ(c.object_key, chunks[0].object_key);
  EXPECT_EQ(c.row_count, 10);
  EXPECT_EQ(c.size_bytes, 1000);
  EXPECT_EQ(c.ts_min, 100);
  EXPECT_EQ(c.ts_max, 200);
  EXPECT_EQ(c.checksum, "abc0");

  arrow::Status twice = catalog_->CommitTopicData(topic_.id, "upload-2", {Chunk(5, 1, 2)});
  ASSERT_TRUE(IsFailedPrecondition(twice)) << twice.ToString();
  EXPECT_TRUE(MessageHas(twice, "upload-1"));
  MOSAICO_ASSERT_OK_AND_ASSIGN(listed, catalog_->ListChunks(topic_.id, false));
  EXPECT_EQ(listed.size(), 3u);
}

TEST_P(DataTest, CommitIsAllOrNothing) {
  ChunkRecord bad = Chunk(1, 1, 2);
  bad.stats.push_back({.column = "x", .kind = ColumnStats::Kind::kInt, .min_float = 1.0, .max_float = 2.0});
  arrow::Status st = catalog_->CommitTopicData(topic_.id, "up", {Chunk(0, 1, 2), bad});
  EXPECT_TRUE(st.IsInvalid()) << st.ToString();
  EXPECT_TRUE(catalog_->CommitTopicData(topic_.id, "up", {Chunk(0, 1, 2), Chunk(0, 3, 4)}).IsInvalid());
  ChunkRecord dup_col = Chunk(0, 1, 2);
  dup_col.stats.push_back({.column = "x", .kind = ColumnStats::Kind::kInt});
  dup_col.stats.push_back({.column = "x", .kind = ColumnStats::Kind::kInt});
  EXPECT_TRUE(catalog_->CommitTopicData(topic_.id, "up", {dup_col}).IsInvalid());
  ChunkRecord half = Chunk(0, 1, 2);
  half.stats.push_back({.column = "y", .kind = ColumnStats::Kind::kString, .min_str = "a"});
  EXPECT_TRUE(catalog_->CommitTopicData(topic_.id, "up", {half}).IsInvalid());
  EXPECT_TRUE(catalog_->CommitTopicData(topic_.id, "", {Chunk(0, 1, 2)}).IsInvalid());
  EXPECT_TRUE(catalog_->CommitTopicData(99999, "up", {Chunk(0, 1, 2)}).IsKeyError());

  MOSAICO_ASSERT_OK_AND_ASSIGN(auto listed, catalog_->ListChunks(topic_.id, true));
  EXPECT_TRUE(listed.empty());
  MOSAICO_ASSERT_OK_AND_ASSIGN(TopicRecord t, catalog_->GetTopicByUuid(topic_.uuid));
  EXPECT_FALSE(t.upload_id.has_value());
  // A valid commit still goes through afterwards.
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(topic_.id, "up", {Chunk(0, 1, 2)}));
}

TEST_P(DataTest, StatsRoundTripEveryKind) {
  using K = ColumnStats::Kind;
  ChunkRecord c0 = Chunk(0, 10, 20);
  c0.stats = {
      {.column = "header.seq", .kind = K::kInt, .min_int = std::numeric_limits<int64_t>::min(),
       .max_int = std::numeric_limits<int64_t>::max(), .null_count = 0},
      {.column = "acceleration.x", .kind = K::kFloat, .min_float = -1.5, .max_float = 1e300, .null_count = 3},
      {.column = "frame_id", .kind = K::kString, .min_str = "", .max_str = "zz\xc3\xa9", .null_count = 1},
      {.column = "valid", .kind = K::kBool, .min_int = 0, .max_int = 1},
      {.column = "inf", .kind = K::kFloat, .min_float = -std::numeric_limits<double>::infinity(),
       .max_float = std::numeric_limits<double>::infinity()},
  };
  // All-null columns of every kind: min/max stay unset.
  ChunkRecord c1 = Chunk(1, 30, 40);
  c1.stats = {
      {.column = "a", .kind = K::kInt, .null_count = 10},
      {.column = "b", .kind = K::kFloat, .null_count = 10},
      {.column = "c", .kind = K::kString, .null_count = 10},
      {.column = "d", .kind = K::kBool, .null_count = 10},
  };
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(topic_.id, "up", {c1, c0}));

  MOSAICO_ASSERT_OK_AND_ASSIGN(auto listed, catalog_->ListChunks(topic_.id, true));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].index, 0);
  EXPECT_EQ(listed[0].stats, c0.stats);
  EXPECT_EQ(listed[1].index, 1);
  EXPECT_EQ(listed[1].stats, c1.stats);
  for (const ColumnStats& s : listed[1].stats) {
    EXPECT_FALSE(s.min_int || s.max_int || s.min_float || s.max_float || s.min_str || s.max_str) << s.column;
  }
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto bare, catalog_->ListChunks(topic_.id, false));
  ASSERT_EQ(bare.size(), 2u);
  EXPECT_TRUE(bare[0].stats.empty());
  EXPECT_TRUE(bare[1].stats.empty());
}

TEST_P(DataTest, StatsStayWithTheirTopic) {
  TopicRecord other = MustCreateTopic(session_, "other");
  ChunkRecord mine = Chunk(0, 1, 2);
  mine.stats.push_back({.column = "mine", .kind = ColumnStats::Kind::kInt, .min_int = 1, .max_int = 1});
  ChunkRecord theirs = Chunk(0, 1, 2);
  theirs.stats.push_back({.column = "theirs", .kind = ColumnStats::Kind::kInt, .min_int = 2, .max_int = 2});
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(topic_.id, "u1", {mine}));
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(other.id, "u2", {theirs}));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto listed, catalog_->ListChunks(topic_.id, true));
  ASSERT_EQ(listed.size(), 1u);
  ASSERT_EQ(listed[0].stats.size(), 1u);
  EXPECT_EQ(listed[0].stats[0].column, "mine");

  MOSAICO_ASSERT_OK(catalog_->DeleteTopic(other.id));
  MOSAICO_ASSERT_OK_AND_ASSIGN(listed, catalog_->ListChunks(topic_.id, true));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].stats.size(), 1u);
}

TEST_P(DataTest, SummaryOfEmptyAndFilledTopic) {
  MOSAICO_ASSERT_OK_AND_ASSIGN(TopicDataSummary empty, catalog_->SummarizeTopic(topic_.id));
  EXPECT_EQ(empty.total_bytes, 0);
  EXPECT_EQ(empty.total_chunks, 0);
  EXPECT_EQ(empty.total_rows, 0);
  EXPECT_FALSE(empty.ts_min.has_value());
  EXPECT_FALSE(empty.ts_max.has_value());

  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(
      topic_.id, "up", {Chunk(0, 100, 200, 5), Chunk(1, 50, 150, 7), Chunk(2, 120, 400, 11)}));
  MOSAICO_ASSERT_OK_AND_ASSIGN(TopicDataSummary s, catalog_->SummarizeTopic(topic_.id));
  EXPECT_EQ(s.total_bytes, 1000 + 1001 + 1002);
  EXPECT_EQ(s.total_chunks, 3);
  EXPECT_EQ(s.total_rows, 23);
  EXPECT_EQ(s.ts_min, std::optional<int64_t>(50));
  EXPECT_EQ(s.ts_max, std::optional<int64_t>(400));

  EXPECT_TRUE(catalog_->SummarizeTopic(424242).status().IsKeyError());
  EXPECT_TRUE(catalog_->ListChunks(424242, false).status().IsKeyError());
}

TEST_P(DataTest, SummariesOfSeveralTopicsInTheOrderAsked) {
  TopicRecord gps = MustCreateTopic(session_, "gps");
  TopicRecord cam = MustCreateTopic(session_, "cam");
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(topic_.id, "up", {Chunk(0, 100, 200, 5), Chunk(1, 50, 150, 7)}));
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(cam.id, "up2", {Chunk(0, 7, 9, 3)}));

  MOSAICO_ASSERT_OK_AND_ASSIGN(auto none, catalog_->SummarizeTopics({}));
  EXPECT_TRUE(none.empty());
  // Any order, as SummarizeTopic one by one would answer.
  const std::vector<int64_t> ids{cam.id, gps.id, topic_.id};
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto all, catalog_->SummarizeTopics(ids));
  ASSERT_EQ(all.size(), 3u);
  for (size_t i = 0; i < ids.size(); ++i) {
    MOSAICO_ASSERT_OK_AND_ASSIGN(TopicDataSummary one, catalog_->SummarizeTopic(ids[i]));
    EXPECT_EQ(all[i].total_bytes, one.total_bytes) << i;
    EXPECT_EQ(all[i].total_chunks, one.total_chunks) << i;
    EXPECT_EQ(all[i].total_rows, one.total_rows) << i;
    EXPECT_EQ(all[i].ts_min, one.ts_min) << i;
    EXPECT_EQ(all[i].ts_max, one.ts_max) << i;
  }
  EXPECT_EQ(all[0].total_chunks, 1);
  EXPECT_EQ(all[0].total_rows, 3);
  EXPECT_EQ(all[1].total_chunks, 0);
  EXPECT_FALSE(all[1].ts_min.has_value());
  EXPECT_EQ(all[2].total_bytes, 1000 + 1001);
  EXPECT_EQ(all[2].total_rows, 12);
  EXPECT_EQ(all[2].ts_min, std::optional<int64_t>(50));
  EXPECT_EQ(all[2].ts_max, std::optional<int64_t>(200));

  auto missing = catalog_->SummarizeTopics({topic_.id, 424242});
  ASSERT_TRUE(missing.status().IsKeyError()) << missing.status().ToString();
  EXPECT_EQ(missing.status().message(), "topic 424242 not found");
}

TEST_P(DataTest, SummaryIgnoresTimeOfRowlessChunks) {
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(topic_.id, "up", {Chunk(0, 0, 0, 0)}));
  MOSAICO_ASSERT_OK_AND_ASSIGN(TopicDataSummary s, catalog_->SummarizeTopic(topic_.id));
  EXPECT_EQ(s.total_chunks, 1);
  EXPECT_EQ(s.total_rows, 0);
  EXPECT_FALSE(s.ts_min.has_value());
  EXPECT_FALSE(s.ts_max.has_value());
}

TEST_P(DataTest, CommitWithNoChunksStillSetsUploadId) {
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(topic_.id, "empty-upload", {}));
  MOSAICO_ASSERT_OK_AND_ASSIGN(TopicRecord t, catalog_->GetTopic("seq", "imu"));
  EXPECT_EQ(t.upload_id, std::optional<std::string>("empty-upload"));
  EXPECT_TRUE(IsFailedPrecondition(catalog_->CommitTopicData(topic_.id, "again", {})));
}

MOSAICO_CATALOG_BACKENDS(DataTest);

}  // namespace
}  // namespace mosaico::catalog::testing
