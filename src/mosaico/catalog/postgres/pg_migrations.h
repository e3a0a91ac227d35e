// Versioned schema of the PostgreSQL catalog: the same tables and uniqueness constraints as the SQLite catalog
// (catalog/sqlite/migrations.cc), in PostgreSQL types (BIGINT ids from identity columns, TEXT, BYTEA, BOOLEAN).
// user_metadata is kept verbatim as TEXT (the catalog returns it as received) with a generated JSONB copy
// (NULL when the text is not valid JSON) that queries prefilter on.
//
// Migrate() applies every missing version inside one transaction holding a transaction-scoped advisory lock, so
// several daemons starting together on one database migrate it exactly once. FailedPrecondition when the
// database has a newer version than this build knows.
#pragma once

#include <cstdint>

#include <arrow/status.h>

#include "mosaico/catalog/postgres/pg_conn.h"

namespace mosaico::catalog::postgres {

int64_t PgLatestSchemaVersion();
arrow::Status PgMigrate(PgConnection* conn);

}  // namespace mosaico::catalog::postgres
