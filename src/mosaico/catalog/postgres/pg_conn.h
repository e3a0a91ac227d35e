// Thin RAII layer over libpq, used only inside catalog/postgres/.
//
//  - PgResult owns one PGresult (PQclear on destruction). Results are in text format; Int64/Double/Bytes decode
//    them (bytea arrives as "\x<hex>").
//  - PgParams collects the parameters of one statement. Values only ever reach SQL through PQexecParams ($1..$n),
//    never by string concatenation. Bytes are sent in binary format (bytea); everything else as text.
//  - PgConnection owns one PGconn. NOT thread-safe: one user at a time (the pool hands it out exclusively).
//    Exec() keeps a per-connection cache of named prepared statements: the second time a statement text runs on
//    a connection it is prepared (PQprepare) and from then on executed by name (PQexecPrepared), so the server
//    no longer parses and analyzes it, and after five executions PostgreSQL may reuse a generic plan
//    (plan_cache_mode = auto keeps a custom plan when the generic one is estimated costlier). A statement runs
//    once unprepared first, so one-off texts (DDL, migrations) never occupy the cache; at most
//    kMaxPreparedStatements texts are prepared per connection (then the rest run unprepared). Statements whose
//    text embeds a query shape built per request, and whose best plan depends on the parameter values (FindTopics'
//    metadata predicates), use ExecUnprepared(). MOSAICOD_PG_NO_PREPARE=1 turns the cache off (benchmarks).
//  - PgTransaction runs BEGIN [modes] in one round trip; its destructor rolls back unless Commit() succeeded.
//  - PgPool: at most `size` connections, opened lazily; Acquire() blocks on a condition variable while all are
//    in use. A connection found broken on release is closed and replaced by the next Acquire().
//  - Every failure becomes arrow::Status::IOError("catalog (postgresql) <context>: <message>") carrying a PgErrorDetail
//    with the SQLSTATE and the violated constraint's name (see PgSqlState, IsPgUniqueViolation).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <arrow/result.h>
#include <arrow/status.h>

struct pg_conn;
struct pg_result;

namespace mosaico::catalog::postgres {

class PgErrorDetail : public arrow::StatusDetail {
 public:
  // `sql`: the failed statement's text (at most 200 bytes), shown by ToString() (logs), never in the message
  // a client is sent.
  PgErrorDetail(std::string sqlstate, std::string constraint, std::string sql = {})
      : sqlstate_(std::move(sqlstate)), constraint_(std::move(constraint)), sql_(std::move(sql)) {}
  const char* type_id() const override;
  std::string ToString() const override;
  const std::string& sqlstate() const { return sqlstate_; }
  const std::string& constraint() const { return constraint_; }

 private:
  std::string sqlstate_;
  std::string constraint_;
  std::string sql_;
};

// SQLSTATE carried by `st` ("" when none); the constraint named by the error ("" when none).
std::string PgSqlState(const arrow::Status& st);
std::string PgConstraint(const arrow::Status& st);
// SQLSTATE 23505 (unique_violation).
bool IsPgUniqueViolation(const arrow::Status& st);

struct Bytes {
  std::string_view bytes;
};

class PgParams {
 public:
  PgParams& Add(int64_t v);
  PgParams& Add(int32_t v) { return Add(static_cast<int64_t>(v)); }
  PgParams& Add(bool v);
  PgParams& Add(double v);
  PgParams& Add(std::string_view v);
  PgParams& Add(const std::string& v) { return Add(std::string_view(v)); }
  PgParams& Add(const char* v) { return Add(std::string_view(v)); }
  PgParams& Add(Bytes v);
  PgParams& Add(std::nullopt_t);
  template <typename T>
  PgParams& Add(const std::optional<T>& v) {
    return v ? Add(*v) : Add(std::nullopt);
  }
  template <typename... Ts>
  static PgParams Of(const Ts&... values) {
    PgParams p;
    (p.Add(values), ...);
    return p;
  }
  size_t size() const { return values_.size(); }

 private:
  friend class PgConnection;
  // libpq's view of the parameters: pointers into this object (valid while it lives and is unchanged).
  struct Wire {
    std::vector<const char*> values;
    std::vector<int> lengths;
    const int* formats = nullptr;
    int count() const { return static_cast<int>(values.size()); }
  };
  Wire ToWire() const;

  std::vector<std::optional<std::string>> values_;
  std::vector<int> formats_;
};

class PgResult {
 public:
  explicit PgResult(pg_result* res = nullptr) : res_(res) {}
  PgResult(PgResult&& o) noexcept : res_(o.res_) { o.res_ = nullptr; }
  PgResult& operator=(PgResult&& o) noexcept;
  PgResult(const PgResult&) = delete;
  ~PgResult();

  int rows() const;
  int64_t affected() const;  // rows touched by INSERT/UPDATE/DELETE
  bool IsNull(int row, int col) const;
  std::string Text(int row, int col) const;
  int64_t Int64(int row, int col) const;
  double Double(int row, int col) const;
  bool Bool(int row, int col) const;  // 't' / 'f'
  std::string Bytes(int row, int col) const;  // bytea
  std::optional<int64_t> OptInt64(int row, int col) const;
  std::optional<double> OptDouble(int row, int col) const;
  std::optional<std::string> OptText(int row, int col) const;
  std::optional<std::string> OptBytes(int row, int col) const;

 private:
  pg_result* res_;
};

class PgConnection {
 public:
  // Connects with a libpq connection URI ("postgresql://user@host:port/db").
  static arrow::Result<std::unique_ptr<PgConnection>> Connect(const std::string& url);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // One statement with $n parameters; a text seen before on this connection runs as a prepared statement.
  arrow::Result<PgResult> Exec(const std::string& sql, const PgParams& params = {});
  // One statement with $n parameters, never prepared (planned for these parameter values every time).
  arrow::Result<PgResult> ExecUnprepared(const std::string& sql, const PgParams& params = {});
  // One or more parameterless statements (DDL, BEGIN/COMMIT).
  arrow::Status ExecScript(const std::string& sql);
  bool healthy() const;
  bool idle() const;  // not inside a transaction
  // The database's encoding is UTF8 (server_encoding, reported by the server when the connection opened; fixed for
  // the life of a database): text holds valid UTF-8 only, and a regex character is a code point.
  bool server_utf8() const;
  size_t prepared_statements() const { return prepared_.size(); }  // tests

  static constexpr size_t kMaxPreparedStatements = 256;
  static constexpr size_t kMaxSeenStatements = 1024;  // texts run once, remembered (then forgotten all at once)

 private:
  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  pg_conn* conn_;
  std::unordered_map<std::string, std::string> prepared_;  // text -> statement name
  std::unordered_set<std::string> seen_;                   // texts run once, unprepared
  uint64_t next_statement_ = 0;
};

class PgTransaction {
 public:
  // `mode`: transaction modes sent with BEGIN in the same round trip (e.g. "ISOLATION LEVEL REPEATABLE READ").
  static arrow::Result<PgTransaction> Begin(PgConnection* conn, std::string_view mode = {});
  PgTransaction(PgTransaction&& o) noexcept : conn_(o.conn_) { o.conn_ = nullptr; }
  PgTransaction& operator=(PgTransaction&&) = delete;
  ~PgTransaction();
  arrow::Status Commit();

 private:
  explicit PgTransaction(PgConnection* conn) : conn_(conn) {}
  PgConnection* conn_;
};

class PgPool {
 public:
  PgPool(std::string url, size_t size) : url_(std::move(url)), size_(size) {}
  ~PgPool();

  class Lease {
   public:
    Lease(PgPool* pool, std::unique_ptr<PgConnection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& o) noexcept = default;
    ~Lease();
    PgConnection* operator->() const { return conn_.get(); }
    PgConnection* get() const { return conn_.get(); }

   private:
    PgPool* pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  arrow::Result<Lease> Acquire();

 private:
  void Release(std::unique_ptr<PgConnection> conn);

  const std::string url_;
  const size_t size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConnection>> idle_;  // guarded by mu_
  size_t open_ = 0;                                  // connections created and not closed; guarded by mu_
};

}  // namespace mosaico::catalog::postgres
