#include "mosaico/catalog/postgres/pg_conn.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <utility>

namespace mosaico::catalog::postgres {
namespace {

constexpr char kPgErrorTypeId[] = "mosaico::catalog::postgres::PgErrorDetail";

std::string Trimmed(const char* msg) {
  std::string s = msg != nullptr ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

arrow::Status ErrorOf(std::string context, std::string message, std::string sqlstate = "",
                      std::string constraint = "", std::string sql = "") {
  return arrow::Status(arrow::StatusCode::IOError, "catalog (postgresql) " + context + ": " + message,
                       std::make_shared<PgErrorDetail>(std::move(sqlstate), std::move(constraint), std::move(sql)));
}

const PgErrorDetail* DetailOf(const arrow::Status& st) {
  const auto& detail = st.detail();
  if (!detail || std::string(detail->type_id()) != kPgErrorTypeId) return nullptr;
  return static_cast<const PgErrorDetail*>(detail.get());
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 0;
}

// OK when `res` succeeded; otherwise clears it and returns the error. With `clear`, clears it either way.
arrow::Status CheckResult(PGconn* conn, PGresult* res, const std::string& sql, bool clear = false) {
  const ExecStatusType status = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    if (clear) PQclear(res);
    return arrow::Status::OK();
  }
  std::string msg = Trimmed(res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn));
  if (msg.empty()) msg = Trimmed(PQerrorMessage(conn));
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const char* constraint = res != nullptr ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : nullptr;
  arrow::Status st = ErrorOf("statement", msg, state != nullptr ? state : "", constraint != nullptr ? constraint : "",
                             sql.substr(0, 200));
  if (res != nullptr) PQclear(res);
  return st;
}

}  // namespace

const char* PgErrorDetail::type_id() const { return kPgErrorTypeId; }
std::string PgErrorDetail::ToString() const {
  return "postgresql SQLSTATE " + sqlstate_ + (sql_.empty() ? std::string() : " in [" + sql_ + "]");
}

std::string PgSqlState(const arrow::Status& st) {
  const PgErrorDetail* d = DetailOf(st);
  return d != nullptr ? d->sqlstate() : "";
}
std::string PgConstraint(const arrow::Status& st) {
  const PgErrorDetail* d = DetailOf(st);
  return d != nullptr ? d->constraint() : "";
}
bool IsPgUniqueViolation(const arrow::Status& st) { return PgSqlState(st) == "23505"; }

// ------------------------------------------------------------------------------------------- PgParams

PgParams& PgParams::Add(int64_t v) {
  values_.emplace_back(std::to_string(v));
  formats_.push_back(0);
  return *this;
}
PgParams& PgParams::Add(bool v) {
  values_.emplace_back(v ? "true" : "false");
  formats_.push_back(0);
  return *this;
}
PgParams& PgParams::Add(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);  // shortest round-trip form
  std::string s(buf, ec == std::errc() ? end : buf);
  if (s == "inf") s = "Infinity";
  if (s == "-inf") s = "-Infinity";
  if (s == "nan" || s == "-nan") s = "NaN";
  values_.emplace_back(std::move(s));
  formats_.push_back(0);
  return *this;
}
PgParams& PgParams::Add(std::string_view v) {
  values_.emplace_back(std::string(v));
  formats_.push_back(0);
  return *this;
}
PgParams& PgParams::Add(Bytes v) {
  values_.emplace_back(std::string(v.bytes));
  formats_.push_back(1);
  return *this;
}
PgParams& PgParams::Add(std::nullopt_t) {
  values_.emplace_back(std::nullopt);
  formats_.push_back(0);
  return *this;
}

// ------------------------------------------------------------------------------------------- PgResult

PgResult& PgResult::operator=(PgResult&& o) noexcept {
  if (this != &o) {
    if (res_ != nullptr) PQclear(res_);
    res_ = std::exchange(o.res_, nullptr);
  }
  return *this;
}
PgResult::~PgResult() {
  if (res_ != nullptr) PQclear(res_);
}

int PgResult::rows() const { return res_ != nullptr ? PQntuples(res_) : 0; }
int64_t PgResult::affected() const {
  const char* n = res_ != nullptr ? PQcmdTuples(res_) : "";
  return (n == nullptr || *n == '\0') ? 0 : std::strtoll(n, nullptr, 10);
}
bool PgResult::IsNull(int row, int col) const { return PQgetisnull(res_, row, col) != 0; }
std::string PgResult::Text(int row, int col) const {
  return std::string(PQgetvalue(res_, row, col), static_cast<size_t>(PQgetlength(res_, row, col)));
}
int64_t PgResult::Int64(int row, int col) const { return std::strtoll(PQgetvalue(res_, row, col), nullptr, 10); }
double PgResult::Double(int row, int col) const { return std::strtod(PQgetvalue(res_, row, col), nullptr); }
bool PgResult::Bool(int row, int col) const { return PQgetvalue(res_, row, col)[0] == 't'; }
std::string PgResult::Bytes(int row, int col) const {
  const char* v = PQgetvalue(res_, row, col);
  const size_t n = static_cast<size_t>(PQgetlength(res_, row, col));
  if (n < 2 || v[0] != '\\' || v[1] != 'x') return std::string(v, n);  // not hex output (bytea_output=escape)
  std::string out;
  out.reserve((n - 2) / 2);
  for (size_t i = 2; i + 1 < n; i += 2) out.push_back(static_cast<char>(HexValue(v[i]) * 16 + HexValue(v[i + 1])));
  return out;
}
std::optional<int64_t> PgResult::OptInt64(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return Int64(row, col);
}
std::optional<double> PgResult::OptDouble(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return Double(row, col);
}
std::optional<std::string> PgResult::OptText(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return Text(row, col);
}
std::optional<std::string> PgResult::OptBytes(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return Bytes(row, col);
}

// --------------------------------------------------------------------------------------- PgConnection

arrow::Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (conn == nullptr) return ErrorOf("connect", "out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return ErrorOf("connect", msg);  // never echoes the URL: it may hold a password
  }
  auto out = std::unique_ptr<PgConnection>(new PgConnection(conn));
  // Quiet NOTICEs (e.g. "relation already exists, skipping") and a bounded wait on row locks. No parallel
  // workers: catalog statements are short, and at 100k sequences the planner's parallel sequential scans
  // displaced the GIN-index plans of metadata queries (a 1%-selective query took 3x longer). Index probes
  // priced as the cached reads they are (random_page_cost 1.1 instead of the disk-era 4): with 4, a query answer
  // of 100k topics (10k sequences by name) was joined by a sequential scan of all 1M topics and a hash (290-310 ms
  // in psql) instead of the topics' (sequence_id, name) index (100-180 ms); the cost of a statement then follows
  // its answer, not the catalog's size. For the same reason no prefetch of a bitmap scan's heap pages
  // (effective_io_concurrency 0): on cached pages it is a second buffer-table lookup per page (1M topics, a 19880-
  // topic answer from the metadata GIN index: 8 % of the statement's CPU), on pages only in the OS cache a wasted
  // posix_fadvise; it helps only a catalog read from disk.
  ARROW_RETURN_NOT_OK(out->ExecScript(
      "SET client_min_messages = warning; SET lock_timeout = '30s'; SET max_parallel_workers_per_gather = 0; "
      "SET random_page_cost = 1.1; SET effective_io_concurrency = 0"));
  return out;
}

PgConnection::~PgConnection() { PQfinish(conn_); }

namespace {

bool PrepareDisabled() {
  static const bool off = [] {
    const char* env = std::getenv("MOSAICOD_PG_NO_PREPARE");
    return env != nullptr && std::string(env) == "1";
  }();
  return off;
}

}  // namespace

PgParams::Wire PgParams::ToWire() const {
  Wire wire;
  wire.values.reserve(values_.size());
  wire.lengths.reserve(values_.size());
  for (const auto& v : values_) {
    wire.values.push_back(v ? v->data() : nullptr);
    wire.lengths.push_back(v ? static_cast<int>(v->size()) : 0);
  }
  wire.formats = formats_.data();
  return wire;
}

arrow::Result<PgResult> PgConnection::Exec(const std::string& sql, const PgParams& params) {
  if (PrepareDisabled()) return ExecUnprepared(sql, params);
  auto known = prepared_.find(sql);
  if (known == prepared_.end()) {
    // First run of this text on this connection (or the cache is full): unprepared, remembered.
    if (prepared_.size() >= kMaxPreparedStatements || seen_.insert(sql).second) {
      if (seen_.size() > kMaxSeenStatements) seen_.clear();
      return ExecUnprepared(sql, params);
    }
    seen_.erase(sql);
    std::string name = "mosaico_" + std::to_string(next_statement_++);
    ARROW_RETURN_NOT_OK(CheckResult(conn_, PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr), sql,
                                    /*clear=*/true));
    known = prepared_.emplace(sql, std::move(name)).first;
  }
  const PgParams::Wire wire = params.ToWire();
  PGresult* raw = PQexecPrepared(conn_, known->second.c_str(), wire.count(), wire.values.data(), wire.lengths.data(),
                                 wire.formats, 0);
  arrow::Status st = CheckResult(conn_, raw, sql);
  if (!st.ok() && PgSqlState(st) == "0A000" && idle()) {
    // "cached plan must not change result type" (a table the text reads changed shape): forget the statement
    // (its name stays taken on the server) and run the text afresh, once.
    prepared_.erase(known);
    return ExecUnprepared(sql, params);
  }
  ARROW_RETURN_NOT_OK(st);
  return PgResult(raw);
}

arrow::Result<PgResult> PgConnection::ExecUnprepared(const std::string& sql, const PgParams& params) {
  const PgParams::Wire wire = params.ToWire();
  PGresult* raw = PQexecParams(conn_, sql.c_str(), wire.count(), nullptr, wire.values.data(), wire.lengths.data(),
                               wire.formats, 0);
  ARROW_RETURN_NOT_OK(CheckResult(conn_, raw, sql));
  return PgResult(raw);
}

arrow::Status PgConnection::ExecScript(const std::string& sql) {
  return CheckResult(conn_, PQexec(conn_, sql.c_str()), sql, /*clear=*/true);
}

bool PgConnection::healthy() const { return PQstatus(conn_) == CONNECTION_OK; }
bool PgConnection::idle() const { return PQtransactionStatus(conn_) == PQTRANS_IDLE; }
bool PgConnection::server_utf8() const {
  const char* encoding = PQparameterStatus(conn_, "server_encoding");
  return encoding != nullptr && std::string_view(encoding) == "UTF8";
}

// -------------------------------------------------------------------------------------- PgTransaction

arrow::Result<PgTransaction> PgTransaction::Begin(PgConnection* conn, std::string_view mode) {
  ARROW_RETURN_NOT_OK(conn->ExecScript(mode.empty() ? std::string("BEGIN") : "BEGIN " + std::string(mode)));
  return PgTransaction(conn);
}

PgTransaction::~PgTransaction() {
  if (conn_ != nullptr) (void)conn_->ExecScript("ROLLBACK");
}

arrow::Status PgTransaction::Commit() {
  if (conn_ == nullptr) return arrow::Status::Invalid("transaction already finished");
  arrow::Status st = conn_->ExecScript("COMMIT");
  if (st.ok()) conn_ = nullptr;
  return st;
}

// --------------------------------------------------------------------------------------------- PgPool

PgPool::~PgPool() = default;  // every Lease must be gone (the catalog outlives its calls)

arrow::Result<PgPool::Lease> PgPool::Acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
  if (!idle_.empty()) {
    std::unique_ptr<PgConnection> conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(conn));
  }
  ++open_;  // reserve the slot, connect without holding the mutex
  lock.unlock();
  auto conn = PgConnection::Connect(url_);
  if (!conn.ok()) {
    lock.lock();
    --open_;
    cv_.notify_one();
    return conn.status();
  }
  return Lease(this, std::move(*conn));
}

void PgPool::Release(std::unique_ptr<PgConnection> conn) {
  if (conn->healthy() && !conn->idle()) (void)conn->ExecScript("ROLLBACK");  // never hand out an open transaction
  const bool keep = conn->healthy() && conn->idle();
  if (!keep) conn.reset();  // closed outside the mutex
  std::lock_guard lock(mu_);
  if (keep) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
  cv_.notify_one();
}

PgPool::Lease::~Lease() {
  if (conn_ != nullptr) pool_->Release(std::move(conn_));
}

}  // namespace mosaico::catalog::postgres
