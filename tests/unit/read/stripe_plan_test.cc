// Stripe planning: pure cut selection (stripe_plan.h) and the topic-level plan over real chunks
// (topic_stripes.h), proven by reading every stripe with the ordinary reader and comparing the concatenation
// with the unstriped read and with the brute-force reference.
#include "mosaico/read/stripe_plan.h"

#include <gtest/gtest.h>

#include <random>

#include "mosaico/read/topic_reader.h"
#include "mosaico/read/topic_stripes.h"
#include "read/read_test_util.h"

namespace mosaico::read {
namespace {

using testing::Reference;
using testing::Row;
using testing::Window;

std::vector<StripeUnit> EqualUnits(int n, int64_t span, int64_t bytes) {
  std::vector<StripeUnit> units;
  for (int i = 0; i < n; ++i) units.push_back({i * span, i * span + span - 1, bytes});
  return units;
}

// The stripes tile the window in order, without gaps.
void ExpectTiles(const std::vector<Stripe>& stripes, const TimeWindow& window) {
  ASSERT_FALSE(stripes.empty());
  EXPECT_EQ(stripes.front().window.start_ns, window.start_ns);
  EXPECT_EQ(stripes.back().window.end_ns, window.end_ns);
  for (size_t i = 1; i < stripes.size(); ++i) {
    ASSERT_TRUE(stripes[i].window.start_ns.has_value());
    EXPECT_EQ(stripes[i - 1].window.end_ns, stripes[i].window.start_ns);
    if (i > 1) {
      EXPECT_LT(*stripes[i - 1].window.start_ns, *stripes[i].window.start_ns);
    }
  }
}

// No unit straddles a cut: every unit lies inside exactly one stripe.
void ExpectNoUnitStraddles(const std::vector<Stripe>& stripes, const std::vector<StripeUnit>& units) {
  for (size_t i = 1; i < stripes.size(); ++i) {
    const int64_t cut = *stripes[i].window.start_ns;
    for (const auto& u : units) {
      EXPECT_TRUE(u.ts_max < cut || u.ts_min >= cut) << "unit [" << u.ts_min << "," << u.ts_max << "] straddles "
                                                     << cut;
    }
  }
}

TEST(StripePlan, OneStripeAsked) {
  auto s = PlanStripes(EqualUnits(8, 100, 10), Window({}, {}), 1);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_FALSE(s[0].window.is_bounded());
  EXPECT_EQ(s[0].estimated_bytes, 80);
}

TEST(StripePlan, NoUnits) {
  auto s = PlanStripes({}, Window(5, 10), 4);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].window.start_ns, 5);
  EXPECT_EQ(s[0].window.end_ns, 10);
}

TEST(StripePlan, EqualUnitsSplitEvenly) {
  auto units = EqualUnits(8, 100, 10);
  for (int n : {2, 4, 8}) {
    auto s = PlanStripes(units, Window({}, {}), n);
    ASSERT_EQ(s.size(), static_cast<size_t>(n));
    ExpectTiles(s, Window({}, {}));
    ExpectNoUnitStraddles(s, units);
    for (const auto& st : s) EXPECT_EQ(st.estimated_bytes, 80 / n);
  }
}

TEST(StripePlan, MoreStripesThanUnitsGivesOnePerUnit) {
  auto s = PlanStripes(EqualUnits(3, 100, 10), Window({}, {}), 8);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(*s[1].window.start_ns, 100);
  EXPECT_EQ(*s[2].window.start_ns, 200);
}

TEST(StripePlan, SizedForEqualBytesNotEqualCounts) {
  // One big unit then many small ones: the cut falls right after the big one.
  std::vector<StripeUnit> units{{0, 99, 1000}};
  for (int i = 1; i <= 10; ++i) units.push_back({i * 100, i * 100 + 99, 100});
  auto s = PlanStripes(units, Window({}, {}), 2);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(*s[1].window.start_ns, 100);
  EXPECT_EQ(s[0].estimated_bytes, 1000);
  EXPECT_EQ(s[1].estimated_bytes, 1000);
}

TEST(StripePlan, FullyOverlappingUnitsCannotBeCut) {
  std::vector<StripeUnit> units{{0, 1000, 10}, {1, 1001, 10}, {2, 999, 10}};
  auto s = PlanStripes(units, Window({}, {}), 4);
  ASSERT_EQ(s.size(), 1u);
}

TEST(StripePlan, OverlapLimitsCutsToWhereMergeOrderAllows) {
  // Two interleaved pairs: [0,100],[1,101] then [200,300],[201,301]: only t=200 is admissible.
  std::vector<StripeUnit> units{{0, 100, 10}, {1, 101, 10}, {200, 300, 10}, {201, 301, 10}};
  auto s = PlanStripes(units, Window({}, {}), 4);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(*s[1].window.start_ns, 200);
  ExpectNoUnitStraddles(s, units);
}

TEST(StripePlan, TouchingUnitsAreNotCutBetween) {
  // Unit 0 ends at 100 and unit 1 starts at 100: rows at 100 are in both, cutting at 100 would decode unit 0 twice.
  std::vector<StripeUnit> units{{0, 100, 10}, {100, 200, 10}, {201, 300, 10}};
  auto s = PlanStripes(units, Window({}, {}), 3);
  ExpectNoUnitStraddles(s, units);
  for (const auto& st : s) EXPECT_NE(st.window.start_ns, std::optional<int64_t>(100));
}

TEST(StripePlan, WindowClipsAndKeepsItsBounds) {
  auto units = EqualUnits(10, 100, 100);
  const auto w = Window(250, 750);
  auto s = PlanStripes(units, w, 2);
  ASSERT_EQ(s.size(), 2u);
  ExpectTiles(s, w);
  ExpectNoUnitStraddles(s, units);
  EXPECT_EQ(*s[1].window.start_ns, 500);  // 250..499 and 500..749: 250 bytes each
  EXPECT_EQ(s[0].estimated_bytes, 250);
  EXPECT_EQ(s[1].estimated_bytes, 250);
  // No cut at or before the window start (it would make an empty first stripe).
  auto s2 = PlanStripes(units, Window(300, {}), 8);
  ExpectTiles(s2, Window(300, {}));
  for (size_t i = 1; i < s2.size(); ++i) EXPECT_GT(*s2[i].window.start_ns, 300);
}

TEST(StripePlan, RandomUnitsAlwaysTileAndNeverStraddle) {
  std::mt19937_64 rng(7);
  for (int iter = 0; iter < 300; ++iter) {
    std::vector<StripeUnit> units;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      const int64_t lo = static_cast<int64_t>(rng() % 1000);
      units.push_back({lo, lo + static_cast<int64_t>(rng() % 100), static_cast<int64_t>(rng() % 1000)});
    }
    std::optional<int64_t> ws, we;
    if (rng() % 2) ws = static_cast<int64_t>(rng() % 600);
    if (rng() % 2) we = ws.value_or(0) + 1 + static_cast<int64_t>(rng() % 600);
    const int stripes = 1 + static_cast<int>(rng() % 10);
    auto s = PlanStripes(units, Window(ws, we), stripes);
    ASSERT_LE(s.size(), static_cast<size_t>(stripes));
    ExpectTiles(s, Window(ws, we));
    ExpectNoUnitStraddles(s, units);
  }
}

// --- PlanTopicStripes over real chunks, read back through the ordinary reader ---

class TopicStripesTest : public ::testing::Test {
 protected:
  void AddChunk(std::vector<int64_t> ts, int64_t row_group_rows = 16) {
    std::sort(ts.begin(), ts.end());
    chunks_.push_back(testing::WriteSimpleChunk(*tmp_.store(), ts, static_cast<int32_t>(chunk_ts_.size()),
                                                {.row_group_rows = row_group_rows}));
    chunk_ts_.push_back(std::move(ts));
  }

  std::vector<Row> ReadWindow(const TimeWindow& w, ReadStats* stats = nullptr) {
    auto reader = OpenTopicReader(tmp_.store(), testing::SimpleSchema(), chunks_, w, {.max_batch_rows = 37});
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    auto batches = testing::Drain(**reader, 37);
    EXPECT_TRUE(batches.ok()) << batches.status().ToString();
    if (stats) *stats = *GetReadStats(**reader);
    return testing::Rows(*batches);
  }

  // Reads every stripe, checks that no row group is decoded twice, returns the concatenation.
  std::vector<Row> ReadStriped(const std::vector<Stripe>& stripes) {
    std::vector<Row> all;
    int64_t groups = 0;
    for (const auto& s : stripes) {
      ReadStats stats;
      auto rows = ReadWindow(s.window, &stats);
      groups += stats.row_groups_read;
      all.insert(all.end(), rows.begin(), rows.end());
    }
    ReadStats whole;
    ReadWindow(Window({}, {}), &whole);
    EXPECT_LE(groups, whole.row_groups_read) << "a row group was decoded by two stripes";
    return all;
  }

  void ExpectStripedEqualsUnstriped(const TimeWindow& w, int n, size_t min_stripes) {
    auto plan = PlanTopicStripes(*tmp_.store(), chunks_, w, n);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    EXPECT_GE(plan->size(), min_stripes);
    EXPECT_LE(plan->size(), static_cast<size_t>(n));
    ExpectTiles(*plan, w);
    const auto expected = Reference(chunk_ts_, w);
    EXPECT_EQ(ReadWindow(w), expected);
    EXPECT_EQ(ReadStriped(*plan), expected);
  }

  testing::TempStore tmp_;
  std::vector<catalog::ChunkRecord> chunks_;
  std::vector<std::vector<int64_t>> chunk_ts_;
};

TEST_F(TopicStripesTest, OneChunkIsCutAtRowGroups) {
  std::vector<int64_t> ts;
  for (int i = 0; i < 160; ++i) ts.push_back(i * 10);
  AddChunk(ts);  // 10 row groups of 16 rows
  ExpectStripedEqualsUnstriped(Window({}, {}), 4, 4);
  ExpectStripedEqualsUnstriped(Window(55, 1203), 4, 3);
  // The writer's row-group size says whether a footer can hold a cut: 160 rows under 16-row groups can be cut...
  auto cut = PlanTopicStripes(*tmp_.store(), chunks_, Window({}, {}), 4, /*row_group_rows=*/16);
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(cut->size(), 4u);
  // ...a chunk no larger than one row group is taken whole, its footer unread (so: one stripe here).
  auto whole = PlanTopicStripes(*tmp_.store(), chunks_, Window({}, {}), 4, /*row_group_rows=*/160);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->size(), 1u);
}

TEST_F(TopicStripesTest, ManyChunksAreCutAtChunks) {
  for (int c = 0; c < 20; ++c) {
    std::vector<int64_t> ts;
    for (int i = 0; i < 40; ++i) ts.push_back(c * 1000 + i * 7);
    AddChunk(ts);
  }
  ExpectStripedEqualsUnstriped(Window({}, {}), 4, 4);  // 20 chunks >= 4 x 4: chunk units, no footer read
  ExpectStripedEqualsUnstriped(Window(3500, 17000), 2, 2);
  auto plan = PlanTopicStripes(*tmp_.store(), chunks_, Window({}, {}), 4);
  ASSERT_TRUE(plan.ok());
  for (size_t i = 1; i < plan->size(); ++i) EXPECT_EQ(*(*plan)[i].window.start_ns % 1000, 0);
}

TEST_F(TopicStripesTest, OverlappingChunksKeepTheMergeOrderIncludingTies) {
  // Interleaved chunks (as striped uploads produce) with many duplicate timestamps across chunks.
  std::mt19937_64 rng(11);
  for (int c = 0; c < 3; ++c) {
    std::vector<int64_t> ts;
    for (int i = 0; i < 200; ++i) ts.push_back(static_cast<int64_t>(rng() % 400));
    AddChunk(ts, 8);
  }
  std::vector<int64_t> later;
  for (int i = 0; i < 100; ++i) later.push_back(400 + static_cast<int64_t>(rng() % 50));
  AddChunk(later, 8);
  ExpectStripedEqualsUnstriped(Window({}, {}), 8, 2);
  ExpectStripedEqualsUnstriped(Window(100, 420), 3, 1);
}

TEST_F(TopicStripesTest, RowGroupsWithoutStatisticsAreNeverCut) {
  std::vector<int64_t> ts;
  for (int i = 0; i < 64; ++i) ts.push_back(i);
  chunks_.push_back(testing::WriteSimpleChunk(*tmp_.store(), ts, 0, {.row_group_rows = 8, .statistics = false}));
  chunk_ts_.push_back(ts);
  ExpectStripedEqualsUnstriped(Window({}, {}), 4, 1);
  auto plan = PlanTopicStripes(*tmp_.store(), chunks_, Window({}, {}), 4);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->size(), 1u);
}

}  // namespace
}  // namespace mosaico::read
