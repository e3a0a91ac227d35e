// The read path's single entry point (Flight DoGet): a stream of a topic's rows inside a time window.
//
// Contract:
//  - Rows come sorted by timestamp_ns, stably (ties: upload order of the chunks, then row order), trimmed to
//    `window` ([start, end), unset bound = open), in batches that carry `topic_schema` itself (names, types,
//    nullability, field metadata) with 1..opts.max_batch_rows rows; end of stream is a null batch, and a
//    window holding no row yields no batch at all.
//  - `chunks` are the topic's ChunkRecords as the catalog lists them (any order); only those overlapping the
//    window are opened, lazily, and only their row groups whose statistics overlap it are decoded. Memory is
//    bounded by the number of chunks overlapping at one instant, not by the topic size
//    (see sorted_merge_reader.h).
//  - opts.readahead_batches > 0: the rows are decoded on a background thread that many batches ahead of the
//    consumer (read/readahead_reader.h), so decoding overlaps sending; same output.
//  - Errors: invalid window or a topic schema without an int64 timestamp_ns -> Invalid (INVALID_ARGUMENT);
//    unreadable or inconsistent chunks -> IOError naming the object key, from ReadNext.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/core/time_window.h"
#include "mosaico/read/read_options.h"
#include "mosaico/store/object_store.h"

namespace mosaico::read {

arrow::Result<std::shared_ptr<arrow::RecordBatchReader>> OpenTopicReader(std::shared_ptr<store::ObjectStore> store,
                                                                        std::shared_ptr<arrow::Schema> topic_schema,
                                                                        std::vector<catalog::ChunkRecord> chunks,
                                                                        TimeWindow window, ReadOptions opts = {});

// What a reader returned by OpenTopicReader has touched so far; unset for any other reader, and, with
// opts.readahead_batches > 0, unset while its background thread is still reading (Close() it first, or read it to
// the end).
std::optional<ReadStats> GetReadStats(const arrow::RecordBatchReader& reader);

}  // namespace mosaico::read
