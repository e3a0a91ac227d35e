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
//
// The overload with `written` returns the same statistics for a table that was just written as Parquet with
// statistics on its float leaves (chunk_parquet.h), `written` being that file's footer: float and double leaves
// (not half floats or dictionaries) take null_count and min/max from the footer's column chunk statistics, which
// the Parquet writer collected while encoding -- one pass over those values instead of two (they are most of a
// sensor chunk's values). The footer's rules are the ones above (NaN and nulls skipped, a struct child null where
// its struct is; no min/max without a value), a zero bound is +0.0 either way. A float leaf the footer does not
// describe unambiguously (no statistics in some row group, a dotted path shared by two leaves, another physical
// type) is scanned as without `written`.
#pragma once

#include <vector>

#include <arrow/result.h>
#include <arrow/type_fwd.h>

#include "mosaico/catalog/catalog.h"

namespace parquet {
class FileMetaData;
}  // namespace parquet

namespace mosaico::ingest {

arrow::Result<std::vector<catalog::ColumnStats>> ComputeColumnStats(const arrow::Table& table);
arrow::Result<std::vector<catalog::ColumnStats>> ComputeColumnStats(const arrow::RecordBatch& batch);
arrow::Result<std::vector<catalog::ColumnStats>> ComputeColumnStats(const arrow::Table& table,
                                                                    const parquet::FileMetaData& written);

}  // namespace mosaico::ingest
