// Time-window algorithms of topic_filter_clusterize and topic_filter_intersect (docs/QUERY.md, "Clusterize and
// intersect"). Pure functions; windows are inclusive [start_ns, end_ns] and come out sorted by start.
//
//  - ClusterTimestamps: sorted timestamps -> windows; consecutive timestamps whose gap is <= dt share a window;
//    dt == 0 gives one window [first, last]. Empty input -> no window.
//  - MergeWindows: the clusters of a union of timestamp sets from the clusters of each set (dt > 0): windows
//    sorted by start, and a window starting at most dt after the running end joins it. With dt == 0 every window
//    collapses into one [min start, max end], like ClusterTimestamps.
//  - IntersectWindows: the k-way walk: take every topic's current window, max_start and min_end; when
//    max_start <= min_end + dt emit [max_start, min_end] if max_start <= min_end, else the tolerance window
//    [max_start - dt/2, min_end + (dt - dt/2)]; then advance the topic whose window ends first (the first such
//    topic on ties); stop when a topic runs out. Fewer than two topics, or a topic without windows: nothing.
//  No arithmetic overflows: gaps and bounds are computed in 128 bits and results clamped to int64.
#pragma once

#include <cstdint>
#include <vector>

#include "mosaico/query/query_ast.h"

namespace mosaico::query {

std::vector<Window> ClusterTimestamps(const std::vector<int64_t>& sorted_ts, int64_t dt);
std::vector<Window> MergeWindows(std::vector<Window> windows, int64_t dt);
std::vector<Window> IntersectWindows(const std::vector<std::vector<Window>>& per_topic, int64_t dt);

}  // namespace mosaico::query
