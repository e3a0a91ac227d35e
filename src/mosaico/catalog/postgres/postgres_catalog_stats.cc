// PostgresCatalog: figures for monitoring (catalog/catalog.h, CatalogStats).
//
// The record counts are index-only scans of the primary keys once autovacuum has set the visibility map; the job
// counts walk the jobs_by_state index over the pending, running and failed rows only (the queue, plus failed jobs
// until the GC prunes them), never the history of done jobs. One connection of the pool, one round trip per query.
#include "mosaico/catalog/postgres/pg_conn.h"
#include "mosaico/catalog/postgres/postgres_catalog.h"

namespace mosaico::catalog {

using postgres::PgPool;
using postgres::PgResult;

arrow::Result<CatalogStats> PostgresCatalog::GetStats() {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  CatalogStats stats;
  ARROW_ASSIGN_OR_RAISE(PgResult counts,
                        conn->Exec("SELECT (SELECT count(*) FROM sequences), (SELECT count(*) FROM topics)"));
  if (counts.rows() > 0) {
    stats.sequences = counts.Int64(0, 0);
    stats.topics = counts.Int64(0, 1);
  }
  ARROW_ASSIGN_OR_RAISE(PgResult jobs,
                        conn->Exec("SELECT kind, state, count(*) FROM jobs WHERE state IN ('pending', 'running', "
                                   "'failed') GROUP BY kind, state ORDER BY kind, state"));
  for (int r = 0; r < jobs.rows(); ++r) {
    stats.jobs.push_back({jobs.Text(r, 0), ParseJobState(jobs.Text(r, 1)), jobs.Int64(r, 2)});
  }
  return stats;
}

}  // namespace mosaico::catalog
