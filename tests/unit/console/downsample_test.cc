// The console's min/max downsampler (console/downsample.h): a one-sample spike survives any zoom, columns that get
// nothing are left out, row-group summaries spread over the columns they span and bound the data.
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "mosaico/console/downsample.h"

namespace mosaico::console {
namespace {

TEST(MinMaxBuckets, OneSampleSpikeIsTheMaxOfItsColumn) {
  // 1 M samples of a sine at 1 kHz over 1000 s, one sample at 50 in the middle, 500 columns.
  const int64_t n = 1000000, step = 1000000;  // 1 ms
  MinMaxBuckets b(0, n * step, 500);
  for (int64_t i = 0; i < n; ++i) b.Add(i * step, i == 123457 ? 50.0 : std::sin(i * 0.001));
  auto r = b.Result();
  ASSERT_EQ(r.ts.size(), 500u);
  int64_t rows = 0;
  int spikes = 0;
  for (size_t k = 0; k < r.ts.size(); ++k) {
    rows += r.rows[k];
    if (r.max[k] == 50.0) {
      ++spikes;
      EXPECT_EQ(static_cast<int64_t>(k), b.BucketOf(123457 * step));
    } else {
      EXPECT_LE(r.max[k], 1.0);
    }
    EXPECT_GE(r.min[k], -1.0);
  }
  EXPECT_EQ(spikes, 1);
  EXPECT_EQ(rows, n);
}

TEST(MinMaxBuckets, ColumnsAndWindowEdges) {
  MinMaxBuckets b(100, 200, 10);  // columns of 10 ns
  EXPECT_EQ(b.bucket_ns(), 10);
  EXPECT_EQ(b.BucketOf(99), -1);
  EXPECT_EQ(b.BucketOf(100), 0);
  EXPECT_EQ(b.BucketOf(109), 0);
  EXPECT_EQ(b.BucketOf(110), 1);
  EXPECT_EQ(b.BucketOf(199), 9);
  EXPECT_EQ(b.BucketOf(200), -1);  // end is exclusive
  b.Add(99, 1000);   // outside: ignored
  b.Add(200, 1000);  // outside: ignored
  b.Add(105, 1);
  b.Add(107, -2);
  b.Add(155, 3);
  b.Add(156, std::numeric_limits<double>::quiet_NaN());  // ignored
  b.Add(157, std::numeric_limits<double>::infinity());   // ignored
  auto r = b.Result();
  ASSERT_EQ(r.ts.size(), 2u);  // empty columns are gaps
  EXPECT_EQ(r.ts[0], 100);
  EXPECT_EQ(r.min[0], -2);
  EXPECT_EQ(r.max[0], 1);
  EXPECT_EQ(r.rows[0], 2);
  EXPECT_EQ(r.ts[1], 150);
  EXPECT_EQ(r.min[1], 3);
  EXPECT_EQ(r.rows[1], 1);
}

TEST(MinMaxBuckets, UnevenSpanGivesTheRemainderToTheLastColumn) {
  MinMaxBuckets b(0, 105, 10);
  EXPECT_EQ(b.bucket_ns(), 10);
  EXPECT_EQ(b.BucketOf(104), 9);
  MinMaxBuckets tiny(0, 3, 10);  // fewer ns than columns: one column per ns
  EXPECT_EQ(tiny.buckets(), 3);
  EXPECT_EQ(tiny.BucketOf(2), 2);
}

TEST(MinMaxBuckets, RangeSummariesSpreadOverTheColumnsTheySpan) {
  MinMaxBuckets b(0, 100, 10);
  // A row group over [15, 44] with values in [-1, 7] and 31 rows: columns 1..4, clipped nowhere.
  b.AddRange(15, 44, -1, 7, 31);
  // A group starting before the window: clipped to column 0.
  b.AddRange(-50, 5, 2, 3, 10);
  // Entirely outside: ignored.
  b.AddRange(100, 150, 9, 9, 5);
  auto r = b.Result();
  ASSERT_EQ(r.ts.size(), 5u);
  EXPECT_EQ(r.ts[0], 0);
  EXPECT_EQ(r.min[0], 2);
  EXPECT_EQ(r.max[0], 3);
  int64_t rows = 0;
  for (size_t k = 1; k < 5; ++k) {
    EXPECT_EQ(r.ts[k], static_cast<int64_t>(k) * 10);
    EXPECT_EQ(r.min[k], -1);
    EXPECT_EQ(r.max[k], 7);
    rows += r.rows[k];
  }
  EXPECT_EQ(rows, 31);  // split among the 4 columns, none lost
  // A point added to a column a summary covers widens it.
  b.Add(41, 100);
  EXPECT_EQ(b.Result().max[4], 100);
}

}  // namespace
}  // namespace mosaico::console
