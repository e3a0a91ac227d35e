// Min/max downsampling of a time series to pixel columns (the console's plots, console/series.h).
//
// Contract:
//  - MinMaxBuckets splits [start_ns, end_ns) into `buckets` equal columns (the last one takes the remainder).
//    Every value added lands in the column of its timestamp; a column keeps the minimum, the maximum and how many
//    rows it summarises. Values outside the window, NaN and infinities are ignored. So a one-sample spike is the
//    max (or min) of its column at any zoom: it is never averaged away.
//  - AddRange adds a summary (statistics of a Parquet row group: its time range, min, max and row count) to every
//    column its time range overlaps (clipped to the window): the envelope of the plot stays a true bound of the
//    data, only coarser where a summary spans several columns. Rows are split evenly among those columns.
//  - Columns that received nothing are left out of the output (gaps stay gaps).
//  - Pure computation, no I/O; cost O(rows + buckets).
#pragma once

#include <cstdint>
#include <vector>

namespace mosaico::console {

struct BucketSeries {
  std::vector<int64_t> ts;     // start of each non-empty column (ns)
  std::vector<double> min;
  std::vector<double> max;
  std::vector<int64_t> rows;   // rows summarised by the column
};

class MinMaxBuckets {
 public:
  // buckets >= 1 and end_ns > start_ns (callers validate; out-of-range values are clamped to one column).
  MinMaxBuckets(int64_t start_ns, int64_t end_ns, int buckets);

  void Add(int64_t ts_ns, double value);
  void AddRange(int64_t ts_lo_ns, int64_t ts_hi_ns, double min, double max, int64_t rows);

  int buckets() const { return static_cast<int>(min_.size()); }
  // Width of one column in ns (>= 1).
  int64_t bucket_ns() const { return width_ns_; }
  // The column of a timestamp inside the window; -1 outside.
  int BucketOf(int64_t ts_ns) const;
  BucketSeries Result() const;

 private:
  void Merge(int bucket, double min, double max, int64_t rows);

  int64_t start_ns_;
  int64_t end_ns_;
  int64_t width_ns_;
  std::vector<double> min_;
  std::vector<double> max_;
  std::vector<int64_t> rows_;
  std::vector<bool> set_;
};

}  // namespace mosaico::console
