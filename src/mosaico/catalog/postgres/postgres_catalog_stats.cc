// PostgresCatalog: figures for monitoring (catalog/catalog.h, CatalogStats).
//
// The counts are maintained by triggers in the transaction of every change (schema version 6, pg_migrations.cc:
// catalog_counts and job_counts, 16 shard rows per count), so a scrape sums a few rows whatever the size of the
// catalog or of the queue. One connection of the pool, one round trip per query.
#include "mosaico/catalog/postgres/pg_conn.h"
#include "mosaico/catalog/postgres/postgres_catalog.h"

namespace mosaico::catalog {

using postgres::PgPool;
using postgres::PgResult;

arrow::Result<CatalogStats> PostgresCatalog::GetStats() {
  ARROW_ASSIGN_OR_RAISE(PgPool::Lease conn, pool_->Acquire());
  CatalogStats stats;
  ARROW_ASSIGN_OR_RAISE(
      PgResult counts,
      conn->Exec("SELECT (SELECT coalesce(sum(value), 0) FROM catalog_counts WHERE name = 'sequences'), "
                 "(SELECT coalesce(sum(value), 0) FROM catalog_counts WHERE name = 'topics')"));
  if (counts.rows() > 0) {
    stats.sequences = counts.Int64(0, 0);
    stats.topics = counts.Int64(0, 1);
  }
  ARROW_ASSIGN_OR_RAISE(
      PgResult jobs,
      conn->Exec("SELECT kind, state, sum(value) FROM job_counts WHERE state IN ('pending', 'running', 'failed') "
                 "GROUP BY kind, state HAVING sum(value) > 0 ORDER BY kind, state"));
  for (int r = 0; r < jobs.rows(); ++r) {
    stats.jobs.push_back({jobs.Text(r, 0), ParseJobState(jobs.Text(r, 1)), jobs.Int64(r, 2)});
  }
  return stats;
}

}  // namespace mosaico::catalog
