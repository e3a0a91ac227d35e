// SqliteCatalog: API keys (table `api_keys` of migration 4; semantics in catalog/catalog.h, ApiKeyRecord).
// Each method is one transaction; the writers take the write lock up front.
#include "mosaico/catalog/sqlite/sqlite_catalog.h"
#include "mosaico/catalog/sqlite/sqlite_util.h"
#include "mosaico/core/errors.h"

namespace mosaico::catalog {

using sqlite::Connection;
using sqlite::Statement;
using sqlite::Transaction;

namespace {

constexpr char kSelectKey[] =
    "SELECT fingerprint, token_hash, salt, permissions, description, created_at_ns, expires_at_ns, revoked_at_ns "
    "FROM api_keys";

ApiKeyRecord ReadKey(const Statement& row) {
  ApiKeyRecord k;
  k.fingerprint = row.Text(0);
  k.token_hash = row.Text(1);
  k.salt = row.Text(2);
  k.permissions = static_cast<uint8_t>(row.Int64(3));
  k.description = row.Text(4);
  k.created_at_ns = row.Int64(5);
  k.expires_at_ns = row.OptInt64(6);
  k.revoked_at_ns = row.OptInt64(7);
  return k;
}

arrow::Result<ApiKeyRecord> FindKey(Connection* conn, const std::string& fingerprint) {
  ARROW_ASSIGN_OR_RAISE(Statement stmt, conn->Prepare(std::string(kSelectKey) + " WHERE fingerprint = ?"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(fingerprint));
  ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
  if (!row) return NotFound("API key '" + fingerprint + "' not found");
  return ReadKey(stmt);
}

}  // namespace

arrow::Status SqliteCatalog::CreateApiKey(const ApiKeyRecord& key) {
  ARROW_RETURN_NOT_OK(ValidateApiKeyRecord(key));
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kWrite));
  {
    ARROW_ASSIGN_OR_RAISE(
        Statement insert,
        conn_->Prepare("INSERT INTO api_keys (fingerprint, token_hash, salt, permissions, description, created_at_ns, "
                       "expires_at_ns, revoked_at_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    ARROW_RETURN_NOT_OK(insert.BindAll(key.fingerprint, key.token_hash, key.salt, static_cast<int64_t>(key.permissions), key.description,
                                       key.created_at_ns, key.expires_at_ns, key.revoked_at_ns));
    auto st = insert.Run();
    if (sqlite::IsUniqueViolation(st)) return AlreadyExists("API key '" + key.fingerprint + "' already exists");
    ARROW_RETURN_NOT_OK(st);
  }
  return txn.Commit();
}

arrow::Result<ApiKeyRecord> SqliteCatalog::GetApiKey(const std::string& fingerprint) {
  std::lock_guard lock(mu_);
  return FindKey(conn_.get(), fingerprint);
}

arrow::Result<std::vector<ApiKeyRecord>> SqliteCatalog::ListApiKeys() {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Statement stmt,
                        conn_->Prepare(std::string(kSelectKey) + " ORDER BY created_at_ns, fingerprint"));
  std::vector<ApiKeyRecord> out;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
    if (!row) break;
    out.push_back(ReadKey(stmt));
  }
  return out;
}

arrow::Result<ApiKeyRecord> SqliteCatalog::RevokeApiKey(const std::string& fingerprint, int64_t revoked_at_ns) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kWrite));
  {
    ARROW_ASSIGN_OR_RAISE(Statement update,
                          conn_->Prepare("UPDATE api_keys SET revoked_at_ns = ? "
                                         "WHERE fingerprint = ? AND revoked_at_ns IS NULL"));
    ARROW_RETURN_NOT_OK(update.BindAll(revoked_at_ns, fingerprint));
    ARROW_RETURN_NOT_OK(update.Run());
  }
  ARROW_ASSIGN_OR_RAISE(auto key, FindKey(conn_.get(), fingerprint));
  ARROW_RETURN_NOT_OK(txn.Commit());
  return key;
}

arrow::Status SqliteCatalog::DeleteApiKey(const std::string& fingerprint) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn_.get(), Transaction::Mode::kWrite));
  {
    ARROW_ASSIGN_OR_RAISE(Statement del, conn_->Prepare("DELETE FROM api_keys WHERE fingerprint = ?"));
    ARROW_RETURN_NOT_OK(del.BindAll(fingerprint));
    ARROW_RETURN_NOT_OK(del.Run());
  }
  if (conn_->Changes() == 0) return NotFound("API key '" + fingerprint + "' not found");
  return txn.Commit();
}

}  // namespace mosaico::catalog
