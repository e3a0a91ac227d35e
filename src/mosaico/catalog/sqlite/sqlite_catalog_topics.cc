// SqliteCatalog: topics (create, look up, list, delete, schema snapshot).
#include <utility>

#include "mosaico/catalog/sqlite/metadata_index.h"
#include "mosaico/catalog/sqlite/queries.h"
#include "mosaico/catalog/sqlite/sqlite_catalog.h"
#include "mosaico/catalog/sqlite/sqlite_util.h"
#include "mosaico/core/errors.h"

namespace mosaico::catalog {

using sqlite::Blob;
using sqlite::Statement;
using sqlite::Transaction;

arrow::Result<TopicRecord> SqliteCatalog::CreateTopic(const TopicRecord& topic) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kWrite));
  ARROW_ASSIGN_OR_RAISE(SessionRecord session, sqlite::FindSessionById(conn_.get(), topic.session_id));
  if (session.sequence_id != topic.sequence_id) {
    return InvalidArgument("session '" + sqlite::SessionLocator(session.sequence_name, session.key) +
                           "' does not belong to sequence id " + std::to_string(topic.sequence_id));
  }
  if (session.locked) {
    return FailedPrecondition("session '" + sqlite::SessionLocator(session.sequence_name, session.key) +
                              "' is locked (finalized)");
  }
  const std::string locator = sqlite::TopicLocator(session.sequence_name, topic.name);
  {
    ARROW_ASSIGN_OR_RAISE(Statement dup, conn_->Prepare("SELECT 1 FROM topics WHERE sequence_id = ? AND name = ?"));
    ARROW_RETURN_NOT_OK(dup.BindAll(topic.sequence_id, topic.name));
    ARROW_ASSIGN_OR_RAISE(bool exists, dup.Step());
    if (exists) return AlreadyExists("topic '" + locator + "' already exists");
  }
  {
    ARROW_ASSIGN_OR_RAISE(
        Statement insert,
        conn_->Prepare("INSERT INTO topics (sequence_id, session_id, name, uuid, ontology_tag, serialization_format, "
                       "user_metadata, created_at_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    ARROW_RETURN_NOT_OK(insert.BindAll(topic.sequence_id, topic.session_id, topic.name, topic.uuid,
                                       topic.ontology_tag, topic.serialization_format, topic.user_metadata_json,
                                       topic.created_at_ns));
    arrow::Status st = insert.Run();
    if (sqlite::IsUniqueViolation(st)) return AlreadyExists("a topic with the given uuid already exists");
    ARROW_RETURN_NOT_OK(st);
  }
  const int64_t topic_id = conn_->LastInsertId();
  ARROW_RETURN_NOT_OK(
      sqlite::WriteMetadataIndex(conn_.get(), sqlite::MetadataOwner::kTopic, topic_id, topic.user_metadata_json));
  ARROW_ASSIGN_OR_RAISE(TopicRecord created, sqlite::FindTopicById(conn_.get(), topic_id));
  ARROW_RETURN_NOT_OK(txn.Commit());
  return created;
}

arrow::Result<TopicRecord> SqliteCatalog::GetTopic(const std::string& sequence_name, const std::string& topic_name) {
  std::lock_guard lock(mu_);
  return sqlite::FindTopic(conn_.get(), sequence_name, topic_name);
}

arrow::Result<TopicRecord> SqliteCatalog::GetTopicByUuid(const std::string& uuid) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Statement stmt, conn_->Prepare(std::string(kSelectTopic) + " WHERE t.uuid = ?"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(uuid));
  ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
  if (!row) return NotFound("no topic with the given uuid");
  return sqlite::ReadTopic(stmt);
}

arrow::Result<std::vector<TopicRecord>> SqliteCatalog::ListTopics(const std::string& sequence_name) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kRead));
  ARROW_ASSIGN_OR_RAISE(SequenceRecord seq, sqlite::FindSequence(conn_.get(), sequence_name));
  std::vector<TopicRecord> out;
  {
    ARROW_ASSIGN_OR_RAISE(Statement stmt, conn_->Prepare(std::string(kSelectTopic) +
                                                         " WHERE t.sequence_id = ? ORDER BY t.name"));
    ARROW_RETURN_NOT_OK(stmt.BindAll(seq.id));
    while (true) {
      ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
      if (!row) break;
      out.push_back(sqlite::ReadTopic(stmt));
    }
  }
  ARROW_RETURN_NOT_OK(txn.Commit());
  return out;
}

arrow::Status SqliteCatalog::DeleteTopic(int64_t topic_id) {
  std::lock_guard lock(mu_);
  // Cascades to the topic's chunks, their stats and the topic's notifications in the same statement.
  ARROW_ASSIGN_OR_RAISE(Statement stmt, conn_->Prepare("DELETE FROM topics WHERE id = ?"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(topic_id));
  ARROW_RETURN_NOT_OK(stmt.Run());
  if (conn_->Changes() == 0) return NotFound("topic " + std::to_string(topic_id) + " not found");
  return arrow::Status::OK();
}

arrow::Status SqliteCatalog::SetTopicSchema(int64_t topic_id, const std::string& schema_ipc) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kWrite));
  ARROW_ASSIGN_OR_RAISE(TopicRecord topic, sqlite::FindTopicById(conn_.get(), topic_id));
  if (topic.locked) {
    return FailedPrecondition("topic '" + sqlite::TopicLocator(topic.sequence_name, topic.name) +
                              "' is locked (finalized)");
  }
  {
    ARROW_ASSIGN_OR_RAISE(Statement stmt, conn_->Prepare("UPDATE topics SET schema_ipc = ? WHERE id = ?"));
    ARROW_RETURN_NOT_OK(stmt.BindAll(Blob{schema_ipc}, topic_id));
    ARROW_RETURN_NOT_OK(stmt.Run());
  }
  return txn.Commit();
}

}  // namespace mosaico::catalog
