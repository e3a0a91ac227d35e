// ChunkScan: the rows of ONE opened chunk that satisfy a set of ontology conditions (the inner loop of
// ontology_evaluator.h).
//
// Contract:
//  - Open reads only the Parquet footer; it plans the row groups that may hold matches: non-empty, overlapping
//    the timestamp range, and (use_statistics) not excluded by the Parquet statistics of a condition's leaf
//    (stats_pruning.h).
//  - EvalRowGroup decodes timestamp_ns and the conditions' leaf columns of one row group (Parquet projection),
//    evaluates only the rows inside the timestamp range, and returns the matching timestamps in chunk order
//    (sorted: chunks are sorted by timestamp_ns; an unsorted or null timestamp is IOError, a corrupt chunk).
//  - Counters: row_groups_total / row_groups_pruned at Open, row_groups_read / rows_evaluated / rows_matched
//    per EvalRowGroup.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/query/condition_evaluator.h"
#include "mosaico/query/ontology_evaluator.h"
#include "mosaico/read/chunk_file.h"
#include "mosaico/store/object_store.h"

namespace mosaico::query {

class ChunkScan {
 public:
  // `conditions` outlive the scan; they are shared by the scans of one topic (their compiled leaves are reused).
  static arrow::Result<ChunkScan> Open(store::ObjectStore& store, const catalog::ChunkRecord& chunk,
                                       std::vector<ConditionEvaluator>* conditions,
                                       const std::optional<TsRange>& ts_range, bool use_statistics,
                                       const read::ReadOptions& options, EvalCounters* counters);

  // Row groups that may hold matches, ascending.
  const std::vector<int>& row_groups() const { return row_groups_; }

  arrow::Result<std::vector<int64_t>> EvalRowGroup(int row_group);

 private:
  arrow::Status Plan();

  const catalog::ChunkRecord* chunk_ = nullptr;
  std::vector<ConditionEvaluator>* conditions_ = nullptr;
  std::optional<TsRange> ts_range_;
  bool use_statistics_ = true;
  EvalCounters* counters_ = nullptr;
  read::ChunkFile file_;
  std::vector<int> leaves_;  // Parquet leaf columns to decode (timestamp_ns included), sorted
  std::vector<int> row_groups_;
};

}  // namespace mosaico::query
