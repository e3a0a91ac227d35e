// Backfills of PostgreSQL catalog migrations over an existing catalog: a statement run over a table's ids in ranges,
// in the migration's transaction, with its progress logged (a backfill's cost follows the catalog's size once, and
// it says how far it is).
#pragma once

#include <cstdint>
#include <string>

#include <arrow/status.h>

#include "mosaico/catalog/postgres/pg_conn.h"

namespace mosaico::catalog::postgres {

// Runs `statement` ($1, $2: an inclusive id range) over `table`'s ids (min..max) in ranges of `step`, logging
// `event` with done/total every 5 s and, when finished, with its duration in seconds. Nothing is logged for an
// empty table.
arrow::Status BackfillByIdRanges(PgConnection* conn, const std::string& table, int64_t step, const char* event,
                                 const std::string& statement);

}  // namespace mosaico::catalog::postgres
