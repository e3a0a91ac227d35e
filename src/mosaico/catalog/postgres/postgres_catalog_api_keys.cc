// PostgresCatalog: API keys (table `api_keys` of migration 2), mirroring catalog/sqlite/sqlite_catalog_api_keys.cc:
// same checks and error messages. Each method is a single statement (atomic on its own).
#include "mosaico/catalog/postgres/pg_conn.h"
#include "mosaico/catalog/postgres/postgres_catalog.h"
#include "mosaico/core/errors.h"

namespace mosaico::catalog {

using postgres::PgParams;
using postgres::PgPool;
using postgres::PgResult;

namespace {

constexpr char kKeyColumns[] =
    "fingerprint, token_hash, salt, permissions, description, created_at_ns, expires_at_ns, revoked_at_ns";

ApiKeyRecord ReadKey(const PgResult& res, int r) {
  ApiKeyRecord k;
  k.fingerprint = res.Text(r, 0);
  k.token_hash = res.Text(r, 1);
  k.salt = res.Text(r, 2);
  k.permissions = static_cast<uint8_t>(res.Int64(r, 3));
  k.description = res.Text(r, 4);
  k.created_at_ns = res.Int64(r, 5);
  k.expires_at_ns = res.OptInt64(r, 6);
  k.revoked_at_ns = res.OptInt64(r, 7);
  return k;
}

}  // namespace

arrow::Status PostgresCatalog::CreateApiKey(const ApiKeyRecord& key) {
  ARROW_RETURN_NOT_OK(ValidateApiKeyRecord(key));
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  auto res = conn->Exec("INSERT INTO api_keys (" + std::string(kKeyColumns) +
                            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                        PgParams::Of(key.fingerprint, key.token_hash, key.salt, static_cast<int64_t>(key.permissions), key.description,
                                     key.created_at_ns, key.expires_at_ns, key.revoked_at_ns));
  if (postgres::IsPgUniqueViolation(res.status())) {
    return AlreadyExists("API key '" + key.fingerprint + "' already exists");
  }
  return res.status();
}

arrow::Result<ApiKeyRecord> PostgresCatalog::GetApiKey(const std::string& fingerprint) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec("SELECT " + std::string(kKeyColumns) +
                                                     " FROM api_keys WHERE fingerprint = $1",
                                                 PgParams::Of(fingerprint)));
  if (res.rows() == 0) return NotFound("API key '" + fingerprint + "' not found");
  return ReadKey(res, 0);
}

arrow::Result<std::vector<ApiKeyRecord>> PostgresCatalog::ListApiKeys() {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec("SELECT " + std::string(kKeyColumns) +
                                                 " FROM api_keys ORDER BY created_at_ns, fingerprint COLLATE \"C\""));
  std::vector<ApiKeyRecord> out;
  out.reserve(res.rows());
  for (int r = 0; r < res.rows(); ++r) out.push_back(ReadKey(res, r));
  return out;
}

arrow::Result<ApiKeyRecord> PostgresCatalog::RevokeApiKey(const std::string& fingerprint, int64_t revoked_at_ns) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  // One statement: revoke if not yet revoked, and return the row as stored either way.
  ARROW_ASSIGN_OR_RAISE(
      PgResult res,
      conn->Exec("UPDATE api_keys SET revoked_at_ns = coalesce(revoked_at_ns, $2) WHERE fingerprint = $1 RETURNING " +
                     std::string(kKeyColumns),
                 PgParams::Of(fingerprint, revoked_at_ns)));
  if (res.rows() == 0) return NotFound("API key '" + fingerprint + "' not found");
  return ReadKey(res, 0);
}

arrow::Status PostgresCatalog::DeleteApiKey(const std::string& fingerprint) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgResult res,
                        conn->Exec("DELETE FROM api_keys WHERE fingerprint = $1", PgParams::Of(fingerprint)));
  if (res.affected() == 0) return NotFound("API key '" + fingerprint + "' not found");
  return arrow::Status::OK();
}

}  // namespace mosaico::catalog
