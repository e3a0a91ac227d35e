#include "mosaico/catalog/sqlite/chunk_rows.h"


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
  return arrow::Status::OK();
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
  ARROW_ASSIGN_OR_RAISE(Statement stmt, conn->Prepare("DELETE FROM chunks WHERE topic_id = ?"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(topic_id));
  return stmt.Run();
}

}  // namespace mosaico::catalog::sqlite
