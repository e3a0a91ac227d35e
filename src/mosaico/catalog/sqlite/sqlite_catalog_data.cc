// SqliteCatalog: committed topic data (chunks with column statistics, summaries) and notifications.
#include <unordered_map>
#include <utility>

#include "mosaico/catalog/chunk_validation.h"
#include "mosaico/catalog/sqlite/chunk_rows.h"
#include "mosaico/catalog/sqlite/queries.h"
#include "mosaico/catalog/sqlite/sqlite_catalog.h"
#include "mosaico/catalog/sqlite/sqlite_util.h"
#include "mosaico/core/errors.h"

namespace mosaico::catalog {

using sqlite::Connection;
using sqlite::Statement;
using sqlite::Transaction;

// ------------------------------------------------------------------------------------------------ data

arrow::Status SqliteCatalog::CommitTopicData(int64_t topic_id, const std::string& upload_id,
                                             const std::vector<ChunkRecord>& chunks) {
  if (upload_id.empty()) return InvalidArgument("upload id must not be empty");
  ARROW_RETURN_NOT_OK(ValidateChunks(chunks));

  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kWrite));
  ARROW_ASSIGN_OR_RAISE(TopicRecord topic, sqlite::FindTopicById(conn_.get(), topic_id));
  const std::string locator = sqlite::TopicLocator(topic.sequence_name, topic.name);
  if (topic.locked) return FailedPrecondition("topic '" + locator + "' is locked (finalized)");
  if (topic.upload_id) {
    return FailedPrecondition("topic '" + locator + "' already has committed data (upload '" + *topic.upload_id +
                              "')");
  }

  ARROW_RETURN_NOT_OK(sqlite::InsertChunkRows(conn_.get(), topic_id, chunks));
  {
    ARROW_ASSIGN_OR_RAISE(Statement stmt, conn_->Prepare("UPDATE topics SET upload_id = ? WHERE id = ?"));
    ARROW_RETURN_NOT_OK(stmt.BindAll(upload_id, topic_id));
    ARROW_RETURN_NOT_OK(stmt.Run());
  }
  return txn.Commit();
}

arrow::Result<std::vector<ChunkRecord>> SqliteCatalog::ListChunks(int64_t topic_id, bool with_stats) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kRead));
  ARROW_RETURN_NOT_OK(sqlite::FindTopicById(conn_.get(), topic_id).status());
  std::vector<ChunkRecord> out;
  std::unordered_map<int64_t, size_t> position;  // chunk id -> index in `out`
  {
    ARROW_ASSIGN_OR_RAISE(Statement stmt, conn_->Prepare(std::string(kSelectChunk) +
                                                         " WHERE c.topic_id = ? ORDER BY c.ts_min, c.idx"));
    ARROW_RETURN_NOT_OK(stmt.BindAll(topic_id));
    while (true) {
      ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
      if (!row) break;
      out.push_back(sqlite::ReadChunk(stmt));
      position[out.back().id] = out.size() - 1;
    }
  }
  if (with_stats && !out.empty()) {
    // One query for all stats of the topic, in insertion order within each chunk.
    ARROW_ASSIGN_OR_RAISE(Statement stmt, conn_->Prepare(std::string(kSelectStats) +
                                                         " WHERE c.topic_id = ? ORDER BY st.chunk_id, st.id"));
    ARROW_RETURN_NOT_OK(stmt.BindAll(topic_id));
    while (true) {
      ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
      if (!row) break;
      ARROW_ASSIGN_OR_RAISE(ColumnStats s, sqlite::ReadColumnStats(stmt));
      auto it = position.find(stmt.Int64(0));
      if (it != position.end()) out[it->second].stats.push_back(std::move(s));
    }
  }
  ARROW_RETURN_NOT_OK(txn.Commit());
  return out;
}

namespace {

// The summary of one topic; REQUIRES mu_ held and a read transaction open.
arrow::Result<TopicDataSummary> SummarizeInTransaction(Connection* conn, int64_t topic_id) {
  ARROW_RETURN_NOT_OK(sqlite::FindTopicById(conn, topic_id).status());
  TopicDataSummary summary;
  // Time bounds only from chunks that hold rows, so they stay unset for a topic without rows.
  ARROW_ASSIGN_OR_RAISE(
      Statement stmt,
      conn->Prepare("SELECT coalesce(sum(size_bytes), 0), count(*), coalesce(sum(row_count), 0), "
                    "min(CASE WHEN row_count > 0 THEN ts_min END), max(CASE WHEN row_count > 0 THEN ts_max END) "
                    "FROM chunks WHERE topic_id = ?"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(topic_id));
  ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
  if (row) {
    summary.total_bytes = stmt.Int64(0);
    summary.total_chunks = stmt.Int64(1);
    summary.total_rows = stmt.Int64(2);
    summary.ts_min = stmt.OptInt64(3);
    summary.ts_max = stmt.OptInt64(4);
  }
  return summary;
}

}  // namespace

arrow::Result<TopicDataSummary> SqliteCatalog::SummarizeTopic(int64_t topic_id) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kRead));
  ARROW_ASSIGN_OR_RAISE(TopicDataSummary summary, SummarizeInTransaction(conn_.get(), topic_id));
  ARROW_RETURN_NOT_OK(txn.Commit());
  return summary;
}

arrow::Result<std::vector<TopicDataSummary>> SqliteCatalog::SummarizeTopics(const std::vector<int64_t>& topic_ids) {
  std::lock_guard lock(mu_);
  // One lock and one read transaction (one snapshot) for all of them, instead of one per topic.
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kRead));
  std::vector<TopicDataSummary> out;
  out.reserve(topic_ids.size());
  for (int64_t id : topic_ids) {
    ARROW_ASSIGN_OR_RAISE(TopicDataSummary summary, SummarizeInTransaction(conn_.get(), id));
    out.push_back(std::move(summary));
  }
  ARROW_RETURN_NOT_OK(txn.Commit());
  return out;
}

// --------------------------------------------------------------------------------------- notifications

arrow::Result<SqliteCatalog::NotificationScope> SqliteCatalog::ResolveScopeLocked(
    const std::string& sequence_name, const std::optional<std::string>& topic_name) {
  NotificationScope scope;
  if (topic_name) {
    ARROW_ASSIGN_OR_RAISE(TopicRecord topic, sqlite::FindTopic(conn_.get(), sequence_name, *topic_name));
    scope.sequence_id = topic.sequence_id;
    scope.topic_id = topic.id;
  } else {
    ARROW_ASSIGN_OR_RAISE(SequenceRecord seq, sqlite::FindSequence(conn_.get(), sequence_name));
    scope.sequence_id = seq.id;
  }
  return scope;
}

arrow::Result<NotificationRecord> SqliteCatalog::AddNotification(const NotificationRecord& n) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kWrite));
  ARROW_ASSIGN_OR_RAISE(NotificationScope scope, ResolveScopeLocked(n.sequence_name, n.topic_name));
  {
    ARROW_ASSIGN_OR_RAISE(
        Statement insert,
        conn_->Prepare("INSERT INTO notifications (sequence_id, topic_id, notification_type, msg, created_at_ns) "
                       "VALUES (?, ?, ?, ?, ?)"));
    ARROW_RETURN_NOT_OK(insert.BindAll(scope.sequence_id, scope.topic_id, n.notification_type, n.msg,
                                       n.created_at_ns));
    ARROW_RETURN_NOT_OK(insert.Run());
  }
  NotificationRecord out = n;
  out.id = conn_->LastInsertId();
  ARROW_RETURN_NOT_OK(txn.Commit());
  return out;
}

arrow::Result<std::vector<NotificationRecord>> SqliteCatalog::ListNotifications(
    const std::string& sequence_name, const std::optional<std::string>& topic_name) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kRead));
  ARROW_ASSIGN_OR_RAISE(NotificationScope scope, ResolveScopeLocked(sequence_name, topic_name));
  std::vector<NotificationRecord> out;
  {
    constexpr char kColumns[] = "SELECT id, notification_type, msg, created_at_ns FROM notifications ";
    const std::string sql =
        std::string(kColumns) + (scope.topic_id ? "WHERE topic_id = ?" : "WHERE sequence_id = ? AND topic_id IS NULL") +
        " ORDER BY created_at_ns, id";
    ARROW_ASSIGN_OR_RAISE(Statement stmt, conn_->Prepare(sql));
    ARROW_RETURN_NOT_OK(stmt.BindAll(scope.topic_id ? *scope.topic_id : scope.sequence_id));
    while (true) {
      ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
      if (!row) break;
      NotificationRecord r;
      r.id = stmt.Int64(0);
      r.sequence_name = sequence_name;
      r.topic_name = topic_name;
      r.notification_type = stmt.Text(1);
      r.msg = stmt.Text(2);
      r.created_at_ns = stmt.Int64(3);
      out.push_back(std::move(r));
    }
  }
  ARROW_RETURN_NOT_OK(txn.Commit());
  return out;
}

arrow::Result<std::vector<NotificationRecord>> SqliteCatalog::ListSequenceNotifications(
    const std::string& sequence_name) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kRead));
  ARROW_ASSIGN_OR_RAISE(SequenceRecord seq, sqlite::FindSequence(conn_.get(), sequence_name));
  std::vector<NotificationRecord> out;
  {
    ARROW_ASSIGN_OR_RAISE(Statement stmt,
                          conn_->Prepare("SELECT n.id, t.name, n.notification_type, n.msg, n.created_at_ns "
                                         "FROM notifications n LEFT JOIN topics t ON t.id = n.topic_id "
                                         "WHERE n.sequence_id = ? ORDER BY n.topic_id, n.created_at_ns, n.id"));
    ARROW_RETURN_NOT_OK(stmt.BindAll(seq.id));
    while (true) {
      ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
      if (!row) break;
      NotificationRecord r;
      r.id = stmt.Int64(0);
      r.sequence_name = sequence_name;
      r.topic_name = stmt.OptText(1);
      r.notification_type = stmt.Text(2);
      r.msg = stmt.Text(3);
      r.created_at_ns = stmt.Int64(4);
      out.push_back(std::move(r));
    }
  }
  ARROW_RETURN_NOT_OK(txn.Commit());
  return out;
}

arrow::Status SqliteCatalog::PurgeNotifications(const std::string& sequence_name,
                                                const std::optional<std::string>& topic_name) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kWrite));
  ARROW_ASSIGN_OR_RAISE(NotificationScope scope, ResolveScopeLocked(sequence_name, topic_name));
  {
    const std::string sql = scope.topic_id ? "DELETE FROM notifications WHERE topic_id = ?"
                                           : "DELETE FROM notifications WHERE sequence_id = ? AND topic_id IS NULL";
    ARROW_ASSIGN_OR_RAISE(Statement stmt, conn_->Prepare(sql));
    ARROW_RETURN_NOT_OK(stmt.BindAll(scope.topic_id ? *scope.topic_id : scope.sequence_id));
    ARROW_RETURN_NOT_OK(stmt.Run());
  }
  return txn.Commit();
}

}  // namespace mosaico::catalog
