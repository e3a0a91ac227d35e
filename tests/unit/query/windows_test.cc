// Window algorithms of clusterize / intersect (docs/QUERY.md, "Clusterize and intersect").
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>

#include "mosaico/query/windows.h"

namespace mosaico::query {
namespace {

using W = std::vector<Window>;

TEST(WindowsTest, ClusterTimestampsSplitsOnGapsLargerThanDt) {
  const std::vector<int64_t> ts = {1, 2, 3, 10, 11, 20};
  EXPECT_EQ(ClusterTimestamps(ts, 0), (W{{1, 20}}));  // dt == 0: one window [first, last]
  EXPECT_EQ(ClusterTimestamps(ts, 1), (W{{1, 3}, {10, 11}, {20, 20}}));
  EXPECT_EQ(ClusterTimestamps(ts, 2), (W{{1, 3}, {10, 11}, {20, 20}}));
  EXPECT_EQ(ClusterTimestamps(ts, 7), (W{{1, 11}, {20, 20}}));  // a gap equal to dt joins
  EXPECT_EQ(ClusterTimestamps(ts, 9), (W{{1, 20}}));
  EXPECT_EQ(ClusterTimestamps({}, 5), W{});
  EXPECT_EQ(ClusterTimestamps({7}, 0), (W{{7, 7}}));
  EXPECT_EQ(ClusterTimestamps({4, 4, 4}, 1), (W{{4, 4}}));
}

TEST(WindowsTest, ClusterTimestampsDoesNotOverflow) {
  constexpr int64_t lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(ClusterTimestamps({lo, hi}, hi), (W{{lo, lo}, {hi, hi}}));
  EXPECT_EQ(ClusterTimestamps({lo, 0}, hi), (W{{lo, lo}, {0, 0}}));
  EXPECT_EQ(ClusterTimestamps({-1, hi}, hi), (W{{-1, -1}, {hi, hi}}));
  EXPECT_EQ(ClusterTimestamps({0, hi}, hi), (W{{0, hi}}));
}

TEST(WindowsTest, MergeOfPartsEqualsClustersOfTheUnion) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 500; ++round) {
    const int64_t dt = std::uniform_int_distribution<int64_t>(1, 20)(rng);
    std::vector<int64_t> all;
    W parts;
    const int n_parts = std::uniform_int_distribution<int>(1, 5)(rng);
    for (int p = 0; p < n_parts; ++p) {
      std::vector<int64_t> ts(std::uniform_int_distribution<int>(0, 30)(rng));
      for (auto& t : ts) t = std::uniform_int_distribution<int64_t>(0, 300)(rng);
      std::sort(ts.begin(), ts.end());
      auto w = ClusterTimestamps(ts, dt);
      parts.insert(parts.end(), w.begin(), w.end());
      all.insert(all.end(), ts.begin(), ts.end());
    }
    std::sort(all.begin(), all.end());
    std::shuffle(parts.begin(), parts.end(), rng);
    EXPECT_EQ(MergeWindows(parts, dt), ClusterTimestamps(all, dt)) << "round " << round;
    EXPECT_EQ(MergeWindows(parts, 0), ClusterTimestamps(all, 0)) << "round " << round;
  }
}

TEST(WindowsTest, IntersectOverlaps) {
  // A [0,10] [20,30]; B [5,25]: [5,10], advance A; [20,25], advance B, B runs out.
  EXPECT_EQ(IntersectWindows({{{0, 10}, {20, 30}}, {{5, 25}}}, 0), (W{{5, 10}, {20, 25}}));
  EXPECT_EQ(IntersectWindows({{{5, 25}}, {{0, 10}, {20, 30}}}, 0), (W{{5, 10}, {20, 25}}));
  // Three topics.
  EXPECT_EQ(IntersectWindows({{{0, 100}}, {{10, 20}, {30, 40}}, {{15, 35}}}, 0), (W{{15, 20}, {30, 35}}));
  // Touching windows share one instant.
  EXPECT_EQ(IntersectWindows({{{0, 10}}, {{10, 20}}}, 0), (W{{10, 10}}));
  // Disjoint: nothing.
  EXPECT_EQ(IntersectWindows({{{0, 10}}, {{11, 20}}}, 0), W{});
}

TEST(WindowsTest, IntersectToleranceWindow) {
  // A [0,10], B [14,20]: gap 4.
  EXPECT_EQ(IntersectWindows({{{0, 10}}, {{14, 20}}}, 3), W{});                 // 14 > 10 + 3
  EXPECT_EQ(IntersectWindows({{{0, 10}}, {{14, 20}}}, 4), (W{{12, 12}}));       // [14 - 2, 10 + 2]
  EXPECT_EQ(IntersectWindows({{{0, 10}}, {{14, 20}}}, 5), (W{{12, 13}}));       // [14 - 2, 10 + 3]
  EXPECT_EQ(IntersectWindows({{{0, 10}}, {{14, 20}}}, 6), (W{{11, 13}}));       // [14 - 3, 10 + 3]
  // Overlapping windows are emitted as is, whatever the tolerance.
  EXPECT_EQ(IntersectWindows({{{0, 10}}, {{5, 20}}}, 100), (W{{5, 10}}));
  // Tolerance windows never overflow.
  constexpr int64_t hi = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(IntersectWindows({{{0, hi - 1}}, {{hi, hi}}}, hi), (W{{hi - hi / 2, hi}}));
}

TEST(WindowsTest, IntersectAdvancesTheFirstTopicThatEndsFirst) {
  // A and B both end at 10: A advances (first on ties) and runs out.
  EXPECT_EQ(IntersectWindows({{{0, 10}}, {{0, 10}, {12, 14}}, {{5, 14}}}, 0), (W{{5, 10}}));
  // B ends first: B advances to [12,14], A [0,20] still current.
  EXPECT_EQ(IntersectWindows({{{0, 20}}, {{0, 10}, {12, 14}}}, 0), (W{{0, 10}, {12, 14}}));
}

TEST(WindowsTest, IntersectNeedsTwoTopicsWithWindows) {
  EXPECT_EQ(IntersectWindows({}, 0), W{});
  EXPECT_EQ(IntersectWindows({{{0, 10}}}, 0), W{});
  EXPECT_EQ(IntersectWindows({{{0, 10}}, {}}, 0), W{});
  EXPECT_EQ(IntersectWindows({{}, {{0, 10}}}, 5), W{});
}

}  // namespace
}  // namespace mosaico::query
