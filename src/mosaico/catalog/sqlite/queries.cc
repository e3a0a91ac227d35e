#include "mosaico/catalog/sqlite/queries.h"

#include "mosaico/core/errors.h"

namespace mosaico::catalog::sqlite {

SequenceRecord ReadSequence(const Statement& row) {
  SequenceRecord r;
  r.id = row.Int64(0);
  r.name = row.Text(1);
  r.user_metadata_json = row.Text(2);
  r.created_at_ns = row.Int64(3);
  return r;
}

SessionRecord ReadSession(const Statement& row) {
  SessionRecord r;
  r.id = row.Int64(0);
  r.sequence_id = row.Int64(1);
  r.sequence_name = row.Text(2);
  r.key = row.Text(3);
  r.uuid = row.Text(4);
  r.created_at_ns = row.Int64(5);
  r.completed_at_ns = row.OptInt64(6);
  r.locked = row.Int64(7) != 0;
  return r;
}

TopicRecord ReadTopic(const Statement& row) {
  TopicRecord r;
  r.id = row.Int64(0);
  r.sequence_id = row.Int64(1);
  r.session_id = row.Int64(2);
  r.sequence_name = row.Text(3);
  r.session_key = row.Text(4);
  r.name = row.Text(5);
  r.uuid = row.Text(6);
  r.ontology_tag = row.Text(7);
  r.serialization_format = row.Text(8);
  r.user_metadata_json = row.Text(9);
  r.created_at_ns = row.Int64(10);
  r.completed_at_ns = row.OptInt64(11);
  r.locked = row.Int64(12) != 0;
  r.schema_ipc = row.OptBlob(13);
  r.upload_id = row.OptText(14);
  return r;
}

ChunkRecord ReadChunk(const Statement& row) {
  ChunkRecord r;
  r.id = row.Int64(0);
  r.topic_id = row.Int64(1);
  r.index = static_cast<int32_t>(row.Int64(2));
  r.object_key = row.Text(3);
  r.row_count = row.Int64(4);
  r.size_bytes = row.Int64(5);
  r.ts_min = row.Int64(6);
  r.ts_max = row.Int64(7);
  r.checksum = row.Text(8);
  return r;
}

arrow::Result<ColumnStats> ReadColumnStats(const Statement& row) {
  ColumnStats s;
  s.column = row.Text(1);
  std::string kind = row.Text(2);
  auto parsed = ParseColumnStatsKind(kind);
  if (!parsed) {
    return arrow::Status::IOError("catalog: unknown column stats kind '", kind, "' for column '", s.column, "'");
  }
  s.kind = *parsed;
  s.min_int = row.OptInt64(3);
  s.max_int = row.OptInt64(4);
  s.min_float = row.OptDouble(5);
  s.max_float = row.OptDouble(6);
  s.min_str = row.OptText(7);
  s.max_str = row.OptText(8);
  s.null_count = row.Int64(9);
  return s;
}

std::string SessionLocator(const std::string& sequence, const std::string& key) { return sequence + ":" + key; }
std::string TopicLocator(const std::string& sequence, const std::string& topic) { return sequence + "/" + topic; }

arrow::Result<SequenceRecord> FindSequence(Connection* conn, const std::string& name) {
  ARROW_ASSIGN_OR_RAISE(Statement stmt, conn->Prepare(std::string(kSelectSequence) + " WHERE q.name = ?"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(name));
  ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
  if (!row) return NotFound("sequence '" + name + "' not found");
  return ReadSequence(stmt);
}

arrow::Result<SessionRecord> FindSessionById(Connection* conn, int64_t id) {
  ARROW_ASSIGN_OR_RAISE(Statement stmt, conn->Prepare(std::string(kSelectSession) + " WHERE s.id = ?"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(id));
  ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
  if (!row) return NotFound("session " + std::to_string(id) + " not found");
  return ReadSession(stmt);
}

arrow::Result<TopicRecord> FindTopicById(Connection* conn, int64_t id) {
  ARROW_ASSIGN_OR_RAISE(Statement stmt, conn->Prepare(std::string(kSelectTopic) + " WHERE t.id = ?"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(id));
  ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
  if (!row) return NotFound("topic " + std::to_string(id) + " not found");
  return ReadTopic(stmt);
}

arrow::Result<TopicRecord> FindTopic(Connection* conn, const std::string& sequence, const std::string& topic) {
  ARROW_ASSIGN_OR_RAISE(Statement stmt,
                        conn->Prepare(std::string(kSelectTopic) + " WHERE q.name = ? AND t.name = ?"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(sequence, topic));
  ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
  if (!row) return NotFound("topic '" + TopicLocator(sequence, topic) + "' not found");
  return ReadTopic(stmt);
}

}  // namespace mosaico::catalog::sqlite
