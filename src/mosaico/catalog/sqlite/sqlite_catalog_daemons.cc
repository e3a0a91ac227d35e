// SqliteCatalog: the daemon registry (table daemons, migration 7): one row per advertised daemon.
#include "mosaico/catalog/sqlite/sqlite_catalog.h"
#include "mosaico/catalog/sqlite/sqlite_util.h"

namespace mosaico::catalog {

using sqlite::Statement;

arrow::Status SqliteCatalog::HeartbeatDaemon(const std::string& uri, int64_t started_at_ns, int64_t now_ns) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Statement stmt,
                        conn_->Prepare("INSERT INTO daemons (uri, started_at_ns, heartbeat_ns) VALUES (?, ?, ?) "
                                       "ON CONFLICT (uri) DO UPDATE SET started_at_ns = excluded.started_at_ns, "
                                       "heartbeat_ns = excluded.heartbeat_ns"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(uri, started_at_ns, now_ns));
  return stmt.Run();
}

arrow::Result<std::vector<DaemonRecord>> SqliteCatalog::ListLiveDaemons(int64_t since_ns) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Statement stmt, conn_->Prepare("SELECT uri, started_at_ns, heartbeat_ns FROM daemons "
                                                       "WHERE heartbeat_ns >= ? ORDER BY uri"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(since_ns));
  std::vector<DaemonRecord> out;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
    if (!row) break;
    out.push_back({stmt.Text(0), stmt.Int64(1), stmt.Int64(2)});
  }
  return out;
}

arrow::Result<int64_t> SqliteCatalog::RemoveDaemons(const std::optional<std::string>& uri, int64_t before_ns) {
  std::lock_guard lock(mu_);
  ARROW_ASSIGN_OR_RAISE(Statement stmt, conn_->Prepare("DELETE FROM daemons WHERE uri = ? OR heartbeat_ns < ?"));
  ARROW_RETURN_NOT_OK(stmt.BindAll(uri.value_or(""), before_ns));
  ARROW_RETURN_NOT_OK(stmt.Run());
  return conn_->Changes();
}

}  // namespace mosaico::catalog
