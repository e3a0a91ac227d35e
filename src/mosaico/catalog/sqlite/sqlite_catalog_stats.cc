// SqliteCatalog: figures for monitoring (catalog/catalog.h, CatalogStats).
//
// The counts are maintained by triggers in the transaction of every change (schema version 8, sqlite/migrations.cc:
// catalog_counts, job_counts), so a scrape reads a handful of rows whatever the size of the catalog or the queue
// (a count(*) over 300k topics took ~108 ms).
#include "mosaico/catalog/sqlite/sqlite_catalog.h"
#include "mosaico/catalog/sqlite/sqlite_util.h"

namespace mosaico::catalog {

using sqlite::Statement;

arrow::Result<CatalogStats> SqliteCatalog::GetStats() {
  std::lock_guard lock(mu_);
  CatalogStats stats;
  {
    ARROW_ASSIGN_OR_RAISE(Statement stmt,
                          conn_->Prepare("SELECT (SELECT value FROM catalog_counts WHERE name = 'sequences'), "
                                         "(SELECT value FROM catalog_counts WHERE name = 'topics')"));
    ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
    if (row) {
      stats.sequences = stmt.OptInt64(0).value_or(0);
      stats.topics = stmt.OptInt64(1).value_or(0);
    }
  }
  ARROW_ASSIGN_OR_RAISE(Statement jobs,
                        conn_->Prepare("SELECT kind, state, value FROM job_counts WHERE state IN ('pending', 'running', "
                                       "'failed') AND value > 0 ORDER BY kind, state"));
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool row, jobs.Step());
    if (!row) break;
    stats.jobs.push_back({jobs.Text(0), ParseJobState(jobs.Text(1)), jobs.Int64(2)});
  }
  return stats;
}

}  // namespace mosaico::catalog
