// PgStagedCatalog: a PostgreSQL catalog built aside, in a schema of its own, and published atomically over the live
// one. `mosaicod rebuild` uses it (recovery/rebuild.h), so readers never see a half-built catalog and a failed or
// interrupted rebuild leaves the old catalog untouched.
//
// Why a staging schema and not one big transaction: the catalog is filled through the ordinary Catalog interface
// (recovery/restore.h), whose methods each run their own transaction on pooled connections; a schema of its own
// lets the whole build use that interface unchanged, keeps the live catalog readable (and the build invisible)
// for as long as the build takes, and turns the switch into a few catalog-only statements in one short transaction.
//
// The target is the schema a plain connection to `url` creates tables in: current_schema(), the first existing
// schema of its search_path (normally "public"). The schema object itself (owner, grants) stays; only the catalog's
// objects move.
//
// Begin(url):
//  - takes the session-level advisory lock kRebuildLockKey on a control connection kept for the object's life:
//    one rebuild at a time per database, FailedPrecondition when another holds it;
//  - drops staging schemas (mosaico_rebuild_*) left by interrupted rebuilds: while we hold the lock nobody else
//    can be building in them;
//  - inspects the target (does it hold a catalog, how many sequences: `target()`);
//  - creates the staging schema mosaico_rebuild_<pid>_<unix seconds> and opens a PostgresCatalog whose connections
//    have search_path = that schema only, so the ordinary migrations create the complete catalog there (with its
//    schema_migrations rows).
// Publish(keep_backup), in ONE transaction on the control connection:
//  - every object of the target that the staging schema also defines (tables with their indexes, constraints,
//    identity sequences and row types; views; sequences; functions; types) moves into a new schema
//    mosaico_backup_<unix seconds>[_<n>]; every staging object then moves into the target; the staging schema
//    (now empty) is dropped. Target objects that are not catalog objects stay where they are.
//  - without keep_backup the moved-away catalog must hold no sequence (else FailedPrecondition and nothing
//    changes: a daemon wrote into it during the rebuild); its schema is then dropped.
//  ALTER ... SET SCHEMA takes ACCESS EXCLUSIVE locks on the moved tables: statements of other sessions wait for the
//  commit, then look their tables up again by name and see the new catalog. Before the commit nothing is visible.
// Destroying a PgStagedCatalog that was not published drops the staging schema (best effort; the next Begin drops
// what is left) and releases the lock.
//
// Privileges: run it as the role that owns the catalog (the daemons' role): the new objects belong to the role
// that built them; grants made on the old tables to other roles are not copied.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <arrow/result.h>
#include <arrow/status.h>

#include "mosaico/catalog/catalog.h"

namespace mosaico::catalog::postgres {

class PgConnection;

// What a schema holds, as far as the catalog is concerned.
struct PgCatalogState {
  std::string schema;        // the target schema (current_schema() of a connection to the URL)
  bool has_catalog = false;  // a schema_migrations table exists there (the daemon migrated it at least once)
  int64_t sequences = 0;     // rows of its sequences table (0 without a catalog)
};

// Inspects the catalog a connection to `url` would use, without creating anything.
arrow::Result<PgCatalogState> InspectPgCatalog(const std::string& url);

// `url` with `-c search_path=<schema>` added to its libpq `options` parameter (schema: [a-z0-9_] only).
arrow::Result<std::string> UrlWithSearchPath(const std::string& url, const std::string& schema);

class PgStagedCatalog {
 public:
  static constexpr int64_t kRebuildLockKey = 0x6d6f7361696362;  // shared by every mosaicod: one rebuild per database

  static arrow::Result<std::unique_ptr<PgStagedCatalog>> Begin(const std::string& url);
  ~PgStagedCatalog();
  PgStagedCatalog(const PgStagedCatalog&) = delete;
  PgStagedCatalog& operator=(const PgStagedCatalog&) = delete;

  // The target as Begin found it.
  const PgCatalogState& target() const { return target_; }
  const std::string& staging_schema() const { return staging_; }
  // The empty catalog being built (valid until Publish; callers must drop their references before it).
  const std::shared_ptr<Catalog>& catalog() const { return catalog_; }

  // Swaps the staged catalog in (see above). Returns the backup schema's name when one was kept.
  arrow::Result<std::optional<std::string>> Publish(bool keep_backup);

 private:
  PgStagedCatalog() = default;

  std::unique_ptr<PgConnection> control_;
  PgCatalogState target_;
  std::string staging_;
  std::shared_ptr<Catalog> catalog_;
  bool published_ = false;
};

}  // namespace mosaico::catalog::postgres
