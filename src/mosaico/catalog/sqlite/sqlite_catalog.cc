// SqliteCatalog: opening, sequences and sessions. Topics live in sqlite_catalog_topics.cc; chunks, summaries
// and notifications in sqlite_catalog_data.cc.
#include "mosaico/catalog/sqlite/sqlite_catalog.h"

#include <utility>

#include "mosaico/catalog/sqlite/metadata_index.h"
#include "mosaico/catalog/sqlite/migrations.h"
#include "mosaico/catalog/sqlite/queries.h"
#include "mosaico/catalog/sqlite/sqlite_util.h"
#include "mosaico/core/errors.h"

namespace mosaico::catalog {

using sqlite::Connection;
using sqlite::Statement;
using sqlite::Transaction;

namespace {

// Connection settings; PRAGMAs take no bound parameters, the values are constants.
arrow::Status Configure(Connection* conn) {
  ARROW_RETURN_NOT_OK(conn->Exec("PRAGMA busy_timeout = " + std::to_string(SqliteCatalog::kBusyTimeoutMs)));
  ARROW_RETURN_NOT_OK(conn->Exec("PRAGMA foreign_keys = ON"));
  ARROW_ASSIGN_OR_RAISE(std::string fk, conn->QueryText("PRAGMA foreign_keys"));
  if (fk != "1") return arrow::Status::IOError("sqlite: foreign keys are not supported by this sqlite build");
  ARROW_ASSIGN_OR_RAISE(std::string mode, conn->QueryText("PRAGMA journal_mode = WAL"));
  if (mode != "wal" && mode != "memory") {  // in-memory databases cannot use WAL
    return arrow::Status::IOError("sqlite: cannot enable WAL journal mode (got '", mode, "')");
  }
  ARROW_RETURN_NOT_OK(conn->Exec("PRAGMA synchronous = NORMAL"));
  // Queries sweep whole tables (every sequence's metadata, every topic of a tag); with sqlite's default 2 MiB
  // page cache each sweep re-reads the file through the OS, which was ~40% of a query's time on a 10k-sequence
  // catalog. Pages are allocated on use, so this is a ceiling, not a reservation.
  ARROW_RETURN_NOT_OK(conn->Exec("PRAGMA cache_size = -" + std::to_string(SqliteCatalog::kPageCacheKiB)));
  // A large answer at 1M topics (200k topics) sweeps more pages than that cache holds: each miss was a pread()
  // copying a page out of the OS page cache (17 % of such a query's daemon CPU). Mapped, sqlite reads them in
  // place. Capped by the library's SQLITE_MAX_MMAP_SIZE; ignored for in-memory databases.
  return conn->Exec("PRAGMA mmap_size = " + std::to_string(SqliteCatalog::kMmapBytes));
}

}  // namespace

arrow::Result<std::shared_ptr<SqliteCatalog>> SqliteCatalog::Open(const std::string& path) {
  ARROW_ASSIGN_OR_RAISE(std::unique_ptr<Connection> conn, Connection::Open(path));
  ARROW_RETURN_NOT_OK(WithContext(Configure(conn.get()), "catalog '" + path + "'"));
  ARROW_RETURN_NOT_OK(WithContext(sqlite::Migrate(conn.get()), "catalog '" + path + "'"));
  return std::shared_ptr<SqliteCatalog>(new SqliteCatalog(path, std::move(conn)));
}

SqliteCatalog::SqliteCatalog(std::string path, std::unique_ptr<Connection> conn)
    : path_(std::move(path)), conn_(std::move(conn)) {}

SqliteCatalog::~SqliteCatalog() = default;

// ------------------------------------------------------------------------------------------- sequences

arrow::Result<SequenceRecord> SqliteCatalog::CreateSequence(const std::string& name,
                                                            const std::string& user_metadata_json,
                                                            int64_t created_at_ns) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kWrite));
  SequenceRecord r;
  {
    ARROW_ASSIGN_OR_RAISE(
        Statement stmt,
        conn_->Prepare("INSERT INTO sequences (name, user_metadata, created_at_ns) VALUES (?, ?, ?)"));
    ARROW_RETURN_NOT_OK(stmt.BindAll(name, user_metadata_json, created_at_ns));
    arrow::Status st = stmt.Run();
    if (sqlite::IsUniqueViolation(st)) return AlreadyExists("sequence '" + name + "' already exists");
    ARROW_RETURN_NOT_OK(st);
  }
  r.id = conn_->LastInsertId();
  ARROW_RETURN_NOT_OK(
      sqlite::WriteMetadataIndex(conn_.get(), sqlite::MetadataOwner::kSequence, r.id, user_metadata_json));
  ARROW_RETURN_NOT_OK(txn.Commit());
  r.name = name;
  r.user_metadata_json = user_metadata_json;
  r.created_at_ns = created_at_ns;
  return r;
}

arrow::Result<SequenceRecord> SqliteCatalog::GetSequence(const std::string& name) {
  std::lock_guard lock(mu_);
  return sqlite::FindSequence(conn_.get(), name);
}

arrow::Result<std::vector<SequenceRecord>> SqliteCatalog::ListSequences() {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Statement stmt, conn_->Prepare(std::string(kSelectSequence) + " ORDER BY q.name"));
  std::vector<SequenceRecord> out;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
    if (!row) break;
    out.push_back(sqlite::ReadSequence(stmt));
  }
  return out;
}

arrow::Result<std::vector<SequenceRecord>> SqliteCatalog::ListSequencesPage(const std::string& after, int64_t limit) {
  std::lock_guard lock(mu_);
  std::vector<SequenceRecord> out;
  if (limit <= 0) return out;
  // The UNIQUE index on name serves both the range and the order: the page costs what it returns.
  ARROW_ASSIGN_OR_RAISE(Statement stmt,
                        conn_->Prepare(std::string(kSelectSequence) + " WHERE q.name > ? ORDER BY q.name LIMIT ?"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(after, limit));
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
    if (!row) break;
    out.push_back(sqlite::ReadSequence(stmt));
  }
  return out;
}

arrow::Result<std::vector<std::string>> SqliteCatalog::ListOpenSequences() {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(
      Statement stmt,
      conn_->Prepare("SELECT q.name FROM sequences q WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE "
                     "s.sequence_id = q.id) OR EXISTS (SELECT 1 FROM sessions s WHERE s.sequence_id = q.id AND "
                     "s.locked = 0) ORDER BY q.name"));
  std::vector<std::string> out;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
    if (!row) break;
    out.push_back(stmt.Text(0));
  }
  return out;
}

arrow::Status SqliteCatalog::DeleteSequence(const std::string& name) {
  std::lock_guard lock(mu_);
  // One statement: the ON DELETE CASCADE chain removes sessions, topics, chunks, stats and notifications
  // atomically with it.
  ARROW_ASSIGN_OR_RAISE(Statement stmt, conn_->Prepare("DELETE FROM sequences WHERE name = ?"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(name));
  ARROW_RETURN_NOT_OK(stmt.Run());
  if (conn_->Changes() == 0) return NotFound("sequence '" + name + "' not found");
  return arrow::Status::OK();
}

// -------------------------------------------------------------------------------------------- sessions

arrow::Result<SessionRecord> SqliteCatalog::CreateSession(const std::string& sequence_name, const std::string& key,
                                                          const std::string& uuid, int64_t created_at_ns) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kWrite));
  ARROW_ASSIGN_OR_RAISE(SequenceRecord seq, sqlite::FindSequence(conn_.get(), sequence_name));
  {
    ARROW_ASSIGN_OR_RAISE(Statement dup,
                          conn_->Prepare("SELECT 1 FROM sessions WHERE sequence_id = ? AND session_key = ?"));
    ARROW_RETURN_NOT_OK(dup.BindAll(seq.id, key));
    ARROW_ASSIGN_OR_RAISE(bool exists, dup.Step());
    if (exists) return AlreadyExists("session '" + sqlite::SessionLocator(sequence_name, key) + "' already exists");
  }
  {
    ARROW_ASSIGN_OR_RAISE(
        Statement insert,
        conn_->Prepare("INSERT INTO sessions (sequence_id, session_key, uuid, created_at_ns) VALUES (?, ?, ?, ?)"));
    ARROW_RETURN_NOT_OK(insert.BindAll(seq.id, key, uuid, created_at_ns));
    arrow::Status st = insert.Run();
    if (sqlite::IsUniqueViolation(st)) return AlreadyExists("a session with the given uuid already exists");
    ARROW_RETURN_NOT_OK(st);
  }
  SessionRecord r;
  r.id = conn_->LastInsertId();
  r.sequence_id = seq.id;
  r.sequence_name = sequence_name;
  r.key = key;
  r.uuid = uuid;
  r.created_at_ns = created_at_ns;
  ARROW_RETURN_NOT_OK(txn.Commit());
  return r;
}

arrow::Result<SessionRecord> SqliteCatalog::GetSessionByUuid(const std::string& uuid) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Statement stmt, conn_->Prepare(std::string(kSelectSession) + " WHERE s.uuid = ?"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(uuid));
  ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
  if (!row) return NotFound("no session with the given uuid");
  return sqlite::ReadSession(stmt);
}

arrow::Result<SessionRecord> SqliteCatalog::GetSession(const std::string& sequence_name, const std::string& key) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Statement stmt, conn_->Prepare(std::string(kSelectSession) +
                                                       " WHERE q.name = ? AND s.session_key = ?"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(sequence_name, key));
  ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
  if (!row) return NotFound("session '" + sqlite::SessionLocator(sequence_name, key) + "' not found");
  return sqlite::ReadSession(stmt);
}

arrow::Result<std::vector<SessionRecord>> SqliteCatalog::ListSessions(const std::string& sequence_name) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kRead));
  ARROW_ASSIGN_OR_RAISE(SequenceRecord seq, sqlite::FindSequence(conn_.get(), sequence_name));
  std::vector<SessionRecord> out;
  {
    ARROW_ASSIGN_OR_RAISE(Statement stmt, conn_->Prepare(std::string(kSelectSession) +
                                                         " WHERE s.sequence_id = ? ORDER BY s.created_at_ns, s.id"));
    ARROW_RETURN_NOT_OK(stmt.BindAll(seq.id));
    while (true) {
      ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
      if (!row) break;
      out.push_back(sqlite::ReadSession(stmt));
    }
  }
  ARROW_RETURN_NOT_OK(txn.Commit());
  return out;
}

arrow::Status SqliteCatalog::LockSession(int64_t session_id, int64_t completed_at_ns) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kWrite));
  ARROW_ASSIGN_OR_RAISE(SessionRecord session, sqlite::FindSessionById(conn_.get(), session_id));
  if (session.locked) {
    return FailedPrecondition("session '" + sqlite::SessionLocator(session.sequence_name, session.key) +
                              "' is locked (finalized)");
  }
  {
    ARROW_ASSIGN_OR_RAISE(Statement stmt,
                          conn_->Prepare("UPDATE sessions SET locked = 1, completed_at_ns = ? WHERE id = ?"));
    ARROW_RETURN_NOT_OK(stmt.BindAll(completed_at_ns, session_id));
    ARROW_RETURN_NOT_OK(stmt.Run());
  }
  {
    ARROW_ASSIGN_OR_RAISE(Statement stmt,
                          conn_->Prepare("UPDATE topics SET locked = 1, completed_at_ns = ? WHERE session_id = ?"));
    ARROW_RETURN_NOT_OK(stmt.BindAll(completed_at_ns, session_id));
    ARROW_RETURN_NOT_OK(stmt.Run());
  }
  return txn.Commit();
}

arrow::Status SqliteCatalog::DeleteSession(int64_t session_id) {
  std::lock_guard lock(mu_);
  // Cascades to the session's topics, their chunks, stats and notifications in the same statement.
  ARROW_ASSIGN_OR_RAISE(Statement stmt, conn_->Prepare("DELETE FROM sessions WHERE id = ?"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(session_id));
  ARROW_RETURN_NOT_OK(stmt.Run());
  if (conn_->Changes() == 0) return NotFound("session " + std::to_string(session_id) + " not found");
  return arrow::Status::OK();
}

}  // namespace mosaico::catalog
