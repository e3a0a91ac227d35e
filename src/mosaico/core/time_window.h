// A half-open time window [start_ns, end_ns) over timestamp_ns; an unset bound is open.
#pragma once

#include <cstdint>
#include <optional>

#include <arrow/status.h>

namespace mosaico {

struct TimeWindow {
  std::optional<int64_t> start_ns;
  std::optional<int64_t> end_ns;

  bool is_bounded() const { return start_ns.has_value() || end_ns.has_value(); }
  bool Contains(int64_t ts) const { return (!start_ns || ts >= *start_ns) && (!end_ns || ts < *end_ns); }
  // True when [lo, hi] (inclusive, e.g. a chunk's min/max) can hold a timestamp inside the window.
  bool Overlaps(int64_t lo, int64_t hi) const { return (!start_ns || hi >= *start_ns) && (!end_ns || lo < *end_ns); }
  // True when every timestamp in [lo, hi] is inside the window.
  bool Covers(int64_t lo, int64_t hi) const { return (!start_ns || lo >= *start_ns) && (!end_ns || hi < *end_ns); }
  // INVALID_ARGUMENT when start >= end.
  arrow::Status Validate() const {
    if (start_ns && end_ns && *start_ns >= *end_ns) {
      return arrow::Status::Invalid("invalid time window: timestamp_ns_start (", *start_ns,
                                    ") must be lower than timestamp_ns_end (", *end_ns, ")");
    }
    return arrow::Status::OK();
  }
};

}  // namespace mosaico
