// Merge correctness against a brute-force stable sort, batch invariants, windows, laziness and pruning.
#include "mosaico/read/sorted_merge_reader.h"

#include <gtest/gtest.h>

#include <random>

#include "mosaico/read/topic_reader.h"
#include "read/read_test_util.h"

namespace mosaico::read {
namespace {

using testing::Reference;
using testing::Row;
using testing::Window;

class MergeTest : public ::testing::Test {
 protected:
  // Adds chunk number chunk_ts_.size() (its upload index) with these timestamps (sorted on write).
  void AddChunk(std::vector<int64_t> ts, testing::WriteOptions opts = {}) {
    std::sort(ts.begin(), ts.end());
    records_.push_back(testing::WriteSimpleChunk(*tmp_.store(), ts, static_cast<int32_t>(chunk_ts_.size()), opts));
    chunk_ts_.push_back(std::move(ts));
  }

  std::vector<Row> Read(const TimeWindow& window, ReadOptions opts = {}, ReadStats* stats = nullptr,
                        size_t* batches = nullptr) {
    auto reader = OpenTopicReader(tmp_.store(), testing::SimpleSchema(), records_, window, opts);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return {};
    auto drained = testing::Drain(**reader, opts.max_batch_rows);
    EXPECT_TRUE(drained.ok()) << drained.status().ToString();
    if (stats) *stats = GetReadStats(**reader).value();
    if (batches) *batches = drained->size();
    return testing::Rows(*drained);
  }

  void ExpectMatchesReference(const TimeWindow& window, ReadOptions opts = {}) {
    auto expected = Reference(chunk_ts_, window);
    ReadStats stats;
    auto actual = Read(window, opts, &stats);
    ASSERT_EQ(actual.size(), expected.size()) << "window [" << window.start_ns.value_or(-1) << ", "
                                              << window.end_ns.value_or(-1) << ")";
    for (size_t i = 0; i < expected.size(); ++i) {
      ASSERT_EQ(actual[i], expected[i]) << "row " << i;
    }
    EXPECT_EQ(stats.rows_emitted, static_cast<int64_t>(expected.size()));
  }

  testing::TempStore tmp_;
  std::vector<std::vector<int64_t>> chunk_ts_;
  std::vector<catalog::ChunkRecord> records_;
};

std::vector<int64_t> Range(int64_t from, int64_t to, int64_t step = 1) {
  std::vector<int64_t> v;
  for (int64_t t = from; t < to; t += step) v.push_back(t);
  return v;
}

TEST_F(MergeTest, NonOverlappingChunksStreamOneAtATime) {
  AddChunk(Range(0, 100));
  AddChunk(Range(100, 250));
  AddChunk(Range(300, 310));
  ExpectMatchesReference(Window({}, {}));
  ReadStats stats;
  size_t batches = 0;
  Read(Window({}, {}), {}, &stats, &batches);
  EXPECT_EQ(stats.max_open_chunks, 1);
  EXPECT_EQ(stats.chunks_opened, 3);
  EXPECT_EQ(batches, 1u);  // 260 rows fit one output batch
}

TEST_F(MergeTest, NonOverlappingFastPathEmitsWholeDecodedBatchesZeroCopy) {
  AddChunk(Range(0, 1000), {.row_group_rows = 250});
  auto reader = OpenTopicReader(tmp_.store(), testing::SimpleSchema(), records_, Window({}, {}),
                                {.max_batch_rows = 250, .max_decode_rows = 250});
  ASSERT_TRUE(reader.ok());
  std::shared_ptr<arrow::RecordBatch> b;
  ASSERT_TRUE((*reader)->ReadNext(&b).ok());
  ASSERT_EQ(b->num_rows(), 250);
  // A whole decoded batch is handed out as is: offset 0 and the column buffer sized for exactly 250 rows.
  EXPECT_EQ(b->column_data(0)->offset, 0);
  EXPECT_EQ(b->column_data(0)->buffers[1]->size(), 250 * 8);
}

TEST_F(MergeTest, SlightlyOverlappingEdges) {
  AddChunk(Range(0, 1000, 3));
  AddChunk(Range(990, 2000, 3));   // overlaps the tail of chunk 0
  AddChunk(Range(1995, 2500, 2));  // overlaps the tail of chunk 1
  AddChunk(Range(2600, 2700));
  ExpectMatchesReference(Window({}, {}));
  ExpectMatchesReference(Window({}, {}), {.max_batch_rows = 7});
  ReadStats stats;
  Read(Window({}, {}), {}, &stats);
  EXPECT_EQ(stats.max_open_chunks, 2);
}

TEST_F(MergeTest, FullyInterleavedRandomChunks) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> ts(0, 5000);  // dense: many duplicates across and inside chunks
  for (int c = 0; c < 8; ++c) {
    std::vector<int64_t> v(300 + c * 37);
    for (auto& t : v) t = ts(rng);
    AddChunk(v, {.row_group_rows = 64});
  }
  for (int64_t max_rows : {1, 7, 100, 1000, 65536}) {
    SCOPED_TRACE(max_rows);
    ExpectMatchesReference(Window({}, {}), {.max_batch_rows = max_rows});
    ExpectMatchesReference(Window(1234, 3456), {.max_batch_rows = max_rows});
  }
  ReadStats stats;
  Read(Window({}, {}), {}, &stats);
  EXPECT_EQ(stats.max_open_chunks, 8);
}

// Many seeds: chunk counts, spans (ties in ts_min and in timestamps), catalog order, windows and batch limits
// all random; the output must be exactly the brute-force stable sort.
TEST(MergeRandomized, MatchesBruteForce) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937_64 rng(seed);
    auto uniform = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
    testing::TempStore tmp;
    std::vector<std::vector<int64_t>> chunk_ts;
    std::vector<catalog::ChunkRecord> records;
    const int chunks = static_cast<int>(uniform(1, 9));
    for (int c = 0; c < chunks; ++c) {
      const int64_t lo = uniform(0, 4) * 50;  // few distinct starts: ties in ts_min
      std::vector<int64_t> ts(uniform(1, 120));
      for (auto& t : ts) t = uniform(lo, lo + uniform(0, 300));
      std::sort(ts.begin(), ts.end());
      records.push_back(testing::WriteSimpleChunk(*tmp.store(), ts, c, {.row_group_rows = uniform(1, 40)}));
      chunk_ts.push_back(ts);
    }
    std::shuffle(records.begin(), records.end(), rng);
    for (int trial = 0; trial < 6; ++trial) {
      std::optional<int64_t> s, e;
      if (uniform(0, 2) > 0) s = uniform(-10, 400);
      if (uniform(0, 2) > 0) e = uniform(-10, 400);
      if (s && e && *s >= *e) continue;
      const auto w = Window(s, e);
      ReadOptions opts{.max_batch_rows = uniform(1, 300), .max_decode_rows = uniform(1, 50)};
      auto reader = OpenTopicReader(tmp.store(), testing::SimpleSchema(), records, w, opts);
      ASSERT_TRUE(reader.ok()) << reader.status().ToString();
      auto batches = testing::Drain(**reader, opts.max_batch_rows);
      ASSERT_TRUE(batches.ok()) << batches.status().ToString();
      ASSERT_EQ(testing::Rows(*batches), Reference(chunk_ts, w));
    }
  }
}

TEST_F(MergeTest, DuplicateTimestampsKeepUploadOrderThenRowOrder) {
  AddChunk({5, 5, 5, 7});
  AddChunk({1, 5, 5});
  AddChunk({5, 6});
  // Catalog order is (ts_min, index); the reader must not depend on it: feed chunks reversed.
  std::reverse(records_.begin(), records_.end());
  auto rows = Read(Window({}, {}));
  std::vector<Row> expected = {{1, 1000000}, {5, 0},       {5, 1},       {5, 2},      {5, 1000001},
                               {5, 1000002}, {5, 2000000}, {6, 2000001}, {7, 3}};
  EXPECT_EQ(rows, expected);
  EXPECT_EQ(rows, Reference(chunk_ts_, Window({}, {})));
}

TEST_F(MergeTest, SameTimestampEverywhere) {
  for (int c = 0; c < 5; ++c) AddChunk(std::vector<int64_t>(50, 42), {.row_group_rows = 8});
  ExpectMatchesReference(Window({}, {}));
  ExpectMatchesReference(Window({}, {}), {.max_batch_rows = 3});
  ExpectMatchesReference(Window(42, 43));
  EXPECT_TRUE(Read(Window(43, {})).empty());
}

TEST_F(MergeTest, WindowsAgainstReference) {
  std::mt19937_64 rng(7);
  AddChunk(Range(0, 400, 2), {.row_group_rows = 16});
  AddChunk(Range(301, 700, 3), {.row_group_rows = 16});
  AddChunk(Range(1000, 1200), {.row_group_rows = 16});
  std::vector<int64_t> v(200);
  for (auto& t : v) t = std::uniform_int_distribution<int64_t>(0, 1300)(rng);
  AddChunk(v, {.row_group_rows = 16});
  std::vector<std::optional<int64_t>> bounds = {std::nullopt, -5, 0, 1, 17, 300, 301, 399, 400, 699, 700,
                                                701, 999, 1000, 1100, 1199, 1200, 1301, 5000};
  for (const auto& s : bounds) {
    for (const auto& e : bounds) {
      if (s && e && *s >= *e) continue;
      ExpectMatchesReference(Window(s, e), {.max_batch_rows = 50});
    }
  }
}

TEST_F(MergeTest, EmptyResultEmitsNoBatchAtAll) {
  AddChunk(Range(0, 100, 10));
  AddChunk(Range(200, 300, 10));
  for (auto w : {Window(101, 200), Window(91, 100), Window({}, 0), Window(300, {}), Window(295, 299)}) {
    ReadStats stats;
    size_t batches = 99;
    EXPECT_TRUE(Read(w, {}, &stats, &batches).empty());
    EXPECT_EQ(batches, 0u);
    EXPECT_EQ(stats.batches_emitted, 0);
  }
  // No chunks at all.
  records_.clear();
  size_t batches = 99;
  EXPECT_TRUE(Read(Window({}, {}), {}, nullptr, &batches).empty());
  EXPECT_EQ(batches, 0u);
}

TEST_F(MergeTest, WindowCutsInsideRowGroups) {
  AddChunk(Range(0, 1000), {.row_group_rows = 100});
  auto rows = Read(Window(150, 351));
  ASSERT_EQ(rows.size(), 201u);
  EXPECT_EQ(rows.front().first, 150);
  EXPECT_EQ(rows.back().first, 350);
}

TEST_F(MergeTest, MaxBatchRowsRespected) {
  AddChunk(Range(0, 1000), {.row_group_rows = 64});
  AddChunk(Range(500, 1500), {.row_group_rows = 64});
  for (int64_t max_rows : {1, 2, 3, 64, 65, 999}) {
    size_t batches = 0;
    auto rows = Read(Window({}, {}), {.max_batch_rows = max_rows}, nullptr, &batches);  // Drain checks <= max
    EXPECT_EQ(rows.size(), 2000u);
    // Batches are filled, except that a batch may leave early rather than split a decoded run (zero-copy).
    const size_t full = static_cast<size_t>((2000 + max_rows - 1) / max_rows);
    EXPECT_GE(batches, full) << max_rows;
    EXPECT_LE(batches, full + full / 8 + 2) << max_rows;
  }
}

TEST_F(MergeTest, MaxBatchBytesBoundsWideRows) {
  // 10 KiB per row; a 64 KiB budget holds about 6 rows per batch.
  auto schema = arrow::schema({arrow::field("timestamp_ns", arrow::int64(), false), arrow::field("blob", arrow::binary())});
  arrow::BinaryBuilder blobs;
  std::vector<int64_t> ts = Range(0, 100);
  for (size_t i = 0; i < ts.size(); ++i) ASSERT_OK(blobs.Append(std::to_string(i) + std::string(10240, 'x')));
  auto table = arrow::Table::Make(schema, {testing::Int64Array(ts), blobs.Finish().ValueOrDie()});
  auto rec = testing::WriteChunk(*tmp_.store(), table, 0, {.row_group_rows = 50});
  auto reader = OpenTopicReader(tmp_.store(), schema, {rec}, Window({}, {}), {.max_batch_bytes = 64 << 10});
  ASSERT_TRUE(reader.ok());
  auto batches = testing::Drain(**reader, 65536).ValueOrDie();
  int64_t rows = 0;
  for (const auto& b : batches) {
    rows += b->num_rows();
    EXPECT_LE(b->num_rows(), 7);
  }
  EXPECT_EQ(rows, 100);
  EXPECT_GE(batches.size(), 15u);
}

TEST_F(MergeTest, RowGroupPruningSkipsGroups) {
  AddChunk(Range(0, 1000), {.row_group_rows = 100});  // 10 groups of 100
  ReadStats stats;
  auto rows = Read(Window(320, 480), {}, &stats);
  EXPECT_EQ(rows.size(), 160u);
  EXPECT_EQ(stats.row_groups_total, 10);
  EXPECT_EQ(stats.row_groups_read, 2);
  EXPECT_EQ(stats.row_groups_pruned, 8);
  EXPECT_EQ(stats.rows_decoded, 200);
}

TEST_F(MergeTest, GroupsWithoutStatisticsAreReadNotLost) {
  AddChunk(Range(0, 1000), {.row_group_rows = 100, .statistics = false});
  ReadStats stats;
  auto rows = Read(Window(320, 480), {}, &stats);
  EXPECT_EQ(rows.size(), 160u);
  EXPECT_EQ(stats.row_groups_pruned, 0);
  // Sorted rows: decoding stops at the first row past the window end.
  EXPECT_EQ(stats.row_groups_read, 5);
}

TEST_F(MergeTest, ChunksOpenLazilyAndOutsideWindowNever) {
  for (int c = 0; c < 5; ++c) AddChunk(Range(c * 100, c * 100 + 100));
  auto reader = OpenTopicReader(tmp_.store(), testing::SimpleSchema(), records_, Window(150, {}), {.max_batch_rows = 10});
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(GetReadStats(**reader)->chunks_opened, 0);
  std::shared_ptr<arrow::RecordBatch> b;
  ASSERT_OK((*reader)->ReadNext(&b));
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(GetReadStats(**reader)->chunks_selected, 4);
  EXPECT_EQ(GetReadStats(**reader)->chunks_opened, 1);
  auto rest = testing::Drain(**reader, 10).ValueOrDie();
  EXPECT_EQ(GetReadStats(**reader)->chunks_opened, 4);
  EXPECT_EQ(GetReadStats(**reader)->max_open_chunks, 1);
}

TEST_F(MergeTest, CloseEndsTheStream) {
  AddChunk(Range(0, 100));
  auto reader = OpenTopicReader(tmp_.store(), testing::SimpleSchema(), records_, Window({}, {}), {.max_batch_rows = 10});
  ASSERT_TRUE(reader.ok());
  std::shared_ptr<arrow::RecordBatch> b;
  ASSERT_OK((*reader)->ReadNext(&b));
  ASSERT_OK((*reader)->Close());
  ASSERT_OK((*reader)->ReadNext(&b));
  EXPECT_EQ(b, nullptr);
}

TEST_F(MergeTest, WrongCatalogTsMinIsAnErrorNotDisorder) {
  AddChunk(Range(0, 100));
  AddChunk(Range(50, 150));
  records_[1].ts_min = 120;  // lies: the chunk really starts at 50
  auto reader = OpenTopicReader(tmp_.store(), testing::SimpleSchema(), records_, Window({}, {}), {.max_batch_rows = 10});
  ASSERT_TRUE(reader.ok());
  auto st = testing::Drain(**reader, 10).status();
  EXPECT_TRUE(st.IsIOError()) << st.ToString();
}

// A chunk whose rows are out of order (a corrupt object: the writer sorts) fails loudly, wherever the one descent is
// in a decoded batch (first pair, either side of the checker's 1024-row block boundary, last pair, and across the
// boundary of two decoded batches), never emitting rows out of order.
TEST_F(MergeTest, UnsortedChunkIsAnIOErrorWhereverTheDescentIs) {
  const int64_t n = 3000;
  for (int64_t at : {int64_t{1}, int64_t{1023}, int64_t{1024}, int64_t{1025}, int64_t{2048}, n - 1}) {
    for (int64_t decode_rows : {int64_t{65536}, at}) {
      testing::TempStore tmp;
      std::vector<int64_t> ts = Range(0, n);
      std::swap(ts[at - 1], ts[at]);
      std::vector<int64_t> ids(ts.size(), 0);
      auto table = arrow::Table::Make(testing::SimpleSchema(), {testing::Int64Array(ts), testing::Int64Array(ids)});
      auto record = testing::WriteChunk(*tmp.store(), table, 0, {.row_group_rows = n});
      record.ts_min = 0;
      record.ts_max = n - 1;
      auto reader = OpenTopicReader(tmp.store(), testing::SimpleSchema(), {record}, Window({}, {}),
                                    {.max_decode_rows = decode_rows});
      ASSERT_TRUE(reader.ok());
      auto st = testing::Drain(**reader, 65536).status();
      EXPECT_TRUE(st.IsIOError()) << "descent at " << at << ": " << st.ToString();
      EXPECT_NE(st.message().find("not sorted"), std::string::npos) << st.ToString();
    }
  }
  // The same rows in order read back whole.
  AddChunk(Range(0, n), {.row_group_rows = n});
  ExpectMatchesReference(Window({}, {}));
}

TEST_F(MergeTest, MissingObjectNamesTheKey) {
  AddChunk(Range(0, 100));
  records_[0].object_key = "topic/missing.parquet";
  auto reader = OpenTopicReader(tmp_.store(), testing::SimpleSchema(), records_, Window({}, {}));
  ASSERT_TRUE(reader.ok());
  auto st = testing::Drain(**reader, 65536).status();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("topic/missing.parquet"), std::string::npos) << st.ToString();
}

TEST_F(MergeTest, InvalidArguments) {
  AddChunk(Range(0, 100));
  EXPECT_TRUE(OpenTopicReader(tmp_.store(), testing::SimpleSchema(), records_, Window(10, 10)).status().IsInvalid());
  auto no_ts = arrow::schema({arrow::field("id", arrow::int64())});
  EXPECT_TRUE(OpenTopicReader(tmp_.store(), no_ts, records_, Window({}, {})).status().IsInvalid());
  EXPECT_TRUE(OpenTopicReader(tmp_.store(), testing::SimpleSchema(), records_, Window({}, {}), {.max_batch_rows = 0})
                  .status()
                  .IsInvalid());
}

}  // namespace
}  // namespace mosaico::read
