// Thin RAII layer over the sqlite3 C API, used only inside catalog/sqlite/.
//
//  - Connection owns one sqlite3* and a cache of prepared statements keyed by SQL text. It is NOT
//    thread-safe: the owner (SqliteCatalog) serializes every use behind its own mutex.
//  - Statement borrows a prepared statement for one execution; its destructor resets it and clears its
//    bindings so the cache can hand it out again. Values only ever reach SQL through Bind* (never by
//    string concatenation).
//  - Transaction runs BEGIN (IMMEDIATE for writes, DEFERRED for reads); its destructor rolls back unless
//    Commit() succeeded, so an early `return` on error leaves the database untouched.
//  - Every sqlite failure becomes arrow::Status::IOError("catalog (sqlite) <context>: <sqlite3_errmsg>") carrying a
//    SqliteErrorDetail with the extended result code (see SqliteErrorCode()).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <arrow/result.h>
#include <arrow/status.h>

struct sqlite3;
struct sqlite3_stmt;

namespace mosaico::catalog::sqlite {

// Extended sqlite result code attached to IOError statuses produced here, and the SQL text of the failed
// statement. The SQL is in the detail only: Status::ToString() (what the daemon logs) shows it, Status::message()
// (what a client is sent, server/status_mapping.h) does not.
class SqliteErrorDetail : public arrow::StatusDetail {
 public:
  explicit SqliteErrorDetail(int code, std::string sql = {}) : code_(code), sql_(std::move(sql)) {}
  const char* type_id() const override;
  std::string ToString() const override;
  int code() const { return code_; }
  const std::string& sql() const { return sql_; }

 private:
  int code_;
  std::string sql_;
};

// The extended sqlite result code carried by `st`, or 0 when it carries none.
int SqliteErrorCode(const arrow::Status& st);
// True when `st` failed on a UNIQUE or PRIMARY KEY constraint.
bool IsUniqueViolation(const arrow::Status& st);

// Marks a value to be bound as BLOB rather than TEXT.
struct Blob {
  std::string_view bytes;
};

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt, bool* in_use, bool owned);
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in sqlite3_bind_*.
  arrow::Status Bind(int index, int64_t value);
  arrow::Status Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  arrow::Status Bind(int index, double value);
  arrow::Status Bind(int index, std::string_view text);
  arrow::Status Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  arrow::Status Bind(int index, const std::string& text) { return Bind(index, std::string_view(text)); }
  arrow::Status Bind(int index, Blob blob);
  arrow::Status Bind(int index, std::nullopt_t);
  template <typename T>
  arrow::Status Bind(int index, const std::optional<T>& value) {
    return value.has_value() ? Bind(index, *value) : Bind(index, std::nullopt);
  }

  // Binds `values` to parameters 1..N in order.
  template <typename... Ts>
  arrow::Status BindAll(const Ts&... values) {
    int index = 0;
    arrow::Status st;
    ((st.ok() ? (st = Bind(++index, values), 0) : 0), ...);
    return st;
  }

  // Advances one row: true when a row is available, false when the statement is done.
  arrow::Result<bool> Step();
  // Executes a statement that returns no rows (INSERT/UPDATE/DELETE/DDL).
  arrow::Status Run();

  // Columns are 0-based, as in sqlite3_column_*.
  bool IsNull(int col) const;
  int64_t Int64(int col) const;
  double Double(int col) const;
  std::string Text(int col) const;
  std::string BlobBytes(int col) const;
  std::optional<int64_t> OptInt64(int col) const;
  std::optional<double> OptDouble(int col) const;
  std::optional<std::string> OptText(int col) const;
  std::optional<std::string> OptBlob(int col) const;

 private:
  arrow::Status Check(int rc, const char* what) const;

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_;  // cache slot flag, null when owned
  bool owned_;    // finalize on destruction (cache slot was busy)
};

class Connection {
 public:
  // Opens (creating if missing) the database file at `path`.
  static arrow::Result<std::unique_ptr<Connection>> Open(const std::string& path);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // A prepared statement for `sql` (one statement, '?' parameters), from the cache when free.
  arrow::Result<Statement> Prepare(const std::string& sql);
  // Runs one or more parameterless statements (DDL, PRAGMA).
  arrow::Status Exec(const std::string& sql);
  // Runs a single-valued PRAGMA (or SELECT) and returns its first column as text.
  arrow::Result<std::string> QueryText(const std::string& sql);

  int64_t LastInsertId() const;
  int64_t Changes() const;  // rows touched by the last INSERT/UPDATE/DELETE
  sqlite3* handle() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };

  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<CachedStatement>> cache_;
};

class Transaction {
 public:
  enum class Mode { kRead, kWrite };
  static arrow::Result<Transaction> Begin(Connection* conn, Mode mode);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  arrow::Status Commit();

 private:
  explicit Transaction(Connection* conn) : conn_(conn) {}
  Connection* conn_;  // null once committed or rolled back
};

// IOError for a failed sqlite call: "catalog (sqlite) <context>: <errmsg>" with the extended code and `sql` (the
// statement's text, if any) attached as SqliteErrorDetail -- never in the message.
arrow::Status SqliteError(sqlite3* db, int rc, std::string_view context, std::string_view sql = {});

}  // namespace mosaico::catalog::sqlite
