// LoggedReader: wraps the RecordBatchReader of a DoGet so that, when the stream ends (or is abandoned), one
// structured line says what the read touched:
//   event=read_done topic=<locator> chunks_total=N chunks_selected=N chunks_opened=N row_groups_read=N
//   row_groups_pruned=N rows_decoded=N rows_emitted=N complete=true|false
// (read::GetReadStats of the inner reader). Operators see whether a window read stayed on the overlapping chunks;
// bench/query_bench.py parses these lines. Batches pass through unchanged; each is counted in
// mosaicod_rows_sent_total / mosaicod_bytes_sent_total (service_metrics.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <arrow/record_batch.h>

namespace mosaico::server {

std::shared_ptr<arrow::RecordBatchReader> LogWhenDone(std::shared_ptr<arrow::RecordBatchReader> inner,
                                                      std::string topic, int64_t chunks_total);

}  // namespace mosaico::server
