#include "mosaico/read/read_plan.h"

#include <gtest/gtest.h>

#include "mosaico/read/chunk_file.h"
#include "read/read_test_util.h"

namespace mosaico::read {
namespace {

using testing::Window;

catalog::ChunkRecord Chunk(int32_t index, int64_t lo, int64_t hi, int64_t rows = 10) {
  catalog::ChunkRecord c;
  c.index = index;
  c.object_key = "k" + std::to_string(index);
  c.ts_min = lo;
  c.ts_max = hi;
  c.row_count = rows;
  return c;
}

std::vector<int32_t> Indices(const std::vector<catalog::ChunkRecord>& chunks) {
  std::vector<int32_t> out;
  for (const auto& c : chunks) out.push_back(c.index);
  return out;
}

TEST(SelectChunks, KeepsOverlappingOrderedByTsMinStably) {
  std::vector<catalog::ChunkRecord> chunks = {Chunk(0, 300, 400), Chunk(1, 100, 200), Chunk(2, 150, 350),
                                              Chunk(3, 100, 120), Chunk(4, 500, 600), Chunk(5, 0, 10, /*rows=*/0)};
  EXPECT_EQ(Indices(SelectChunks(chunks, Window({}, {}))), (std::vector<int32_t>{1, 3, 2, 0, 4}));
  // [200, 300): chunk 1 touches it at 200 (inclusive max), chunk 0 starts at 300 (excluded end).
  EXPECT_EQ(Indices(SelectChunks(chunks, Window(200, 300))), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(Indices(SelectChunks(chunks, Window(401, 500))), (std::vector<int32_t>{}));
  EXPECT_EQ(Indices(SelectChunks(chunks, Window(401, 501))), (std::vector<int32_t>{4}));
  EXPECT_EQ(Indices(SelectChunks(chunks, Window({}, 101))), (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(Indices(SelectChunks(chunks, Window(600, {}))), (std::vector<int32_t>{4}));
}

TEST(TimestampFieldIndex, RequiresInt64TimestampNs) {
  EXPECT_EQ(TimestampFieldIndex(*testing::SimpleSchema()).ValueOrDie(), 0);
  EXPECT_TRUE(TimestampFieldIndex(*arrow::schema({arrow::field("ts", arrow::int64())})).status().IsInvalid());
  EXPECT_TRUE(
      TimestampFieldIndex(*arrow::schema({arrow::field("timestamp_ns", arrow::int32())})).status().IsInvalid());
}

class PruneRowGroupsTest : public ::testing::Test {
 protected:
  // 10 row groups of 10 rows: group g holds timestamps 100*g .. 100*g + 90 (step 10).
  std::shared_ptr<parquet::FileMetaData> WriteAndOpen(bool statistics) {
    std::vector<int64_t> ts;
    for (int64_t g = 0; g < 10; ++g)
      for (int64_t i = 0; i < 10; ++i) ts.push_back(100 * g + 10 * i);
    auto rec = testing::WriteSimpleChunk(*tmp_.store(), ts, 0, {.row_group_rows = 10, .statistics = statistics});
    auto file = OpenChunkFile(*tmp_.store(), rec, ReadOptions{});
    EXPECT_TRUE(file.ok()) << file.status().ToString();
    ts_leaf_ = file->ts_leaf;
    return file->metadata;
  }
  testing::TempStore tmp_;
  int ts_leaf_ = -1;
};

TEST_F(PruneRowGroupsTest, KeepsOnlyGroupsOverlappingTheWindow) {
  auto md = WriteAndOpen(/*statistics=*/true);
  ASSERT_EQ(md->num_row_groups(), 10);
  EXPECT_EQ(ts_leaf_, 0);
  EXPECT_EQ(PruneRowGroups(*md, ts_leaf_, Window({}, {})).size(), 10u);
  EXPECT_EQ(PruneRowGroups(*md, ts_leaf_, Window(250, 450)), (std::vector<int>{2, 3, 4}));
  EXPECT_EQ(PruneRowGroups(*md, ts_leaf_, Window(290, 300)), (std::vector<int>{2}));    // max of group 2
  EXPECT_EQ(PruneRowGroups(*md, ts_leaf_, Window(291, 300)), (std::vector<int>{}));     // gap between groups
  EXPECT_EQ(PruneRowGroups(*md, ts_leaf_, Window(291, 301)), (std::vector<int>{3}));    // end is exclusive
  EXPECT_EQ(PruneRowGroups(*md, ts_leaf_, Window(950, {})), (std::vector<int>{9}));
  EXPECT_EQ(PruneRowGroups(*md, ts_leaf_, Window({}, 1)), (std::vector<int>{0}));
  auto range = RowGroupTimestampRange(*md, 4, ts_leaf_);
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(range->first, 400);
  EXPECT_EQ(range->second, 490);
}

TEST_F(PruneRowGroupsTest, KeepsGroupsWithoutStatistics) {
  auto md = WriteAndOpen(/*statistics=*/false);
  EXPECT_FALSE(RowGroupTimestampRange(*md, 0, ts_leaf_).has_value());
  EXPECT_EQ(PruneRowGroups(*md, ts_leaf_, Window(250, 300)).size(), 10u);
}

}  // namespace
}  // namespace mosaico::read
