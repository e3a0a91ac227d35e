#include "mosaico/query/windows.h"

#include <algorithm>
#include <limits>

namespace mosaico::query {
namespace {

using i128 = __int128;

int64_t Clamp(i128 v) {
  if (v > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  if (v < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

// b - a <= dt without overflow.
bool WithinGap(int64_t a, int64_t b, int64_t dt) { return i128{b} - i128{a} <= i128{dt}; }

}  // namespace

std::vector<Window> ClusterTimestamps(const std::vector<int64_t>& ts, int64_t dt) {
  std::vector<Window> out;
  if (ts.empty()) return out;
  if (dt == 0) return {Window{ts.front(), ts.back()}};
  Window cur{ts[0], ts[0]};
  for (size_t i = 1; i < ts.size(); ++i) {
    if (!WithinGap(cur.end_ns, ts[i], dt)) {
      out.push_back(cur);
      cur.start_ns = ts[i];
    }
    cur.end_ns = ts[i];
  }
  out.push_back(cur);
  return out;
}

std::vector<Window> MergeWindows(std::vector<Window> windows, int64_t dt) {
  if (windows.empty()) return windows;
  if (dt == 0) {
    Window all = windows[0];
    for (const auto& w : windows) {
      all.start_ns = std::min(all.start_ns, w.start_ns);
      all.end_ns = std::max(all.end_ns, w.end_ns);
    }
    return {all};
  }
  std::sort(windows.begin(), windows.end(), [](const Window& a, const Window& b) {
    return a.start_ns != b.start_ns ? a.start_ns < b.start_ns : a.end_ns < b.end_ns;
  });
  std::vector<Window> out;
  Window cur = windows[0];
  for (size_t i = 1; i < windows.size(); ++i) {
    const Window& w = windows[i];
    if (w.start_ns <= cur.end_ns || WithinGap(cur.end_ns, w.start_ns, dt)) {
      cur.end_ns = std::max(cur.end_ns, w.end_ns);
    } else {
      out.push_back(cur);
      cur = w;
    }
  }
  out.push_back(cur);
  return out;
}

std::vector<Window> IntersectWindows(const std::vector<std::vector<Window>>& per_topic, int64_t dt) {
  std::vector<Window> out;
  if (per_topic.size() < 2) return out;
  for (const auto& w : per_topic) {
    if (w.empty()) return out;
  }
  std::vector<size_t> pos(per_topic.size(), 0);
  while (true) {
    int64_t max_start = std::numeric_limits<int64_t>::min();
    int64_t min_end = std::numeric_limits<int64_t>::max();
    size_t first_end = 0;
    for (size_t t = 0; t < per_topic.size(); ++t) {
      const Window& w = per_topic[t][pos[t]];
      max_start = std::max(max_start, w.start_ns);
      if (w.end_ns < min_end || t == 0) {
        min_end = w.end_ns;
        first_end = t;
      }
    }
    if (i128{max_start} <= i128{min_end} + dt) {
      if (max_start <= min_end) {
        out.push_back(Window{max_start, min_end});
      } else {
        const i128 lo = dt / 2;
        out.push_back(Window{Clamp(i128{max_start} - lo), Clamp(i128{min_end} + (dt - lo))});
      }
    }
    if (++pos[first_end] >= per_topic[first_end].size()) return out;
  }
}

}  // namespace mosaico::query
