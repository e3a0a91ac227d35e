#include "mosaico/catalog/sqlite/sqlite_util.h"

#include <sqlite3.h>

#include <mutex>
#include <utility>

namespace mosaico::catalog::sqlite {
namespace {
constexpr char kSqliteErrorTypeId[] = "mosaico::catalog::sqlite::SqliteErrorDetail";
}  // namespace

// ---------------------------------------------------------------------------------------------- errors

const char* SqliteErrorDetail::type_id() const { return kSqliteErrorTypeId; }
std::string SqliteErrorDetail::ToString() const {
  std::string out = std::string("sqlite error ") + std::to_string(code_) + " (" + sqlite3_errstr(code_) + ")";
  if (!sql_.empty()) out += " in [" + sql_ + "]";
  return out;
}

int SqliteErrorCode(const arrow::Status& st) {
  const auto& detail = st.detail();
  if (!detail || std::string(detail->type_id()) != kSqliteErrorTypeId) return 0;
  return static_cast<const SqliteErrorDetail&>(*detail).code();
}

bool IsUniqueViolation(const arrow::Status& st) {
  int code = SqliteErrorCode(st);
  return code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY;
}

arrow::Status SqliteError(sqlite3* db, int rc, std::string_view context, std::string_view sql) {
  int code = db != nullptr ? sqlite3_extended_errcode(db) : rc;
  if ((code & 0xff) != (rc & 0xff)) code = rc;  // errcode of db may belong to another call
  std::string msg = "catalog (sqlite) ";
  msg.append(context);
  msg += ": ";
  msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return arrow::Status(arrow::StatusCode::IOError, std::move(msg),
                       std::make_shared<SqliteErrorDetail>(code, std::string(sql)));
}

// ------------------------------------------------------------------------------------------- Statement

Statement::Statement(sqlite3* db, sqlite3_stmt* stmt, bool* in_use, bool owned)
    : db_(db), stmt_(stmt), in_use_(in_use), owned_(owned) {}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), in_use_(other.in_use_), owned_(other.owned_) {}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  if (owned_) {
    sqlite3_finalize(stmt_);
    return;
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  if (in_use_ != nullptr) *in_use_ = false;
}

arrow::Status Statement::Check(int rc, const char* what) const {
  if (rc == SQLITE_OK) return arrow::Status::OK();
  return SqliteError(db_, rc, what, sqlite3_sql(stmt_));
}

arrow::Status Statement::Bind(int index, int64_t value) {
  return Check(sqlite3_bind_int64(stmt_, index, value), "bind");
}
arrow::Status Statement::Bind(int index, double value) {
  return Check(sqlite3_bind_double(stmt_, index, value), "bind");
}
arrow::Status Statement::Bind(int index, std::string_view text) {
  // An empty view may have a null data(); sqlite would bind NULL for it, so point at a literal.
  const char* data = text.data() != nullptr ? text.data() : "";
  return Check(sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8), "bind");
}
arrow::Status Statement::Bind(int index, Blob blob) {
  const char* data = blob.bytes.data() != nullptr ? blob.bytes.data() : "";
  return Check(sqlite3_bind_blob64(stmt_, index, data, blob.bytes.size(), SQLITE_TRANSIENT), "bind");
}
arrow::Status Statement::Bind(int index, std::nullopt_t) { return Check(sqlite3_bind_null(stmt_, index), "bind"); }

arrow::Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Check(rc, "step");
}

arrow::Status Statement::Run() {
  // DML yields no rows; a row from anything else is ignored (the destructor resets the statement).
  return Step().status();
}

bool Statement::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
int64_t Statement::Int64(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::Double(int col) const { return sqlite3_column_double(stmt_, col); }

std::string Statement::Text(int col) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  int size = sqlite3_column_bytes(stmt_, col);
  return data == nullptr ? std::string() : std::string(data, static_cast<size_t>(size));
}

std::string Statement::BlobBytes(int col) const {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  int size = sqlite3_column_bytes(stmt_, col);
  return data == nullptr ? std::string() : std::string(data, static_cast<size_t>(size));
}

std::optional<int64_t> Statement::OptInt64(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Int64(col);
}
std::optional<double> Statement::OptDouble(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Double(col);
}
std::optional<std::string> Statement::OptText(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Text(col);
}
std::optional<std::string> Statement::OptBlob(int col) const {
  if (IsNull(col)) return std::nullopt;
  return BlobBytes(col);
}

// ------------------------------------------------------------------------------------------ Connection

arrow::Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path) {
  // Before the library initializes (the first open): no global memory statistics. They cost a process-wide mutex
  // on every sqlite allocation (a large query makes hundreds of thousands), and nothing reads them
  // (sqlite3_memory_used). Too late (SQLITE_MISUSE) when something else initialized the library: ignored.
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  sqlite3* db = nullptr;
  // The caller serializes access, so sqlite's own per-connection mutex is not needed.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    arrow::Status st = SqliteError(db, rc, "open '" + path + "'");
    sqlite3_close(db);  // a handle is allocated even on failure (unless out of memory)
    return st;
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection() {
  for (auto& [sql, cached] : cache_) sqlite3_finalize(cached->stmt);
  cache_.clear();
  sqlite3_close_v2(db_);
}

arrow::Result<Statement> Connection::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && !it->second->in_use) {
    it->second->in_use = true;
    return Statement(db_, it->second->stmt, &it->second->in_use, /*owned=*/false);
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size() + 1), SQLITE_PREPARE_PERSISTENT, &stmt,
                              nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "prepare", sql);
  if (it != cache_.end()) {  // the cached copy is busy (nested use): hand out a private one
    return Statement(db_, stmt, nullptr, /*owned=*/true);
  }
  auto cached = std::make_unique<CachedStatement>();
  cached->stmt = stmt;
  cached->in_use = true;
  bool* in_use = &cached->in_use;
  cache_.emplace(sql, std::move(cached));
  return Statement(db_, stmt, in_use, /*owned=*/false);
}

arrow::Status Connection::Exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);  // sqlite3_errmsg() below reports the same text
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "exec");
  return arrow::Status::OK();
}

arrow::Result<std::string> Connection::QueryText(const std::string& sql) {
  ARROW_ASSIGN_OR_RAISE(Statement stmt, Prepare(sql));
  ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
  if (!row) return std::string();
  return stmt.Text(0);
}

int64_t Connection::LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
int64_t Connection::Changes() const { return sqlite3_changes64(db_); }

// ----------------------------------------------------------------------------------------- Transaction

arrow::Result<Transaction> Transaction::Begin(Connection* conn, Mode mode) {
  ARROW_RETURN_NOT_OK(conn->Exec(mode == Mode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED"));
  return Transaction(conn);
}

Transaction::Transaction(Transaction&& other) noexcept : conn_(std::exchange(other.conn_, nullptr)) {}

Transaction::~Transaction() {
  if (conn_ == nullptr) return;
  // Best effort: if ROLLBACK fails sqlite has already rolled back (or the connection is unusable).
  (void)conn_->Exec("ROLLBACK");
}

arrow::Status Transaction::Commit() {
  if (conn_ == nullptr) return arrow::Status::Invalid("transaction already finished");
  arrow::Status st = conn_->Exec("COMMIT");
  if (st.ok()) conn_ = nullptr;  // on failure the destructor rolls back
  return st;
}

}  // namespace mosaico::catalog::sqlite
