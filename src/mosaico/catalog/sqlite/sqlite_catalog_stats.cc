// SqliteCatalog: figures for monitoring (catalog/catalog.h, CatalogStats).
//
// count(*) without a WHERE clause is answered by SQLite from the smallest index of the table (no row decoded); the
// job counts walk the jobs_by_state index over the pending, running and failed rows only (the queue, plus failed
// jobs until the GC prunes them), never the history of done jobs.
#include "mosaico/catalog/sqlite/sqlite_catalog.h"
#include "mosaico/catalog/sqlite/sqlite_util.h"

namespace mosaico::catalog {

using sqlite::Statement;

arrow::Result<CatalogStats> SqliteCatalog::GetStats() {
  std::lock_guard lock(mu_);
  CatalogStats stats;
  {
    ARROW_ASSIGN_OR_RAISE(Statement stmt,
                          conn_->Prepare("SELECT (SELECT count(*) FROM sequences), (SELECT count(*) FROM topics)"));
    ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
    if (row) {
      stats.sequences = stmt.Int64(0);
      stats.topics = stmt.Int64(1);
    }
  }
  ARROW_ASSIGN_OR_RAISE(Statement jobs,
                        conn_->Prepare("SELECT kind, state, count(*) FROM jobs WHERE state IN ('pending', 'running', "
                                       "'failed') GROUP BY kind, state ORDER BY kind, state"));
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, jobs.Step());
    if (!row) break;
    stats.jobs.push_back({jobs.Text(0), ParseJobState(jobs.Text(1)), jobs.Int64(2)});
  }
  return stats;
}

}  // namespace mosaico::catalog
