#include "mosaico/catalog/postgres/pg_staging.h"

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <set>
#include <tuple>
#include <vector>

#include <spdlog/spdlog.h>

#include "mosaico/catalog/postgres/pg_conn.h"
#include "mosaico/catalog/postgres/postgres_catalog.h"
#include "mosaico/core/errors.h"

namespace mosaico::catalog::postgres {
namespace {

constexpr char kStagingPrefix[] = "mosaico_rebuild_";
constexpr char kBackupPrefix[] = "mosaico_backup_";

// An SQL identifier in double quotes (embedded quotes doubled): schema names come from the server and may hold
// any character.
std::string QuoteIdent(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

int64_t UnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One movable object of a schema: the ALTER keyword, its name, and for routines the argument list.
struct SchemaObject {
  std::string kind, name, args;
  bool operator<(const SchemaObject& o) const {
    return std::tie(kind, name, args) < std::tie(o.kind, o.name, o.args);
  }
  std::string Qualified(const std::string& schema) const {
    return QuoteIdent(schema) + "." + QuoteIdent(name) + (kind == "ROUTINE" ? "(" + args + ")" : "");
  }
};

// The objects of `schema` that ALTER ... SET SCHEMA moves one by one. Objects that move with their owner are left
// out: indexes, constraints and row types with their table, identity/serial sequences with their column (pg_depend
// 'a'/'i'), array types with their element type. Extended statistics (CREATE STATISTICS) have a schema of their own
// and stay behind when their table moves, so they are listed and moved too.
arrow::Result<std::set<SchemaObject>> ObjectsOf(PgConnection* conn, const std::string& schema) {
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec(R"sql(
SELECT CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'TABLE' WHEN 'v' THEN 'VIEW'
                      WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE'
                      WHEN 'c' THEN 'TYPE' END, c.relname::text, ''
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c') AND NOT c.relispartition
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
UNION ALL
SELECT 'ROUTINE', p.proname::text, pg_get_function_identity_arguments(p.oid)
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = $1 AND p.prokind IN ('f', 'p')
UNION ALL
SELECT 'STATISTICS', s.stxname::text, ''
  FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace
 WHERE n.nspname = $1
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.typname::text, ''
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = $1 AND t.typtype IN ('e', 'd', 'r')
)sql",
                                                 PgParams::Of(schema)));
  std::set<SchemaObject> out;
  for (int r = 0; r < res.rows(); ++r) out.insert({res.Text(r, 0), res.Text(r, 1), res.Text(r, 2)});
  return out;
}

arrow::Result<bool> SchemaExists(PgConnection* conn, const std::string& schema) {
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec("SELECT 1 FROM pg_namespace WHERE nspname = $1",
                                                 PgParams::Of(schema)));
  return res.rows() > 0;
}

arrow::Result<bool> TableExists(PgConnection* conn, const std::string& schema, const std::string& table) {
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec("SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = "
                                                 "c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND "
                                                 "c.relkind IN ('r', 'p')",
                                                 PgParams::Of(schema, table)));
  return res.rows() > 0;
}

// Rows of `schema`.sequences, 0 when the table does not exist.
arrow::Result<int64_t> SequenceRows(PgConnection* conn, const std::string& schema) {
  ARROW_ASSIGN_OR_RAISE(bool exists, TableExists(conn, schema, "sequences"));
  if (!exists) return 0;
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec("SELECT count(*) FROM " + QuoteIdent(schema) + ".sequences"));
  return res.Int64(0, 0);
}

arrow::Result<PgCatalogState> Inspect(PgConnection* conn) {
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec("SELECT current_schema()"));
  if (res.IsNull(0, 0)) {
    return FailedPrecondition("postgresql catalog: no schema of the connection's search_path exists");
  }
  PgCatalogState state;
  state.schema = res.Text(0, 0);
  ARROW_ASSIGN_OR_RAISE(state.has_catalog, TableExists(conn, state.schema, "schema_migrations"));
  ARROW_ASSIGN_OR_RAISE(state.sequences, SequenceRows(conn, state.schema));
  return state;
}

arrow::Status DropStaleStagingSchemas(PgConnection* conn) {
  ARROW_ASSIGN_OR_RAISE(PgResult res, conn->Exec("SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, $1)",
                                                 PgParams::Of(kStagingPrefix)));
  for (int r = 0; r < res.rows(); ++r) {
    const std::string schema = res.Text(r, 0);
    spdlog::warn("event=rebuild_stale_staging_dropped schema={}", schema);
    ARROW_RETURN_NOT_OK(conn->ExecScript("DROP SCHEMA IF EXISTS " + QuoteIdent(schema) + " CASCADE"));
  }
  return arrow::Status::OK();
}

arrow::Result<std::string> FreeBackupName(PgConnection* conn) {
  const std::string base = kBackupPrefix + std::to_string(UnixSeconds());
  std::string name = base;
  for (int n = 1;; ++n) {
    ARROW_ASSIGN_OR_RAISE(bool taken, SchemaExists(conn, name));
    if (!taken) return name;
    name = base + "_" + std::to_string(n);
  }
}

// Percent-encodes what may not appear raw in a URI query value.
std::string PercentEncode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

arrow::Result<std::string> UrlWithSearchPath(const std::string& url, const std::string& schema) {
  if (schema.empty()) return InvalidArgument("empty schema name");
  for (char c : schema) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return InvalidArgument("bad schema name '" + schema + "' (allowed: a-z 0-9 _)");
    }
  }
  const std::string option = PercentEncode("-c search_path=" + schema);
  const size_t query = url.find('?');
  if (query == std::string::npos) return url + "?options=" + option;
  // An existing options parameter keeps its settings; the later -c wins for search_path.
  size_t pos = query;
  while (pos != std::string::npos) {
    const size_t start = pos + 1;
    if (url.compare(start, 8, "options=") == 0) {
      const size_t end = url.find('&', start);
      const size_t insert_at = end == std::string::npos ? url.size() : end;
      return url.substr(0, insert_at) + PercentEncode(" ") + option + url.substr(insert_at);
    }
    pos = url.find('&', start);
  }
  return url + "&options=" + option;
}

arrow::Result<PgCatalogState> InspectPgCatalog(const std::string& url) {
  ARROW_ASSIGN_OR_RAISE(auto conn, PgConnection::Connect(url));
  return Inspect(conn.get());
}

arrow::Result<std::unique_ptr<PgStagedCatalog>> PgStagedCatalog::Begin(const std::string& url) {
  std::unique_ptr<PgStagedCatalog> staged(new PgStagedCatalog());
  ARROW_ASSIGN_OR_RAISE(staged->control_, PgConnection::Connect(url));
  PgConnection* conn = staged->control_.get();
  ARROW_ASSIGN_OR_RAISE(PgResult locked,
                        conn->Exec("SELECT pg_try_advisory_lock($1)", PgParams::Of(kRebuildLockKey)));
  if (!locked.Bool(0, 0)) {
    return FailedPrecondition("another rebuild of this PostgreSQL catalog is running (its advisory lock is held)");
  }
  ARROW_RETURN_NOT_OK(DropStaleStagingSchemas(conn));
  ARROW_ASSIGN_OR_RAISE(staged->target_, Inspect(conn));
  const std::string staging = kStagingPrefix + std::to_string(::getpid()) + "_" + std::to_string(UnixSeconds());
  ARROW_RETURN_NOT_OK(conn->ExecScript("CREATE SCHEMA " + QuoteIdent(staging)));
  staged->staging_ = staging;
  ARROW_ASSIGN_OR_RAISE(std::string staging_url, UrlWithSearchPath(url, staging));
  ARROW_ASSIGN_OR_RAISE(auto catalog, PostgresCatalog::Open(staging_url));
  staged->catalog_ = std::move(catalog);
  spdlog::info("event=rebuild_staging_created schema={} target={} target_sequences={}", staging,
               staged->target_.schema, staged->target_.sequences);
  return staged;
}

arrow::Result<std::optional<std::string>> PgStagedCatalog::Publish(bool keep_backup) {
  if (published_ || !catalog_) return FailedPrecondition("staged catalog already published");
  catalog_.reset();  // closes the staging pool: nothing may write into the staging schema any more
  PgConnection* conn = control_.get();
  const std::string& target = target_.schema;
  ARROW_ASSIGN_OR_RAISE(PgTransaction txn, PgTransaction::Begin(conn));
  ARROW_ASSIGN_OR_RAISE(std::set<SchemaObject> staged, ObjectsOf(conn, staging_));
  ARROW_ASSIGN_OR_RAISE(std::set<SchemaObject> live, ObjectsOf(conn, target));
  std::vector<SchemaObject> replaced;
  for (const auto& obj : staged) {
    if (live.count(obj)) replaced.push_back(obj);
  }
  std::optional<std::string> backup;
  if (!replaced.empty()) {
    ARROW_ASSIGN_OR_RAISE(std::string name, FreeBackupName(conn));
    ARROW_RETURN_NOT_OK(conn->ExecScript("CREATE SCHEMA " + QuoteIdent(name)));
    for (const auto& obj : replaced) {
      ARROW_RETURN_NOT_OK(
          conn->ExecScript("ALTER " + obj.kind + " " + obj.Qualified(target) + " SET SCHEMA " + QuoteIdent(name)));
    }
    backup = name;
  }
  for (const auto& obj : staged) {
    ARROW_RETURN_NOT_OK(
        conn->ExecScript("ALTER " + obj.kind + " " + obj.Qualified(staging_) + " SET SCHEMA " + QuoteIdent(target)));
  }
  ARROW_RETURN_NOT_OK(conn->ExecScript("DROP SCHEMA " + QuoteIdent(staging_)));  // RESTRICT: it must be empty now
  if (backup && !keep_backup) {
    ARROW_ASSIGN_OR_RAISE(int64_t rows, SequenceRows(conn, *backup));
    if (rows > 0) {
      return FailedPrecondition("the catalog in schema '" + target + "' gained " + std::to_string(rows) +
                                " sequence(s) during the rebuild; nothing was replaced (use --force to replace it)");
    }
    ARROW_RETURN_NOT_OK(conn->ExecScript("DROP SCHEMA " + QuoteIdent(*backup) + " CASCADE"));
    backup.reset();
  }
  ARROW_RETURN_NOT_OK(txn.Commit());
  published_ = true;
  spdlog::info("event=rebuild_published schema={} objects={} backup_schema={}", target, staged.size(),
               backup.value_or(""));
  return backup;
}

PgStagedCatalog::~PgStagedCatalog() {
  catalog_.reset();
  if (published_ || staging_.empty() || !control_ || !control_->healthy()) return;
  auto st = control_->ExecScript("DROP SCHEMA IF EXISTS " + QuoteIdent(staging_) + " CASCADE");
  if (!st.ok()) spdlog::warn("event=rebuild_staging_left schema={} status=\"{}\"", staging_, st.ToString());
}

}  // namespace mosaico::catalog::postgres
