// SqliteCatalog::ReplaceTopicData: compaction's atomic swap of a topic's committed data (catalog/catalog.h states
// the contract). One write transaction: the topic's upload is checked against the expected one, its chunk rows and
// statistics are deleted, the new ones inserted (the same code as CommitTopicData, sqlite/chunk_rows.h) and
// topic.upload_id set. A reader (ListChunks, SummarizeTopic, FindTopics) sees either the old chunk list or the
// new one, never a mix or a gap. Locked (finalized) topics are accepted: compaction only runs on them.
#include "mosaico/catalog/chunk_validation.h"
#include "mosaico/catalog/sqlite/chunk_rows.h"
#include "mosaico/catalog/sqlite/queries.h"
#include "mosaico/catalog/sqlite/sqlite_catalog.h"
#include "mosaico/catalog/sqlite/sqlite_util.h"
#include "mosaico/core/errors.h"

namespace mosaico::catalog {

using sqlite::Statement;
using sqlite::Transaction;

arrow::Status SqliteCatalog::ReplaceTopicData(int64_t topic_id, const std::string& expected_upload_id,
                                              const std::string& new_upload_id,
                                              const std::vector<ChunkRecord>& chunks) {
  ARROW_RETURN_NOT_OK(ValidateReplacement(expected_upload_id, new_upload_id, chunks));

  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kWrite));
  ARROW_ASSIGN_OR_RAISE(TopicRecord topic, sqlite::FindTopicById(conn_.get(), topic_id));
  if (topic.upload_id != expected_upload_id) {
    return FailedPrecondition("topic '" + sqlite::TopicLocator(topic.sequence_name, topic.name) + "' holds upload '" +
                              topic.upload_id.value_or("none") + "', not the expected '" + expected_upload_id + "'");
  }
  ARROW_RETURN_NOT_OK(sqlite::DeleteChunkRows(conn_.get(), topic_id));
  ARROW_RETURN_NOT_OK(sqlite::InsertChunkRows(conn_.get(), topic_id, chunks));
  {
    ARROW_ASSIGN_OR_RAISE(Statement stmt, conn_->Prepare("UPDATE topics SET upload_id = ? WHERE id = ?"));
    ARROW_RETURN_NOT_OK(stmt.BindAll(new_upload_id, topic_id));
    ARROW_RETURN_NOT_OK(stmt.Run());
  }
  return txn.Commit();
}

}  // namespace mosaico::catalog
