// Versioned schema of the SQLite catalog.
//
// Contract:
//  - The table schema_migrations(version, description, applied_at_ns) records every migration applied.
//  - Migrate() applies, in one IMMEDIATE transaction, every migration newer than the recorded version, so a
//    database is either fully at the new version or untouched. Running it again is a no-op (idempotent);
//    two processes opening the same file concurrently serialize on the write lock.
//  - A database whose version is newer than this binary knows fails with FailedPrecondition (never downgrade).
//  - Migrations are append-only: a released migration is never edited, a change is a new version.
// REQUIRES: PRAGMA foreign_keys is already set on `conn` (it cannot change inside a transaction).
#pragma once

#include <cstdint>

#include <arrow/result.h>
#include <arrow/status.h>

#include "mosaico/catalog/sqlite/sqlite_util.h"

namespace mosaico::catalog::sqlite {

// Highest schema version this binary knows.
int64_t LatestSchemaVersion();

// Current schema version recorded in the database (0 for a fresh file).
arrow::Result<int64_t> CurrentSchemaVersion(Connection* conn);

// Brings the schema up to LatestSchemaVersion().
arrow::Status Migrate(Connection* conn);

}  // namespace mosaico::catalog::sqlite
