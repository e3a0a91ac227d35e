// Writing a topic's chunk rows (chunks + chunk_column_stats), shared by SqliteCatalog::CommitTopicData (first
// commit of an upload) and SqliteCatalog::ReplaceTopicData (compaction's swap). Internal to catalog/sqlite/.
//
//  (Validate the chunks first, before taking the catalog mutex: catalog/chunk_validation.h.)
//  - InsertChunkRows inserts every chunk of `chunks` (ChunkRecord::id and ::topic_id ignored) with its stats for
//    `topic_id`; DeleteChunkRows removes every chunk row of the topic with its stats. Both keep the topic row's
//    data interval (data_ts_min / data_ts_max, schema 9) = [min ts_min, max ts_max] of its chunks, NULL without.
// REQUIRES (Insert/Delete): the caller holds the catalog mutex and runs inside a write Transaction, so a failure
// part-way is rolled back with everything else the transaction did.
#pragma once

#include <cstdint>
#include <vector>

#include <arrow/status.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/catalog/sqlite/sqlite_util.h"

namespace mosaico::catalog::sqlite {

arrow::Status InsertChunkRows(Connection* conn, int64_t topic_id, const std::vector<ChunkRecord>& chunks);
arrow::Status DeleteChunkRows(Connection* conn, int64_t topic_id);

}  // namespace mosaico::catalog::sqlite
