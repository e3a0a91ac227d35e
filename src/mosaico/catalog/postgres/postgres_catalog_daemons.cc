// PostgresCatalog: the daemon registry (table daemons, migration 5): one row per advertised daemon.
#include "mosaico/catalog/postgres/pg_conn.h"
#include "mosaico/catalog/postgres/postgres_catalog.h"

namespace mosaico::catalog {

using postgres::PgParams;
using postgres::PgPool;
using postgres::PgResult;

arrow::Status PostgresCatalog::HeartbeatDaemon(const std::string& uri, int64_t started_at_ns, int64_t now_ns) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  return conn
      ->Exec("INSERT INTO daemons (uri, started_at_ns, heartbeat_ns) VALUES ($1, $2, $3) "
             "ON CONFLICT (uri) DO UPDATE SET started_at_ns = excluded.started_at_ns, "
             "heartbeat_ns = excluded.heartbeat_ns",
             PgParams::Of(uri, started_at_ns, now_ns))
      .status();
}

arrow::Result<std::vector<DaemonRecord>> PostgresCatalog::ListLiveDaemons(int64_t since_ns) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec("SELECT uri, started_at_ns, heartbeat_ns FROM daemons "
                                                 "WHERE heartbeat_ns >= $1 ORDER BY uri",
                                                 PgParams::Of(since_ns)));
  std::vector<DaemonRecord> out;
  for (int r = 0; r < res.rows(); ++r) out.push_back({res.Text(r, 0), res.Int64(r, 1), res.Int64(r, 2)});
  return out;
}

arrow::Result<int64_t> PostgresCatalog::RemoveDaemons(const std::optional<std::string>& uri, int64_t before_ns) {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec("DELETE FROM daemons WHERE uri = $1 OR heartbeat_ns < $2",
                                                 PgParams::Of(uri.value_or(""), before_ns)));
  return res.affected();
}

}  // namespace mosaico::catalog
