// PostgresCatalog: opening, sequences, sessions and topics. Data and notifications live in
// postgres_catalog_data.cc, the event queue in postgres_catalog_jobs.cc, queries in postgres_catalog_query.cc.
#include "mosaico/catalog/postgres/postgres_catalog.h"

#include <algorithm>
#include <utility>

#include "mosaico/catalog/postgres/pg_conn.h"
#include "mosaico/catalog/postgres/pg_migrations.h"
#include "mosaico/catalog/postgres/pg_queries.h"
#include "mosaico/core/errors.h"

namespace mosaico::catalog {

using postgres::Bytes;
using postgres::PgParams;
using postgres::PgPool;
using postgres::PgResult;
using postgres::PgTransaction;

arrow::Result<std::shared_ptr<PostgresCatalog>> PostgresCatalog::Open(const std::string& url, size_t pool_size) {
  auto pool = std::make_unique<PgPool>(url, std::max<size_t>(pool_size, 1));
  {
    ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool->Acquire());
    ARROW_RETURN_NOT_OK(WithContext(postgres::PgMigrate(conn.get()), "postgresql catalog"));
  }
  return std::shared_ptr<PostgresCatalog>(new PostgresCatalog(std::move(pool)));
}

PostgresCatalog::PostgresCatalog(std::unique_ptr<PgPool> pool) : pool_(std::move(pool)) {}
PostgresCatalog::~PostgresCatalog() = default;

// ------------------------------------------------------------------------------------------- sequences

arrow::Result<SequenceRecord> PostgresCatalog::CreateSequence(const std::string& name,
                                                              const std::string& user_metadata_json,
                                                              int64_t created_at_ns) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  auto res = conn->Exec("INSERT INTO sequences (name, user_metadata, created_at_ns) VALUES ($1, $2, $3) RETURNING id",
                        PgParams::Of(name, user_metadata_json, created_at_ns));
  if (postgres::IsPgUniqueViolation(res.status())) return AlreadyExists("sequence '" + name + "' already exists");
  ARROW_RETURN_NOT_OK(res.status());
  SequenceRecord r;
  r.id = res->Int64(0, 0);
  r.name = name;
  r.user_metadata_json = user_metadata_json;
  r.created_at_ns = created_at_ns;
  return r;
}

arrow::Result<SequenceRecord> PostgresCatalog::GetSequence(const std::string& name) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  return postgres::FindSequence(conn.get(), name);
}

arrow::Result<std::vector<SequenceRecord>> PostgresCatalog::ListSequences() {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgResult res,
                        conn->Exec(std::string(kSelectSequence) + " ORDER BY q.name COLLATE \"C\""));
  std::vector<SequenceRecord> out;
  for (int r = 0; r < res.rows(); ++r) out.push_back(postgres::ReadSequence(res, r));
  return out;
}

arrow::Result<std::vector<SequenceRecord>> PostgresCatalog::ListSequencesPage(const std::string& after,
                                                                           int64_t limit) {
  std::vector<SequenceRecord> out;
  if (limit <= 0) return out;
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  // Served by sequences_name_c (the byte order ListSequences uses): the page costs what it returns.
  ARROW_ASSIGN_OR_RAISE(PgResult res,
                        conn->Exec(std::string(kSelectSequence) +
                                       " WHERE q.name COLLATE \"C\" > $1 ORDER BY q.name COLLATE \"C\" LIMIT $2",
                                   PgParams::Of(after, limit)));
  for (int r = 0; r < res.rows(); ++r) out.push_back(postgres::ReadSequence(res, r));
  return out;
}

arrow::Result<std::vector<std::string>> PostgresCatalog::ListOpenSequences() {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(
      PgResult res,
      conn->Exec("SELECT q.name FROM sequences q WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE "
                 "s.sequence_id = q.id) OR EXISTS (SELECT 1 FROM sessions s WHERE s.sequence_id = q.id AND "
                 "NOT s.locked) ORDER BY q.name COLLATE \"C\""));
  std::vector<std::string> out;
  for (int r = 0; r < res.rows(); ++r) out.push_back(res.Text(r, 0));
  return out;
}

arrow::Status PostgresCatalog::DeleteSequence(const std::string& name) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec("DELETE FROM sequences WHERE name = $1", PgParams::Of(name)));
  if (res.affected() == 0) return NotFound("sequence '" + name + "' not found");
  return arrow::Status::OK();
}

// -------------------------------------------------------------------------------------------- sessions

arrow::Result<SessionRecord> PostgresCatalog::CreateSession(const std::string& sequence_name, const std::string& key,
                                                            const std::string& uuid, int64_t created_at_ns) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  const std::string locator = postgres::SessionLocator(sequence_name, key);
  // One statement, one round trip (BEGIN / find sequence / duplicate check / INSERT / COMMIT were five): no row
  // when the sequence does not exist; a duplicate is the unique constraint's violation.
  auto res = conn->Exec(
      "INSERT INTO sessions (sequence_id, session_key, uuid, created_at_ns) "
      "SELECT q.id, $2::text, $3::text, $4::bigint FROM sequences q WHERE q.name = $1 RETURNING id, sequence_id",
      PgParams::Of(sequence_name, key, uuid, created_at_ns));
  if (postgres::IsPgUniqueViolation(res.status())) {
    if (postgres::PgConstraint(res.status()) != "sessions_sequence_key_unique") {
      // The uuid clashed; a clash on both reports the key, as SQLite does (error path only: one more statement).
      ARROW_ASSIGN_OR_RAISE(PgResult dup, conn->Exec("SELECT 1 FROM sessions s JOIN sequences q ON q.id = "
                                                     "s.sequence_id WHERE q.name = $1 AND s.session_key = $2",
                                                     PgParams::Of(sequence_name, key)));
      if (dup.rows() == 0) return AlreadyExists("a session with the given uuid already exists");
    }
    return AlreadyExists("session '" + locator + "' already exists");
  }
  ARROW_RETURN_NOT_OK(res.status());
  if (res->rows() == 0) return NotFound("sequence '" + sequence_name + "' not found");
  SessionRecord r;
  r.id = res->Int64(0, 0);
  r.sequence_id = res->Int64(0, 1);
  r.sequence_name = sequence_name;
  r.key = key;
  r.uuid = uuid;
  r.created_at_ns = created_at_ns;
  return r;
}

arrow::Result<SessionRecord> PostgresCatalog::GetSessionByUuid(const std::string& uuid) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgResult res,
                        conn->Exec(std::string(kSelectSession) + " WHERE s.uuid = $1", PgParams::Of(uuid)));
  if (res.rows() == 0) return NotFound("no session with the given uuid");
  return postgres::ReadSession(res, 0);
}

arrow::Result<SessionRecord> PostgresCatalog::GetSession(const std::string& sequence_name, const std::string& key) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec(std::string(kSelectSession) +
                                                     " WHERE q.name = $1 AND s.session_key = $2",
                                                 PgParams::Of(sequence_name, key)));
  if (res.rows() == 0) return NotFound("session '" + postgres::SessionLocator(sequence_name, key) + "' not found");
  return postgres::ReadSession(res, 0);
}

arrow::Result<std::vector<SessionRecord>> PostgresCatalog::ListSessions(const std::string& sequence_name) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  // One statement by name (one round trip; BEGIN / find / list / COMMIT took four); only an empty answer asks
  // whether the sequence exists.
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec(std::string(kSelectSession) +
                                                     " WHERE q.name = $1 ORDER BY s.created_at_ns, s.id",
                                                 PgParams::Of(sequence_name)));
  if (res.rows() == 0) ARROW_RETURN_NOT_OK(postgres::FindSequence(conn.get(), sequence_name).status());
  std::vector<SessionRecord> out;
  for (int r = 0; r < res.rows(); ++r) out.push_back(postgres::ReadSession(res, r));
  return out;
}

arrow::Status PostgresCatalog::LockSession(int64_t session_id, int64_t completed_at_ns) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgTransaction txn, PgTransaction::Begin(conn.get()));
  ARROW_ASSIGN_OR_RAISE(SessionRecord session, postgres::FindSessionById(conn.get(), session_id, /*for_update=*/true));
  if (session.locked) {
    return FailedPrecondition("session '" + postgres::SessionLocator(session.sequence_name, session.key) +
                              "' is locked (finalized)");
  }
  ARROW_RETURN_NOT_OK(conn->Exec("UPDATE sessions SET locked = TRUE, completed_at_ns = $1 WHERE id = $2",
                                 PgParams::Of(completed_at_ns, session_id))
                          .status());
  ARROW_RETURN_NOT_OK(conn->Exec("UPDATE topics SET locked = TRUE, completed_at_ns = $1 WHERE session_id = $2",
                                 PgParams::Of(completed_at_ns, session_id))
                          .status());
  return txn.Commit();
}

arrow::Status PostgresCatalog::DeleteSession(int64_t session_id) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec("DELETE FROM sessions WHERE id = $1", PgParams::Of(session_id)));
  if (res.affected() == 0) return NotFound("session " + std::to_string(session_id) + " not found");
  return arrow::Status::OK();
}

// ---------------------------------------------------------------------------------------------- topics

arrow::Result<TopicRecord> PostgresCatalog::CreateTopic(const TopicRecord& topic) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgTransaction txn, PgTransaction::Begin(conn.get()));
  // Locking the session row orders this insert against a concurrent LockSession.
  ARROW_ASSIGN_OR_RAISE(SessionRecord session,
                        postgres::FindSessionById(conn.get(), topic.session_id, /*for_update=*/true));
  const std::string session_locator = postgres::SessionLocator(session.sequence_name, session.key);
  if (session.sequence_id != topic.sequence_id) {
    return InvalidArgument("session '" + session_locator + "' does not belong to sequence id " +
                           std::to_string(topic.sequence_id));
  }
  if (session.locked) return FailedPrecondition("session '" + session_locator + "' is locked (finalized)");
  {
    ARROW_ASSIGN_OR_RAISE(PgResult dup, conn->Exec("SELECT 1 FROM topics WHERE sequence_id = $1 AND name = $2",
                                                   PgParams::Of(topic.sequence_id, topic.name)));
    if (dup.rows() > 0) {
      return AlreadyExists("topic '" + postgres::TopicLocator(session.sequence_name, topic.name) +
                           "' already exists");
    }
  }
  auto res = conn->Exec(
      "INSERT INTO topics (sequence_id, session_id, name, uuid, ontology_tag, serialization_format, user_metadata, "
      "created_at_ns) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
      PgParams::Of(topic.sequence_id, topic.session_id, topic.name, topic.uuid, topic.ontology_tag,
                   topic.serialization_format, topic.user_metadata_json, topic.created_at_ns));
  if (postgres::IsPgUniqueViolation(res.status())) {
    if (postgres::PgConstraint(res.status()) == "topics_sequence_name_unique") {
      return AlreadyExists("topic '" + postgres::TopicLocator(session.sequence_name, topic.name) +
                           "' already exists");
    }
    return AlreadyExists("a topic with the given uuid already exists");
  }
  ARROW_RETURN_NOT_OK(res.status());
  ARROW_ASSIGN_OR_RAISE(TopicRecord created, postgres::FindTopicById(conn.get(), res->Int64(0, 0)));
  ARROW_RETURN_NOT_OK(txn.Commit());
  return created;
}

arrow::Result<TopicRecord> PostgresCatalog::GetTopic(const std::string& sequence_name,
                                                     const std::string& topic_name) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  return postgres::FindTopic(conn.get(), sequence_name, topic_name);
}

arrow::Result<TopicRecord> PostgresCatalog::GetTopicByUuid(const std::string& uuid) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgResult res,
                        conn->Exec(std::string(kSelectTopic) + " WHERE t.uuid = $1", PgParams::Of(uuid)));
  if (res.rows() == 0) return NotFound("no topic with the given uuid");
  return postgres::ReadTopic(res, 0);
}

arrow::Result<std::vector<TopicRecord>> PostgresCatalog::ListTopics(const std::string& sequence_name) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  // One statement by name, as ListSessions.
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec(std::string(kSelectTopic) +
                                                     " WHERE q.name = $1 ORDER BY t.name COLLATE \"C\"",
                                                 PgParams::Of(sequence_name)));
  if (res.rows() == 0) ARROW_RETURN_NOT_OK(postgres::FindSequence(conn.get(), sequence_name).status());
  std::vector<TopicRecord> out;
  for (int r = 0; r < res.rows(); ++r) out.push_back(postgres::ReadTopic(res, r));
  return out;
}

arrow::Status PostgresCatalog::DeleteTopic(int64_t topic_id) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec("DELETE FROM topics WHERE id = $1", PgParams::Of(topic_id)));
  if (res.affected() == 0) return NotFound("topic " + std::to_string(topic_id) + " not found");
  return arrow::Status::OK();
}

arrow::Status PostgresCatalog::SetTopicSchema(int64_t topic_id, const std::string& schema_ipc) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgTransaction txn, PgTransaction::Begin(conn.get()));
  ARROW_ASSIGN_OR_RAISE(TopicRecord topic, postgres::FindTopicById(conn.get(), topic_id, /*for_update=*/true));
  if (topic.locked) {
    return FailedPrecondition("topic '" + postgres::TopicLocator(topic.sequence_name, topic.name) +
                              "' is locked (finalized)");
  }
  ARROW_RETURN_NOT_OK(conn->Exec("UPDATE topics SET schema_ipc = $1 WHERE id = $2",
                                 PgParams::Of(Bytes{schema_ipc}, topic_id))
                          .status());
  return txn.Commit();
}

}  // namespace mosaico::catalog
