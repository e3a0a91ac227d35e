// Statistics-based pruning: can any row of a chunk (catalog ColumnStats) or of a Parquet row group (column chunk
// statistics) satisfy one ontology condition?
//
// Contract:
//  - MayMatch returns false only when the statistics PROVE that no row satisfies the predicate (sound pruning);
//    anything unknown (no statistics, no min/max, a type whose statistics we do not trust) answers true.
//  - Null semantics follow docs/QUERY.md: a null satisfies only $nex; $ex needs a non-null value. The statistics'
//    null count includes values under a null struct (ingest/column_stats.h; Parquet definition levels).
//  - Floats: NaN is never part of min/max; a NaN satisfies nothing but $ex (core/scalar_predicate.h), so min/max
//    bounds stay sound.
//  - Values of another kind than the statistics never satisfy (the predicate was type-checked for the leaf).
//  - $match prunes by the pattern's literal prefix (the characters before its first wildcard).
#pragma once

#include <cstdint>
#include <optional>

#include <arrow/type_fwd.h>
#include <parquet/metadata.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/core/scalar_predicate.h"

namespace mosaico::query {

struct LeafStats {
  int64_t row_count = 0;
  std::optional<int64_t> null_count;
  // Both set or both unset; int64 or double for numbers, std::string for strings, bool for booleans.
  std::optional<ScalarValue> min, max;
};

bool MayMatch(const ScalarPredicate& predicate, const LeafStats& stats);

// The statistics of a chunk's column as recorded by the catalog.
LeafStats FromColumnStats(const catalog::ColumnStats& stats, int64_t row_count);

// The statistics of one column chunk of a row group; `arrow_type` is the leaf's Arrow type (it decides how the
// physical values are read: signedness, or no min/max at all for types whose Parquet statistics do not hold
// the Arrow value, such as timestamps stored in another unit). Unset when the column chunk has no statistics.
std::optional<LeafStats> FromParquetStats(const parquet::ColumnChunkMetaData& column, const arrow::DataType& arrow_type,
                                          int64_t row_count);

// The literal prefix of a glob pattern: its bytes before the first '*', '?', '#' or '['.
std::string GlobLiteralPrefix(const std::string& pattern);

}  // namespace mosaico::query
