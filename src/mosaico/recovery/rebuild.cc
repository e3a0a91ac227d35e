#include "mosaico/recovery/rebuild.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "mosaico/catalog/catalog_url.h"
#include "mosaico/catalog/postgres/pg_staging.h"
#include "mosaico/core/crash_point.h"
#include "mosaico/core/errors.h"
#include "mosaico/store/layout.h"
#include "mosaico/recovery/restore_api_keys.h"

namespace mosaico::recovery {
namespace {

namespace fs = std::filesystem;

arrow::Status RemoveSqliteFiles(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(path + suffix, ec);
  return arrow::Status::OK();
}

arrow::Status Rename(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) return arrow::Status::IOError("cannot rename '", from, "' to '", to, "': ", ec.message());
  return arrow::Status::OK();
}

// Build files of rebuilds that died ("<file>.rebuild-<pid>" whose process is gone) are removed; a live one's stay.
void RemoveStaleBuilds(const std::string& file) {
  const fs::path path(file);
  const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  const std::string prefix = path.filename().string() + ".rebuild-";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string pid_text = name.substr(prefix.size(), name.find('-', prefix.size()) - prefix.size());
    char* end = nullptr;
    const long pid = std::strtol(pid_text.c_str(), &end, 10);
    if (pid <= 0 || end == pid_text.c_str() || *end != '\0') continue;
    if (pid != ::getpid() && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      fs::remove(entry.path(), ec);
    }
  }
}

arrow::Result<StoreSnapshot> Scan(store::ObjectStore& store, const RebuildOptions& options) {
  ScanOptions scan;
  scan.verify_checksums = options.verify_checksums;
  scan.progress = options.progress;
  return ScanStore(store, scan);
}

// Everything the store holds goes into `fresh` (a new, empty catalog) here, whatever the backend.
arrow::Result<RestoreCounts> Fill(const StoreSnapshot& snapshot, store::ObjectStore& store, catalog::Catalog& fresh,
                                  const RebuildOptions& options) {
  ARROW_RETURN_NOT_OK(RestoreApiKeys(store, fresh).status());  // api_keys/ (recovery/restore_api_keys.h)
  return RestoreAll(snapshot, fresh, [&](int64_t done, int64_t total) {
    if (options.progress) options.progress("restore", done, total);
  });
}

void Progress(const RebuildOptions& options, const std::string& phase, int64_t done, int64_t total) {
  if (options.progress) options.progress(phase, done, total);
}

// SQLite: a new file next to the old one, renamed over it.
arrow::Result<RebuildReport> RebuildSqlite(const std::string& file, store::ObjectStore& store,
                                           const RebuildOptions& options) {
  RebuildReport report;
  report.catalog = file;
  std::error_code ec;
  const bool exists = fs::exists(file, ec);
  if (exists && !options.force) {
    return FailedPrecondition("catalog '" + file +
                              "' exists; pass --force to replace it (the old file is kept as a .bak copy)");
  }
  ARROW_ASSIGN_OR_RAISE(auto snapshot, Scan(store, options));
  report.problems = snapshot.problems;

  RemoveStaleBuilds(file);
  const std::string building = file + ".rebuild-" + std::to_string(::getpid());
  ARROW_RETURN_NOT_OK(RemoveSqliteFiles(building));
  {
    ARROW_ASSIGN_OR_RAISE(auto fresh, catalog::OpenCatalog("sqlite://" + building));
    auto restored = Fill(snapshot, store, *fresh, options);
    if (!restored.ok()) {
      fresh.reset();
      (void)RemoveSqliteFiles(building);
      return restored.status();
    }
    report.counts = *restored;
  }  // closing the last connection checkpoints the WAL into the file
  CrashPoint("rebuild.before_publish");

  Progress(options, "publish", 0, 1);
  if (exists) {
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    report.backup = file + ".bak-" + std::to_string(seconds);
    ARROW_RETURN_NOT_OK(Rename(file, *report.backup));
    for (const char* suffix : {"-wal", "-shm"}) {
      if (fs::exists(file + suffix, ec)) ARROW_RETURN_NOT_OK(Rename(file + suffix, *report.backup + suffix));
    }
  }
  ARROW_RETURN_NOT_OK(Rename(building, file));
  (void)RemoveSqliteFiles(building);  // -wal/-shm leftovers of the closed build, if any
  Progress(options, "publish", 1, 1);
  return report;
}

// PostgreSQL: a staging schema, swapped in by one transaction (catalog/postgres/pg_staging.h).
arrow::Result<RebuildReport> RebuildPostgres(const std::string& url, store::ObjectStore& store,
                                             const RebuildOptions& options) {
  ARROW_ASSIGN_OR_RAISE(auto staged, catalog::postgres::PgStagedCatalog::Begin(url));
  const auto& target = staged->target();
  RebuildReport report;
  report.catalog = "postgresql schema " + target.schema;
  if (target.sequences > 0 && !options.force) {
    return FailedPrecondition("the PostgreSQL catalog (schema '" + target.schema + "') holds " +
                              std::to_string(target.sequences) +
                              " sequence(s); pass --force to replace it (the old one is kept in a backup schema)");
  }
  ARROW_ASSIGN_OR_RAISE(auto snapshot, Scan(store, options));
  report.problems = snapshot.problems;
  ARROW_ASSIGN_OR_RAISE(report.counts, Fill(snapshot, store, *staged->catalog(), options));
  CrashPoint("rebuild.before_publish");
  Progress(options, "publish", 0, 1);
  ARROW_ASSIGN_OR_RAISE(auto backup, staged->Publish(/*keep_backup=*/options.force));
  if (backup) report.backup = "postgresql schema " + *backup;
  Progress(options, "publish", 1, 1);
  return report;
}

}  // namespace

arrow::Result<bool> CatalogExists(const std::string& catalog_url) {
  ARROW_ASSIGN_OR_RAISE(auto file, catalog::CatalogFileOfUrl(catalog_url));
  if (file) {
    std::error_code ec;
    return fs::exists(*file, ec);
  }
  ARROW_ASSIGN_OR_RAISE(auto state, catalog::postgres::InspectPgCatalog(catalog_url));
  return state.has_catalog;
}

arrow::Result<bool> StoreHoldsSequences(store::ObjectStore& store) {
  ARROW_ASSIGN_OR_RAISE(auto keys, store.List(store::layout::SequencesRoot()));
  for (const auto& key : keys) {
    if (store::layout::ParseKey(key).kind == store::layout::ObjectRef::Kind::kSequenceManifest) return true;
  }
  return false;
}

arrow::Result<RebuildReport> RebuildCatalog(const std::string& catalog_url, store::ObjectStore& store,
                                            const RebuildOptions& options) {
  ARROW_ASSIGN_OR_RAISE(auto file, catalog::CatalogFileOfUrl(catalog_url));
  return file ? RebuildSqlite(*file, store, options) : RebuildPostgres(catalog_url, store, options);
}

}  // namespace mosaico::recovery
