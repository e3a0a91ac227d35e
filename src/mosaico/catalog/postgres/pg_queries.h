// Row decoding and lookups shared by the PostgresCatalog source files (internal to catalog/postgres/). The
// same shapes and NotFound messages as catalog/sqlite/queries.h ("sequence 'x' not found", "topic 'seq/name' not
// found", "session 42 not found"); lookups by secret uuid never echo the uuid.
//  - kSelect* are SELECT ... FROM ... prefixes without WHERE/ORDER BY; Read*() decodes row `r` of their result.
//  - Find*ForUpdate variants lock the found row (SELECT ... FOR UPDATE OF <row>) until the transaction ends, so a
//    check ("topic is locked") and the change it guards cannot interleave with another writer.
#pragma once

#include <cstdint>
#include <string>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/catalog/record_sql.h"  // kSelect* prefixes decoded by Read*
#include "mosaico/catalog/postgres/pg_conn.h"

namespace mosaico::catalog::postgres {


SequenceRecord ReadSequence(const PgResult& res, int r);
SessionRecord ReadSession(const PgResult& res, int r);
TopicRecord ReadTopic(const PgResult& res, int r);
ChunkRecord ReadChunk(const PgResult& res, int r);
arrow::Result<ColumnStats> ReadColumnStats(const PgResult& res, int r);

std::string SessionLocator(const std::string& sequence, const std::string& key);
std::string TopicLocator(const std::string& sequence, const std::string& topic);

arrow::Result<SequenceRecord> FindSequence(PgConnection* conn, const std::string& name, bool for_update = false);
arrow::Result<SessionRecord> FindSessionById(PgConnection* conn, int64_t id, bool for_update = false);
arrow::Result<TopicRecord> FindTopicById(PgConnection* conn, int64_t id, bool for_update = false);
arrow::Result<TopicRecord> FindTopic(PgConnection* conn, const std::string& sequence, const std::string& topic);

// Chunk rows of a topic (chunks + stats), as catalog/sqlite/chunk_rows.h; REQUIRES an open transaction (and the
// topic row locked). They also keep the topic's data interval (topics.data_ts_min/data_ts_max, migration 10: min of
// its chunks' ts_min, max of their ts_max, NULL without chunks), which FindTopics reads: every chunk write goes
// through them.
arrow::Status InsertChunkRows(PgConnection* conn, int64_t topic_id, const std::vector<ChunkRecord>& chunks);
arrow::Status DeleteChunkRows(PgConnection* conn, int64_t topic_id);

}  // namespace mosaico::catalog::postgres
