// Per-leaf-column statistics of a chunk of topic data (what the catalog keeps to prune chunks in queries).
//
// One catalog::ColumnStats per supported leaf column, in schema order, struct children depth-first, named by
// their dotted path ("acceleration.x", "pose.position.z"). A struct child's value counts as null where the
// struct itself is null.
//   kind kInt    : int8..int64, uint8..uint64, date32/64, time32/64, timestamp, duration (as their integer value)
//   kind kFloat  : float16, float32, float64; NaN values are ignored for min/max
//   kind kString : utf8, large_utf8, utf8_view (byte-wise order)
//   kind kBool   : bool, min/max as 0/1
// Dictionary-encoded columns are decoded and follow their value type. Lists, maps, binaries, decimals, unions,
// null-typed and other columns get no entry.
// null_count is always set. min/max stay unset when the column has no non-null (and, for floats, non-NaN) value.
// A column whose min/max cannot be represented exactly gets no entry at all (a uint64 above INT64_MAX, a string
// that is not valid UTF-8), so a missing entry means "unknown", never "all null".
#pragma once

#include <vector>

#include <arrow/result.h>
#include <arrow/type_fwd.h>

#include "mosaico/catalog/catalog.h"

namespace mosaico::ingest {

arrow::Result<std::vector<catalog::ColumnStats>> ComputeColumnStats(const arrow::Table& table);
arrow::Result<std::vector<catalog::ColumnStats>> ComputeColumnStats(const arrow::RecordBatch& batch);

}  // namespace mosaico::ingest
