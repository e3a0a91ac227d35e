#include "mosaico/catalog/sqlite/chunk_rows.h"

#include <algorithm>

namespace mosaico::catalog::sqlite {
arrow::Status InsertChunkRows(Connection* conn, int64_t topic_id, const std::vector<ChunkRecord>& chunks) {
  for (const ChunkRecord& chunk : chunks) {
    {
      ARROW_ASSIGN_OR_RAISE(
          Statement insert,
          conn->Prepare("INSERT INTO chunks (topic_id, idx, object_key, row_count, size_bytes, ts_min, ts_max, "
                        "checksum) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
      ARROW_RETURN_NOT_OK(insert.BindAll(topic_id, chunk.index, chunk.object_key, chunk.row_count, chunk.size_bytes,
                                         chunk.ts_min, chunk.ts_max, chunk.checksum));
      ARROW_RETURN_NOT_OK(insert.Run());
    }
    const int64_t chunk_id = conn->LastInsertId();
    for (const ColumnStats& s : chunk.stats) {
      ARROW_ASSIGN_OR_RAISE(
          Statement insert,
          conn->Prepare("INSERT INTO chunk_column_stats (chunk_id, column_path, kind, min_int, max_int, min_float, "
                        "max_float, min_str, max_str, null_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
      ARROW_RETURN_NOT_OK(insert.BindAll(chunk_id, s.column, ColumnStatsKindName(s.kind), s.min_int, s.max_int,
                                         s.min_float, s.max_float, s.min_str, s.max_str, s.null_count));
      ARROW_RETURN_NOT_OK(insert.Run());
    }
  }
  if (chunks.empty()) return arrow::Status::OK();
  // The topic's data interval (migration 9), widened to these chunks (min/max of a NULL column would be NULL).
  int64_t lo = chunks.front().ts_min, hi = chunks.front().ts_max;
  for (const ChunkRecord& chunk : chunks) {
    lo = std::min(lo, chunk.ts_min);
    hi = std::max(hi, chunk.ts_max);
  }
  ARROW_ASSIGN_OR_RAISE(Statement update,
                        conn->Prepare("UPDATE topics SET data_ts_min = min(coalesce(data_ts_min, ?2), ?2), "
                                      "data_ts_max = max(coalesce(data_ts_max, ?3), ?3) WHERE id = ?1"));
  ARROW_RETURN_NOT_OK(update.BindAll(topic_id, lo, hi));
  return update.Run();
}

arrow::Status DeleteChunkRows(Connection* conn, int64_t topic_id) {
  // Stats explicitly first (not relying on the ON DELETE CASCADE alone), then the chunks.
  {
    ARROW_ASSIGN_OR_RAISE(
        Statement stmt,
        conn->Prepare("DELETE FROM chunk_column_stats WHERE chunk_id IN (SELECT id FROM chunks WHERE topic_id = ?)"));
    ARROW_RETURN_NOT_OK(stmt.BindAll(topic_id));
    ARROW_RETURN_NOT_OK(stmt.Run());
  }
  {
    ARROW_ASSIGN_OR_RAISE(Statement stmt, conn->Prepare("DELETE FROM chunks WHERE topic_id = ?"));
    ARROW_RETURN_NOT_OK(stmt.BindAll(topic_id));
    ARROW_RETURN_NOT_OK(stmt.Run());
  }
  ARROW_ASSIGN_OR_RAISE(Statement stmt,
                        conn->Prepare("UPDATE topics SET data_ts_min = NULL, data_ts_max = NULL WHERE id = ?"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(topic_id));
  return stmt.Run();
}

}  // namespace mosaico::catalog::sqlite
