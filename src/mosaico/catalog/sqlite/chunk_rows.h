// Writing a topic's chunk rows (chunks + chunk_column_stats), shared by SqliteCatalog::CommitTopicData (first
// commit of an upload) and SqliteCatalog::ReplaceTopicData (compaction's swap). Internal to catalog/sqlite/.
//
//  - ValidateChunks: InvalidArgument for duplicate chunk indexes, duplicate columns within a chunk, or stats whose
//    set min/max fields do not match their kind (kInt/kBool -> *_int, kFloat -> *_float, kString -> *_str; min and
//    max set together or not at all). Pure: call it before taking the catalog mutex.
//  - InsertChunkRows inserts every chunk of `chunks` (ChunkRecord::id and ::topic_id ignored) with its stats for
//    `topic_id`; DeleteChunkRows removes every chunk row of the topic with its stats.
// REQUIRES (Insert/Delete): the caller holds the catalog mutex and runs inside a write Transaction, so a failure
// part-way is rolled back with everything else the transaction did.
#pragma once

#include <cstdint>
#include <vector>

#include <arrow/status.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/catalog/sqlite/sqlite_util.h"

namespace mosaico::catalog::sqlite {

arrow::Status ValidateChunks(const std::vector<ChunkRecord>& chunks);
arrow::Status InsertChunkRows(Connection* conn, int64_t topic_id, const std::vector<ChunkRecord>& chunks);
arrow::Status DeleteChunkRows(Connection* conn, int64_t topic_id);

}  // namespace mosaico::catalog::sqlite
