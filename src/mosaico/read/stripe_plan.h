// Stripe planning (pure): where to cut one topic's read into several self-contained slices, so that clients can
// fetch them over several connections (or daemons) at once and concatenate them back into the unstriped stream.
//
// Contract:
//  - A stripe is a time window [start, end): the stripes of one plan tile the requested window without gaps or
//    overlap, in time order (the first starts where the window starts, the last ends where it ends, unset = open).
//    Reading each stripe with the ordinary reader (topic_reader.h) and concatenating the results in plan order gives
//    exactly the unstriped read of the window: rows sort by (timestamp_ns, chunk upload order, row order), so every
//    row of a slice sorts before every row of the next one, ties included (equal timestamps never straddle a cut).
//    That holds whatever the units say; the units only decide where cutting is cheap and balanced.
//  - Units are the decode units (whole chunks, or row groups) with their [ts_min, ts_max] and stored bytes. A cut t
//    is only placed where no unit straddles it (every unit has ts_max < t or ts_min >= t), so no two stripes decode
//    the same unit. Where chunks overlap in time (the sorted merge interleaves them) there may be few such points or
//    none: the plan then has fewer stripes, down to one -- never a cut through a unit.
//  - Cuts are chosen for equal bytes: cut k is the admissible point whose bytes-before is nearest to k/N of the
//    total (units partly outside the window count by the share of their time range inside it); a cut that would
//    leave a stripe with no bytes is dropped. At most max_stripes stripes; at least one.
//  - Cost: O(units log units); no I/O.
#pragma once

#include <cstdint>
#include <vector>

#include "mosaico/core/time_window.h"

namespace mosaico::read {

struct StripeUnit {
  int64_t ts_min = 0;
  int64_t ts_max = 0;
  int64_t bytes = 0;
};

struct Stripe {
  TimeWindow window;            // the slice: a sub-window of the requested one
  int64_t estimated_bytes = 0;  // stored bytes of the units (or unit shares) inside it
};

std::vector<Stripe> PlanStripes(std::vector<StripeUnit> units, const TimeWindow& window, int max_stripes);

}  // namespace mosaico::read
