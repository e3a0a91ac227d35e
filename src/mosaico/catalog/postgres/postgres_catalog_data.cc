// PostgresCatalog: committed topic data (chunks with column statistics, summaries, compaction's swap) and
// notifications. Chunk validation is ValidateChunks (catalog/chunk_validation.h), so both backends reject the
// same inputs with the same messages.
#include <unordered_map>
#include <utility>

#include "mosaico/catalog/chunk_validation.h"
#include "mosaico/catalog/postgres/pg_conn.h"
#include "mosaico/catalog/postgres/pg_queries.h"
#include "mosaico/catalog/postgres/postgres_catalog.h"
#include "mosaico/core/errors.h"

namespace mosaico::catalog {

using postgres::PgConnection;
using postgres::PgParams;
using postgres::PgPool;
using postgres::PgResult;
using postgres::PgTransaction;

// ------------------------------------------------------------------------------------------------ data

arrow::Status PostgresCatalog::CommitTopicData(int64_t topic_id, const std::string& upload_id,
                                               const std::vector<ChunkRecord>& chunks) {
  if (upload_id.empty()) return InvalidArgument("upload id must not be empty");
  ARROW_RETURN_NOT_OK(ValidateChunks(chunks));
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgTransaction txn, PgTransaction::Begin(conn.get()));
  ARROW_ASSIGN_OR_RAISE(TopicRecord topic, postgres::FindTopicById(conn.get(), topic_id, /*for_update=*/true));
  const std::string locator = postgres::TopicLocator(topic.sequence_name, topic.name);
  if (topic.locked) return FailedPrecondition("topic '" + locator + "' is locked (finalized)");
  if (topic.upload_id) {
    return FailedPrecondition("topic '" + locator + "' already has committed data (upload '" + *topic.upload_id +
                              "')");
  }
  ARROW_RETURN_NOT_OK(postgres::InsertChunkRows(conn.get(), topic_id, chunks));
  ARROW_RETURN_NOT_OK(
      conn->Exec("UPDATE topics SET upload_id = $1 WHERE id = $2", PgParams::Of(upload_id, topic_id)).status());
  return txn.Commit();
}

arrow::Status PostgresCatalog::ReplaceTopicData(int64_t topic_id, const std::string& expected_upload_id,
                                                const std::string& new_upload_id,
                                                const std::vector<ChunkRecord>& chunks) {
  ARROW_RETURN_NOT_OK(ValidateReplacement(expected_upload_id, new_upload_id, chunks));
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgTransaction txn, PgTransaction::Begin(conn.get()));
  ARROW_ASSIGN_OR_RAISE(TopicRecord topic, postgres::FindTopicById(conn.get(), topic_id, /*for_update=*/true));
  if (topic.upload_id != expected_upload_id) {
    return FailedPrecondition("topic '" + postgres::TopicLocator(topic.sequence_name, topic.name) +
                              "' holds upload '" + topic.upload_id.value_or("none") + "', not the expected '" +
                              expected_upload_id + "'");
  }
  ARROW_RETURN_NOT_OK(postgres::DeleteChunkRows(conn.get(), topic_id));
  ARROW_RETURN_NOT_OK(postgres::InsertChunkRows(conn.get(), topic_id, chunks));
  ARROW_RETURN_NOT_OK(
      conn->Exec("UPDATE topics SET upload_id = $1 WHERE id = $2", PgParams::Of(new_upload_id, topic_id)).status());
  return txn.Commit();
}

arrow::Result<std::vector<ChunkRecord>> PostgresCatalog::ListChunks(int64_t topic_id, bool with_stats) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  // REPEATABLE READ: the chunk list and its stats come from one snapshot even across a concurrent swap.
  ARROW_ASSIGN_OR_RAISE(PgTransaction txn, PgTransaction::Begin(conn.get(), "ISOLATION LEVEL REPEATABLE READ"));
  ARROW_RETURN_NOT_OK(postgres::FindTopicById(conn.get(), topic_id).status());
  std::vector<ChunkRecord> out;
  std::unordered_map<int64_t, size_t> position;
  {
    ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec(std::string(kSelectChunk) +
                                                       " WHERE c.topic_id = $1 ORDER BY c.ts_min, c.idx",
                                                   PgParams::Of(topic_id)));
    for (int r = 0; r < res.rows(); ++r) {
      out.push_back(postgres::ReadChunk(res, r));
      position[out.back().id] = out.size() - 1;
    }
  }
  if (with_stats && !out.empty()) {
    ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec(std::string(kSelectStats) +
                                                       " WHERE c.topic_id = $1 ORDER BY st.chunk_id, st.id",
                                                   PgParams::Of(topic_id)));
    for (int r = 0; r < res.rows(); ++r) {
      ARROW_ASSIGN_OR_RAISE(ColumnStats s, postgres::ReadColumnStats(res, r));
      auto it = position.find(res.Int64(r, 0));
      if (it != position.end()) out[it->second].stats.push_back(std::move(s));
    }
  }
  ARROW_RETURN_NOT_OK(txn.Commit());
  return out;
}

arrow::Result<TopicDataSummary> PostgresCatalog::SummarizeTopic(int64_t topic_id) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  // One statement, so one snapshot and one round trip (no row for a missing topic). GetFlightInfo of a sequence
  // calls this once per topic; as BEGIN / SET / two SELECTs / COMMIT it was 5 round trips per topic.
  ARROW_ASSIGN_OR_RAISE(
      PgResult res,
      conn->Exec("SELECT coalesce(sum(c.size_bytes), 0), count(c.id), coalesce(sum(c.row_count), 0), "
                 "min(CASE WHEN c.row_count > 0 THEN c.ts_min END), max(CASE WHEN c.row_count > 0 THEN c.ts_max END) "
                 "FROM topics t LEFT JOIN chunks c ON c.topic_id = t.id WHERE t.id = $1 GROUP BY t.id",
                 PgParams::Of(topic_id)));
  if (res.rows() == 0) return NotFound("topic " + std::to_string(topic_id) + " not found");
  TopicDataSummary summary;
  summary.total_bytes = res.Int64(0, 0);
  summary.total_chunks = res.Int64(0, 1);
  summary.total_rows = res.Int64(0, 2);
  summary.ts_min = res.OptInt64(0, 3);
  summary.ts_max = res.OptInt64(0, 4);
  return summary;
}

arrow::Result<std::vector<TopicDataSummary>> PostgresCatalog::SummarizeTopics(const std::vector<int64_t>& topic_ids) {
  std::vector<TopicDataSummary> out(topic_ids.size());
  if (topic_ids.empty()) return out;
  std::string array = "{";
  for (size_t i = 0; i < topic_ids.size(); ++i) array += (i ? "," : "") + std::to_string(topic_ids[i]);
  array += "}";
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  // One statement for all of them (one snapshot, one round trip): GetFlightInfo of a sequence of 10 topics was
  // 10 SummarizeTopic round trips, most of its time on PostgreSQL. Index lookups only: topics by primary key,
  // their chunks by chunks_by_topic_time.
  ARROW_ASSIGN_OR_RAISE(
      PgResult res,
      conn->Exec("SELECT t.id, coalesce(sum(c.size_bytes), 0), count(c.id), coalesce(sum(c.row_count), 0), "
                 "min(CASE WHEN c.row_count > 0 THEN c.ts_min END), max(CASE WHEN c.row_count > 0 THEN c.ts_max END) "
                 "FROM topics t LEFT JOIN chunks c ON c.topic_id = t.id WHERE t.id = ANY($1::bigint[]) GROUP BY t.id",
                 PgParams::Of(array)));
  std::unordered_map<int64_t, TopicDataSummary> by_id;
  for (int r = 0; r < res.rows(); ++r) {
    TopicDataSummary summary;
    summary.total_bytes = res.Int64(r, 1);
    summary.total_chunks = res.Int64(r, 2);
    summary.total_rows = res.Int64(r, 3);
    summary.ts_min = res.OptInt64(r, 4);
    summary.ts_max = res.OptInt64(r, 5);
    by_id.emplace(res.Int64(r, 0), summary);
  }
  for (size_t i = 0; i < topic_ids.size(); ++i) {
    auto it = by_id.find(topic_ids[i]);
    if (it == by_id.end()) return NotFound("topic " + std::to_string(topic_ids[i]) + " not found");
    out[i] = it->second;
  }
  return out;
}

// --------------------------------------------------------------------------------------- notifications

namespace {

struct Scope {
  int64_t sequence_id = 0;
  std::optional<int64_t> topic_id;
};

arrow::Result<Scope> ResolveScope(PgConnection* conn, const std::string& sequence_name,
                                  const std::optional<std::string>& topic_name) {
  Scope scope;
  if (topic_name) {
    ARROW_ASSIGN_OR_RAISE(TopicRecord topic, postgres::FindTopic(conn, sequence_name, *topic_name));
    scope.sequence_id = topic.sequence_id;
    scope.topic_id = topic.id;
  } else {
    ARROW_ASSIGN_OR_RAISE(SequenceRecord seq, postgres::FindSequence(conn, sequence_name));
    scope.sequence_id = seq.id;
  }
  return scope;
}

}  // namespace

arrow::Result<NotificationRecord> PostgresCatalog::AddNotification(const NotificationRecord& n) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgTransaction txn, PgTransaction::Begin(conn.get()));
  ARROW_ASSIGN_OR_RAISE(Scope scope, ResolveScope(conn.get(), n.sequence_name, n.topic_name));
  ARROW_ASSIGN_OR_RAISE(
      PgResult res,
      conn->Exec("INSERT INTO notifications (sequence_id, topic_id, notification_type, msg, created_at_ns) "
                 "VALUES ($1, $2, $3, $4, $5) RETURNING id",
                 PgParams::Of(scope.sequence_id, scope.topic_id, n.notification_type, n.msg, n.created_at_ns)));
  NotificationRecord out = n;
  out.id = res.Int64(0, 0);
  ARROW_RETURN_NOT_OK(txn.Commit());
  return out;
}

arrow::Result<std::vector<NotificationRecord>> PostgresCatalog::ListNotifications(
    const std::string& sequence_name, const std::optional<std::string>& topic_name) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  // One statement (one snapshot, one round trip): the resource joined to its notifications, so a missing resource
  // is no row and a resource without notifications one row of NULLs. The recover_sequence job lists every topic's
  // notifications; as BEGIN / find / list / COMMIT this was 4 round trips per topic.
  const std::string sql =
      topic_name ? "SELECT n.id, n.notification_type, n.msg, n.created_at_ns FROM topics t "
                   "JOIN sequences q ON q.id = t.sequence_id LEFT JOIN notifications n ON n.topic_id = t.id "
                   "WHERE q.name = $1 AND t.name = $2 ORDER BY n.created_at_ns, n.id"
                 : "SELECT n.id, n.notification_type, n.msg, n.created_at_ns FROM sequences q "
                   "LEFT JOIN notifications n ON n.sequence_id = q.id AND n.topic_id IS NULL "
                   "WHERE q.name = $1 ORDER BY n.created_at_ns, n.id";
  ARROW_ASSIGN_OR_RAISE(PgResult res, topic_name ? conn->Exec(sql, PgParams::Of(sequence_name, *topic_name))
                                                 : conn->Exec(sql, PgParams::Of(sequence_name)));
  if (res.rows() == 0) {
    return NotFound(topic_name ? "topic '" + postgres::TopicLocator(sequence_name, *topic_name) + "' not found"
                               : "sequence '" + sequence_name + "' not found");
  }
  std::vector<NotificationRecord> out;
  for (int r = 0; r < res.rows(); ++r) {
    if (res.IsNull(r, 0)) continue;  // the resource exists, without notifications
    NotificationRecord n;
    n.id = res.Int64(r, 0);
    n.sequence_name = sequence_name;
    n.topic_name = topic_name;
    n.notification_type = res.Text(r, 1);
    n.msg = res.Text(r, 2);
    n.created_at_ns = res.Int64(r, 3);
    out.push_back(std::move(n));
  }
  return out;
}

arrow::Result<std::vector<NotificationRecord>> PostgresCatalog::ListSequenceNotifications(
    const std::string& sequence_name) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  // One statement for the whole sequence (notifications_by_sequence serves it): the recover_sequence job compared
  // each topic's separately, one round trip per topic. A sequence without notifications is one row of NULLs.
  ARROW_ASSIGN_OR_RAISE(
      PgResult res,
      conn->Exec("SELECT n.id, t.name, n.notification_type, n.msg, n.created_at_ns FROM sequences q "
                 "LEFT JOIN notifications n ON n.sequence_id = q.id LEFT JOIN topics t ON t.id = n.topic_id "
                 "WHERE q.name = $1 ORDER BY n.topic_id, n.created_at_ns, n.id",
                 PgParams::Of(sequence_name)));
  if (res.rows() == 0) return NotFound("sequence '" + sequence_name + "' not found");
  std::vector<NotificationRecord> out;
  for (int r = 0; r < res.rows(); ++r) {
    if (res.IsNull(r, 0)) continue;  // the sequence exists, without notifications
    NotificationRecord n;
    n.id = res.Int64(r, 0);
    n.sequence_name = sequence_name;
    n.topic_name = res.OptText(r, 1);
    n.notification_type = res.Text(r, 2);
    n.msg = res.Text(r, 3);
    n.created_at_ns = res.Int64(r, 4);
    out.push_back(std::move(n));
  }
  return out;
}

arrow::Status PostgresCatalog::PurgeNotifications(const std::string& sequence_name,
                                                  const std::optional<std::string>& topic_name) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgTransaction txn, PgTransaction::Begin(conn.get()));
  ARROW_ASSIGN_OR_RAISE(Scope scope, ResolveScope(conn.get(), sequence_name, topic_name));
  const std::string sql = scope.topic_id ? "DELETE FROM notifications WHERE topic_id = $1"
                                         : "DELETE FROM notifications WHERE sequence_id = $1 AND topic_id IS NULL";
  ARROW_RETURN_NOT_OK(conn->Exec(sql, PgParams::Of(scope.topic_id ? *scope.topic_id : scope.sequence_id)).status());
  return txn.Commit();
}

}  // namespace mosaico::catalog
