#include "mosaico/recovery/rebuild.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <system_error>

#include "mosaico/catalog/catalog_url.h"
#include "mosaico/core/errors.h"
#include "mosaico/store/layout.h"

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

}  // namespace

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
  if (!file) return arrow::Status::NotImplemented("rebuild of a server-backed catalog ('", catalog_url, "')");
  RebuildReport report;
  report.catalog_file = *file;
  std::error_code ec;
  const bool exists = fs::exists(*file, ec);
  if (exists && !options.force) {
    return FailedPrecondition("catalog '" + *file +
                              "' exists; pass --force to replace it (the old file is kept as a .bak copy)");
  }

  ScanOptions scan;
  scan.verify_checksums = options.verify_checksums;
  scan.progress = options.progress;
  ARROW_ASSIGN_OR_RAISE(auto snapshot, ScanStore(store, scan));
  report.problems = snapshot.problems;

  const std::string building = *file + ".rebuild-" + std::to_string(::getpid());
  ARROW_RETURN_NOT_OK(RemoveSqliteFiles(building));
  {
    ARROW_ASSIGN_OR_RAISE(auto fresh, catalog::OpenCatalog("sqlite://" + building));
    auto restored = RestoreAll(snapshot, *fresh, [&](int64_t done, int64_t total) {
      if (options.progress) options.progress("restore", done, total);
    });
    if (!restored.ok()) {
      fresh.reset();
      (void)RemoveSqliteFiles(building);
      return restored.status();
    }
    report.counts = *restored;
  }  // closing the last connection checkpoints the WAL into the file

  if (exists) {
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    report.backup_file = *file + ".bak-" + std::to_string(seconds);
    ARROW_RETURN_NOT_OK(Rename(*file, *report.backup_file));
    for (const char* suffix : {"-wal", "-shm"}) {
      if (fs::exists(*file + suffix, ec)) ARROW_RETURN_NOT_OK(Rename(*file + suffix, *report.backup_file + suffix));
    }
  }
  ARROW_RETURN_NOT_OK(Rename(building, *file));
  (void)RemoveSqliteFiles(building);  // -wal/-shm leftovers of the closed build, if any
  return report;
}

}  // namespace mosaico::recovery
