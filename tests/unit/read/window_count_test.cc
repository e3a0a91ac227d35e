#include "mosaico/read/window_count.h"

#include <gtest/gtest.h>

#include <random>

#include "read/read_test_util.h"

namespace mosaico::read {
namespace {

using testing::Window;

WindowCount BruteForce(const std::vector<std::vector<int64_t>>& chunks, const TimeWindow& w) {
  WindowCount out;
  for (const auto& c : chunks) {
    for (int64_t t : c) {
      if (!w.Contains(t)) continue;
      ++out.row_count;
      out.first_ts = out.first_ts ? std::min(*out.first_ts, t) : t;
      out.last_ts = out.last_ts ? std::max(*out.last_ts, t) : t;
    }
  }
  return out;
}

void ExpectEq(const WindowCount& a, const WindowCount& b, const TimeWindow& w) {
  SCOPED_TRACE(::testing::Message() << "window [" << w.start_ns.value_or(-1) << ", " << w.end_ns.value_or(-1) << ")");
  EXPECT_EQ(a.row_count, b.row_count);
  EXPECT_EQ(a.first_ts, b.first_ts);
  EXPECT_EQ(a.last_ts, b.last_ts);
}

TEST(CountRowsInWindow, RandomDataMatchesBruteForce) {
  testing::TempStore tmp;
  std::mt19937_64 rng(20240611);
  std::vector<std::vector<int64_t>> chunk_ts;
  std::vector<catalog::ChunkRecord> records;
  for (int c = 0; c < 12; ++c) {
    // Chunks of various spans and densities, overlapping one another.
    const int64_t lo = std::uniform_int_distribution<int64_t>(0, 8000)(rng);
    const int64_t span = std::uniform_int_distribution<int64_t>(1, 3000)(rng);
    std::vector<int64_t> ts(std::uniform_int_distribution<int>(1, 400)(rng));
    for (auto& t : ts) t = std::uniform_int_distribution<int64_t>(lo, lo + span)(rng);
    std::sort(ts.begin(), ts.end());
    records.push_back(testing::WriteSimpleChunk(*tmp.store(), ts, c,
                                                {.row_group_rows = 1 + c * 7, .statistics = c % 4 != 3}));
    chunk_ts.push_back(ts);
  }
  std::uniform_int_distribution<int64_t> bound(-100, 11100);
  for (int trial = 0; trial < 300; ++trial) {
    std::optional<int64_t> s, e;
    if (trial % 5 != 0) s = bound(rng);
    if (trial % 7 != 0) e = bound(rng);
    if (s && e && *s >= *e) std::swap(s, e);
    if (s && e && *s == *e) *e += 1;
    auto w = Window(s, e);
    auto got = CountRowsInWindow(tmp.store(), records, w);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ExpectEq(*got, BruteForce(chunk_ts, w), w);
  }
}

TEST(CountRowsInWindow, CoveredChunksAreNotOpenedAndOnlyCutGroupsAreRead) {
  testing::TempStore tmp;
  std::vector<catalog::ChunkRecord> records;
  std::vector<std::vector<int64_t>> chunk_ts;
  for (int c = 0; c < 4; ++c) {
    std::vector<int64_t> ts;
    for (int64_t t = c * 1000; t < c * 1000 + 1000; ++t) ts.push_back(t);
    records.push_back(testing::WriteSimpleChunk(*tmp.store(), ts, c, {.row_group_rows = 100}));
    chunk_ts.push_back(ts);
  }
  // [1450, 3050): chunk 2 is covered, chunks 1 and 3 are cut (inside one row group each), chunk 0 is outside.
  auto w = Window(1450, 3050);
  ReadStats stats;
  auto got = CountRowsInWindow(tmp.store(), records, w, {}, &stats);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ExpectEq(*got, BruteForce(chunk_ts, w), w);
  EXPECT_EQ(got->row_count, 1600);
  EXPECT_EQ(stats.chunks_selected, 3);
  EXPECT_EQ(stats.chunks_counted_from_catalog, 1);
  EXPECT_EQ(stats.chunks_opened, 2);
  EXPECT_EQ(stats.row_groups_read, 2);   // group 4 of chunk 1 and group 0 of chunk 3
  EXPECT_EQ(stats.rows_decoded, 200);    // only their timestamp_ns column
  EXPECT_EQ(stats.row_groups_pruned, 4 + 9);
}

TEST(CountRowsInWindow, EmptyAndInvalid) {
  testing::TempStore tmp;
  auto rec = testing::WriteSimpleChunk(*tmp.store(), {10, 20, 30}, 0);
  auto got = CountRowsInWindow(tmp.store(), {rec}, Window(21, 30));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->row_count, 0);
  EXPECT_FALSE(got->first_ts.has_value());
  EXPECT_FALSE(got->last_ts.has_value());
  got = CountRowsInWindow(tmp.store(), {}, Window({}, {}));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->row_count, 0);
  EXPECT_TRUE(CountRowsInWindow(tmp.store(), {rec}, Window(5, 5)).status().IsInvalid());
  got = CountRowsInWindow(tmp.store(), {rec}, Window({}, {}));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->row_count, 3);
  EXPECT_EQ(got->first_ts, 10);
  EXPECT_EQ(got->last_ts, 30);
}

}  // namespace
}  // namespace mosaico::read
