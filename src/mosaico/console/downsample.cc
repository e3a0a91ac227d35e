#include "mosaico/console/downsample.h"

#include <algorithm>
#include <cmath>

namespace mosaico::console {

MinMaxBuckets::MinMaxBuckets(int64_t start_ns, int64_t end_ns, int buckets)
    : start_ns_(start_ns), end_ns_(std::max(end_ns, start_ns + 1)) {
  const int n = std::max(1, buckets);
  const int64_t span = end_ns_ - start_ns_;
  width_ns_ = std::max<int64_t>(1, span / n);
  // With fewer ns than columns, one column per ns.
  const int64_t count = std::min<int64_t>(n, span);
  min_.assign(count, 0.0);
  max_.assign(count, 0.0);
  rows_.assign(count, 0);
  set_.assign(count, false);
}

int MinMaxBuckets::BucketOf(int64_t ts_ns) const {
  if (ts_ns < start_ns_ || ts_ns >= end_ns_) return -1;
  const int64_t b = (ts_ns - start_ns_) / width_ns_;
  return static_cast<int>(std::min<int64_t>(b, static_cast<int64_t>(min_.size()) - 1));
}

void MinMaxBuckets::Merge(int b, double lo, double hi, int64_t rows) {
  if (!set_[b]) {
    set_[b] = true;
    min_[b] = lo;
    max_[b] = hi;
  } else {
    min_[b] = std::min(min_[b], lo);
    max_[b] = std::max(max_[b], hi);
  }
  rows_[b] += rows;
}

void MinMaxBuckets::Add(int64_t ts_ns, double value) {
  if (!std::isfinite(value)) return;
  const int b = BucketOf(ts_ns);
  if (b >= 0) Merge(b, value, value, 1);
}

void MinMaxBuckets::AddRange(int64_t ts_lo_ns, int64_t ts_hi_ns, double lo, double hi, int64_t rows) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || ts_hi_ns < ts_lo_ns) return;
  if (ts_hi_ns < start_ns_ || ts_lo_ns >= end_ns_) return;
  const int first = BucketOf(std::max(ts_lo_ns, start_ns_));
  const int last = BucketOf(std::min(ts_hi_ns, end_ns_ - 1));
  const int64_t columns = last - first + 1;
  for (int b = first; b <= last; ++b) {
    const int64_t share = rows / columns + ((b - first) < rows % columns ? 1 : 0);
    Merge(b, std::min(lo, hi), std::max(lo, hi), share);
  }
}

BucketSeries MinMaxBuckets::Result() const {
  BucketSeries out;
  for (size_t b = 0; b < min_.size(); ++b) {
    if (!set_[b]) continue;
    out.ts.push_back(start_ns_ + static_cast<int64_t>(b) * width_ns_);
    out.min.push_back(min_[b]);
    out.max.push_back(max_[b]);
    out.rows.push_back(rows_[b]);
  }
  return out;
}

}  // namespace mosaico::console
