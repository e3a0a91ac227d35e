#include "mosaico/catalog/postgres/pg_queries.h"

#include <algorithm>

#include "mosaico/core/errors.h"

namespace mosaico::catalog::postgres {

SequenceRecord ReadSequence(const PgResult& res, int r) {
  SequenceRecord s;
  s.id = res.Int64(r, 0);
  s.name = res.Text(r, 1);
  s.user_metadata_json = res.Text(r, 2);
  s.created_at_ns = res.Int64(r, 3);
  return s;
}

SessionRecord ReadSession(const PgResult& res, int r) {
  SessionRecord s;
  s.id = res.Int64(r, 0);
  s.sequence_id = res.Int64(r, 1);
  s.sequence_name = res.Text(r, 2);
  s.key = res.Text(r, 3);
  s.uuid = res.Text(r, 4);
  s.created_at_ns = res.Int64(r, 5);
  s.completed_at_ns = res.OptInt64(r, 6);
  s.locked = res.Bool(r, 7);
  return s;
}

TopicRecord ReadTopic(const PgResult& res, int r) {
  TopicRecord t;
  t.id = res.Int64(r, 0);
  t.sequence_id = res.Int64(r, 1);
  t.session_id = res.Int64(r, 2);
  t.sequence_name = res.Text(r, 3);
  t.session_key = res.Text(r, 4);
  t.name = res.Text(r, 5);
  t.uuid = res.Text(r, 6);
  t.ontology_tag = res.Text(r, 7);
  t.serialization_format = res.Text(r, 8);
  t.user_metadata_json = res.Text(r, 9);
  t.created_at_ns = res.Int64(r, 10);
  t.completed_at_ns = res.OptInt64(r, 11);
  t.locked = res.Bool(r, 12);
  t.schema_ipc = res.OptBytes(r, 13);
  t.upload_id = res.OptText(r, 14);
  return t;
}

ChunkRecord ReadChunk(const PgResult& res, int r) {
  ChunkRecord c;
  c.id = res.Int64(r, 0);
  c.topic_id = res.Int64(r, 1);
  c.index = static_cast<int32_t>(res.Int64(r, 2));
  c.object_key = res.Text(r, 3);
  c.row_count = res.Int64(r, 4);
  c.size_bytes = res.Int64(r, 5);
  c.ts_min = res.Int64(r, 6);
  c.ts_max = res.Int64(r, 7);
  c.checksum = res.Text(r, 8);
  return c;
}

arrow::Result<ColumnStats> ReadColumnStats(const PgResult& res, int r) {
  ColumnStats s;
  s.column = res.Text(r, 1);
  std::string kind = res.Text(r, 2);
  auto parsed = ParseColumnStatsKind(kind);
  if (!parsed) {
    return arrow::Status::IOError("catalog: unknown column stats kind '", kind, "' for column '", s.column, "'");
  }
  s.kind = *parsed;
  s.min_int = res.OptInt64(r, 3);
  s.max_int = res.OptInt64(r, 4);
  s.min_float = res.OptDouble(r, 5);
  s.max_float = res.OptDouble(r, 6);
  s.min_str = res.OptText(r, 7);
  s.max_str = res.OptText(r, 8);
  s.null_count = res.Int64(r, 9);
  return s;
}

std::string SessionLocator(const std::string& sequence, const std::string& key) { return sequence + ":" + key; }
std::string TopicLocator(const std::string& sequence, const std::string& topic) { return sequence + "/" + topic; }

arrow::Result<SequenceRecord> FindSequence(PgConnection* conn, const std::string& name, bool for_update) {
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec(std::string(kSelectSequence) + " WHERE q.name = $1" +
                                                     (for_update ? " FOR UPDATE OF q" : ""),
                                                 PgParams::Of(name)));
  if (res.rows() == 0) return NotFound("sequence '" + name + "' not found");
  return ReadSequence(res, 0);
}

arrow::Result<SessionRecord> FindSessionById(PgConnection* conn, int64_t id, bool for_update) {
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec(std::string(kSelectSession) + " WHERE s.id = $1" +
                                                     (for_update ? " FOR UPDATE OF s" : ""),
                                                 PgParams::Of(id)));
  if (res.rows() == 0) return NotFound("session " + std::to_string(id) + " not found");
  return ReadSession(res, 0);
}

arrow::Result<TopicRecord> FindTopicById(PgConnection* conn, int64_t id, bool for_update) {
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec(std::string(kSelectTopic) + " WHERE t.id = $1" +
                                                     (for_update ? " FOR UPDATE OF t" : ""),
                                                 PgParams::Of(id)));
  if (res.rows() == 0) return NotFound("topic " + std::to_string(id) + " not found");
  return ReadTopic(res, 0);
}

arrow::Result<TopicRecord> FindTopic(PgConnection* conn, const std::string& sequence, const std::string& topic) {
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec(std::string(kSelectTopic) + " WHERE q.name = $1 AND t.name = $2",
                                                 PgParams::Of(sequence, topic)));
  if (res.rows() == 0) return NotFound("topic '" + TopicLocator(sequence, topic) + "' not found");
  return ReadTopic(res, 0);
}

arrow::Status InsertChunkRows(PgConnection* conn, int64_t topic_id, const std::vector<ChunkRecord>& chunks) {
  for (const ChunkRecord& chunk : chunks) {
    ARROW_ASSIGN_OR_RAISE(
        PgResult inserted,
        conn->Exec("INSERT INTO chunks (topic_id, idx, object_key, row_count, size_bytes, ts_min, ts_max, checksum) "
                   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                   PgParams::Of(topic_id, chunk.index, chunk.object_key, chunk.row_count, chunk.size_bytes,
                                chunk.ts_min, chunk.ts_max, chunk.checksum)));
    const int64_t chunk_id = inserted.Int64(0, 0);
    for (const ColumnStats& s : chunk.stats) {
      ARROW_RETURN_NOT_OK(
          conn->Exec("INSERT INTO chunk_column_stats (chunk_id, column_path, kind, min_int, max_int, min_float, "
                     "max_float, min_str, max_str, null_count) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                     PgParams::Of(chunk_id, s.column, ColumnStatsKindName(s.kind), s.min_int, s.max_int, s.min_float,
                                  s.max_float, s.min_str, s.max_str, s.null_count))
              .status());
    }
  }
  if (chunks.empty()) return arrow::Status::OK();
  // The topic's data interval (migration 10), widened to these chunks (LEAST/GREATEST skip a NULL).
  int64_t lo = chunks.front().ts_min, hi = chunks.front().ts_max;
  for (const ChunkRecord& chunk : chunks) {
    lo = std::min(lo, chunk.ts_min);
    hi = std::max(hi, chunk.ts_max);
  }
  return conn
      ->Exec("UPDATE topics SET data_ts_min = LEAST(data_ts_min, $2), data_ts_max = GREATEST(data_ts_max, $3) "
             "WHERE id = $1",
             PgParams::Of(topic_id, lo, hi))
      .status();
}

arrow::Status DeleteChunkRows(PgConnection* conn, int64_t topic_id) {
  ARROW_RETURN_NOT_OK(
      conn->Exec("DELETE FROM chunk_column_stats WHERE chunk_id IN (SELECT id FROM chunks WHERE topic_id = $1)",
                 PgParams::Of(topic_id))
          .status());
  ARROW_RETURN_NOT_OK(conn->Exec("DELETE FROM chunks WHERE topic_id = $1", PgParams::Of(topic_id)).status());
  return conn->Exec("UPDATE topics SET data_ts_min = NULL, data_ts_max = NULL WHERE id = $1", PgParams::Of(topic_id))
      .status();
}

}  // namespace mosaico::catalog::postgres
