// Readers (internal): a topic's stream from one or several endpoints (stripes fetched in parallel, delivered in
// endpoint order), and the merge of several topics' streams by timestamp_ns.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/flight/types.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "core.h"

namespace mosaico::client {

/// The concatenation, in order, of the streams of `tickets`; up to `prefetch` batches read ahead per stripe, every
/// stripe after the first on its own thread. `schema` may be null: the first stream's schema is used.
arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> OpenStripedReader(
    std::shared_ptr<ClientCore> core, std::vector<arrow::flight::Ticket> tickets,
    std::shared_ptr<arrow::Schema> schema, int prefetch, std::string what);

struct MergeInput {
  std::string name;   ///< "/imu": the topic column's value and the struct column's name
  std::shared_ptr<arrow::RecordBatchReader> reader;
};

/// Merges sorted topic streams by timestamp_ns (ties: input order) into batches of `timestamp_ns`, `topic` and one
/// nullable struct column per input (its fields but timestamp_ns; null on other topics' rows).
arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> OpenMergedReader(std::vector<MergeInput> inputs,
                                                                          int64_t batch_rows = 16384);

}  // namespace mosaico::client
