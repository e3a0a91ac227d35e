// Ontology evaluation of ONE topic: which committed rows satisfy all the conditions of the topic's tag (on the
// same row), optionally restricted to an inclusive timestamp range.
//
// Contract (docs/QUERY.md, "Evaluation" and "Speed: what is read"):
//  - Conditions that the topic's schema decides alone (a missing field, a leaf of another kind) are settled without
//    reading: always-false skips the topic, always-true drops the condition.
//  - A chunk is skipped without being opened when it has no rows, lies outside the timestamp range, or its catalog
//    statistics prove that some condition holds on none of its rows (stats_pruning.h). In an opened chunk, row
//    groups are skipped the same way with their Parquet statistics; only timestamp_ns and the leaf columns named by
//    the conditions are decoded, and only the rows inside the timestamp range are evaluated.
//  - Outputs: kRange -> `range` = [min, max] timestamp of the matching rows (unset: no match); chunks and row groups
//    that cannot move min or max are not read. kWindows -> `windows` = the clusters of the matching rows for
//    clustering_dt_ns (windows.h; dt == 0: at most one window, computed like kRange). kTimestamps -> `timestamps`
//    = every matching row's timestamp, sorted (tests and benchmarks).
//  - Memory: one decoded batch of one row group plus, for kWindows, the windows; kTimestamps holds the result.
//  - EvalCounters says what was touched; they add up across topics.
//  - `cancelled` is polled between row groups: a cancelled call (client gone, shutdown) stops reading promptly.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/result.h>
#include <arrow/type_fwd.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/query/query_ast.h"
#include "mosaico/read/read_options.h"
#include "mosaico/store/object_store.h"

namespace mosaico::query {

struct EvalCounters {
  int64_t topics = 0;                   // topics evaluated
  int64_t topics_decided_by_schema = 0; // topics skipped because a condition cannot hold with their schema
  int64_t chunks_total = 0;             // committed chunks of those topics
  int64_t chunks_pruned_by_time = 0;    // empty, or outside the timestamp range
  int64_t chunks_pruned_by_stats = 0;   // catalog statistics prove no match
  int64_t chunks_not_needed = 0;        // could not change the answer (kRange: inside the known [min, max])
  int64_t chunks_from_catalog = 0;      // answered from the catalog's [ts_min, ts_max] without reading
  int64_t chunks_read = 0;              // Parquet objects opened
  int64_t row_groups_total = 0;         // row groups of the chunks read
  int64_t row_groups_pruned = 0;        // skipped by their statistics (time range or values)
  int64_t row_groups_not_needed = 0;    // kRange: could not change the chunk's min or max
  int64_t row_groups_read = 0;          // decoded
  int64_t rows_evaluated = 0;           // rows the conditions were evaluated on
  int64_t rows_matched = 0;

  void Add(const EvalCounters& o);
  std::string ToString() const;  // "topics=.. chunks_total=.. ..." for logs
};

// One topic's data, as the catalog knows it.
struct TopicData {
  std::string locator;                       // "<sequence>/<topic>", for messages
  std::shared_ptr<arrow::Schema> schema;     // the schema snapshot; null when the topic never received data
  std::vector<catalog::ChunkRecord> chunks;  // committed chunks, with statistics
};

struct EvalRequest {
  enum class Output { kRange, kWindows, kTimestamps };
  Output output = Output::kRange;
  int64_t clustering_dt_ns = 0;  // kWindows
  std::optional<TsRange> ts_range;
  // false: chunks and row groups are never skipped by their value statistics (benchmarks: --no-query-pruning).
  bool use_statistics = true;
  // Polled before every chunk and row group; true -> the evaluation stops with Status::Cancelled.
  std::function<bool()> cancelled;
  read::ReadOptions read_options;
};

struct EvalResult {
  std::optional<Window> range;     // kRange
  std::vector<Window> windows;     // kWindows
  std::vector<int64_t> timestamps; // kTimestamps
};

// `conditions`: the conditions of the topic's own tag (empty: every row matches).
arrow::Result<EvalResult> EvaluateTopic(store::ObjectStore& store, const TopicData& topic,
                                        const std::vector<OntologyCondition>& conditions, const EvalRequest& request,
                                        EvalCounters* counters);

}  // namespace mosaico::query
