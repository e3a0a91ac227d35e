#include "recovery_commands.h"

#include <filesystem>
#include <iostream>
#include <map>

#include <spdlog/spdlog.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/catalog/catalog_url.h"
#include "mosaico/core/progress_log.h"
#include "mosaico/recovery/check.h"
#include "mosaico/recovery/rebuild.h"
#include "mosaico/store/object_store.h"

namespace mosaicod {
namespace {

using mosaico::server::ServerConfig;
namespace recovery = mosaico::recovery;

int Fail(const std::string& what, const arrow::Status& st) {
  spdlog::error("event={}_failed status=\"{}\"", what, st.ToString());
  std::cerr << "mosaicod " << what << ": " << st.ToString() << "\n";
  return 2;
}

void PrintCounts(const recovery::RestoreCounts& c) {
  std::cout << "  sequences " << c.sequences << ", sessions " << c.sessions << ", topics " << c.topics << ", uploads "
            << c.uploads << ", chunks " << c.chunks << ", rows " << c.rows << ", notifications " << c.notifications
            << "\n";
}

arrow::Result<recovery::RebuildReport> Rebuild(const ServerConfig& config, const RebuildCommand& cmd) {
  ARROW_ASSIGN_OR_RAISE(auto store, mosaico::store::ObjectStore::Open(config.ResolvedStoreUri()));
  mosaico::ProgressLog progress("rebuild");
  recovery::RebuildOptions options;
  options.force = cmd.force;
  options.verify_checksums = cmd.verify_checksums;
  options.progress = [&](const std::string& phase, int64_t done, int64_t total) {
    progress.Update(phase, done, total);
  };
  return recovery::RebuildCatalog(config.ResolvedCatalogUrl(), *store, options);
}

void PrintProblems(const std::vector<recovery::ScanProblem>& problems) {
  for (const auto& p : problems) {
    std::cout << "  " << recovery::ScanProblemKindName(p.kind) << "  " << p.key << "  " << p.detail << "\n";
  }
}

}  // namespace

int RunRebuild(const ServerConfig& config, const RebuildCommand& cmd) {
  spdlog::info("event=rebuild_started catalog={} store={}", config.ResolvedCatalogUrl(), config.ResolvedStoreUri());
  auto report = Rebuild(config, cmd);
  if (!report.ok()) return Fail("rebuild", report.status());
  spdlog::info("event=rebuild_done sequences={} topics={} chunks={} problems={}", report->counts.sequences,
               report->counts.topics, report->counts.chunks, report->problems.size());
  std::cout << "rebuilt catalog " << report->catalog_file << " from store " << config.ResolvedStoreUri() << "\n";
  PrintCounts(report->counts);
  if (report->backup_file) std::cout << "  previous catalog kept as " << *report->backup_file << "\n";
  if (!report->problems.empty()) {
    std::cout << report->problems.size() << " store problem(s), not restored (see `mosaicod check`):\n";
    PrintProblems(report->problems);
  }
  return 0;
}

int RunCheck(const ServerConfig& config, const CheckCommand& cmd) {
  auto catalog = mosaico::catalog::OpenCatalog(config.ResolvedCatalogUrl());
  if (!catalog.ok()) return Fail("check", catalog.status());
  auto store = mosaico::store::ObjectStore::Open(config.ResolvedStoreUri());
  if (!store.ok()) return Fail("check", store.status());
  mosaico::ProgressLog progress(cmd.repair ? "repair" : "check");
  recovery::CheckOptions options;
  options.verify_checksums = cmd.verify_checksums;
  options.min_upload_age_ns = cmd.min_upload_age_seconds * 1000000000LL;
  options.progress = [&](const std::string& phase, int64_t done, int64_t total) {
    progress.Update(phase, done, total);
  };
  std::vector<recovery::Finding> left;
  int64_t repaired = 0;
  if (cmd.repair) {
    auto report = recovery::Repair(**catalog, **store, options);
    if (!report.ok()) return Fail("check", report.status());
    left = report->left;
    repaired = report->repaired;
  } else {
    auto report = recovery::Check(**catalog, **store, options);
    if (!report.ok()) return Fail("check", report.status());
    left = report->findings;
    std::cout << "checked " << report->sequences_checked << " sequence(s)";
    if (cmd.verify_checksums) std::cout << ", verified " << report->chunks_verified << " chunk checksum(s)";
    std::cout << "\n";
  }
  if (cmd.repair) std::cout << "repaired " << repaired << " finding(s)\n";
  for (const auto& f : left) {
    std::cout << "  " << f.kind << "  " << f.subject << "  " << f.detail << (f.repairable ? "  [repairable]" : "")
              << "\n";
  }
  spdlog::info("event=check_done findings={} repaired={}", left.size(), repaired);
  if (left.empty()) std::cout << "catalog and store agree\n";
  return left.empty() ? 0 : 1;
}

int PrepareCatalog(const ServerConfig& config, bool rebuild_if_missing) {
  auto file = mosaico::catalog::CatalogFileOfUrl(config.ResolvedCatalogUrl());
  if (!file.ok()) return Fail("start", file.status());
  std::error_code ec;
  if (!*file) return 0;
  if (std::filesystem::exists(**file, ec)) {
    auto opened = mosaico::catalog::OpenCatalog(config.ResolvedCatalogUrl());
    if (opened.ok()) return 0;
    if (!rebuild_if_missing) {
      spdlog::critical("event=catalog_unreadable catalog={} status=\"{}\" hint=\"run `mosaicod rebuild --force`\"",
                       **file, opened.status().ToString());
      std::cerr << "mosaicod: the catalog " << **file << " cannot be opened (" << opened.status().ToString()
                << ").\nRebuild it from the store with `mosaicod rebuild --force` (the old file is kept), or start "
                   "with --rebuild-if-missing.\n";
      return 3;
    }
    spdlog::warn("event=catalog_unreadable action=rebuild catalog={} status=\"{}\"", **file,
                 opened.status().ToString());
    return RunRebuild(config, RebuildCommand{/*force=*/true});
  }
  auto store = mosaico::store::ObjectStore::Open(config.ResolvedStoreUri());
  if (!store.ok()) return Fail("start", store.status());
  auto holds = recovery::StoreHoldsSequences(**store);
  if (!holds.ok()) return Fail("start", holds.status());
  if (!*holds) return 0;  // a fresh installation
  if (!rebuild_if_missing) {
    spdlog::critical("event=catalog_missing catalog={} store={} hint=\"run `mosaicod rebuild` with the same "
                     "--data-dir/--catalog/--store, or start with --rebuild-if-missing\"",
                     **file, config.ResolvedStoreUri());
    std::cerr << "mosaicod: the catalog " << **file << " is missing but the store " << config.ResolvedStoreUri()
              << " holds data.\nRebuild it with `mosaicod rebuild` (same storage options), or start with "
                 "--rebuild-if-missing.\n";
    return 3;
  }
  spdlog::warn("event=catalog_missing action=rebuild catalog={}", **file);
  return RunRebuild(config, RebuildCommand{});
}

}  // namespace mosaicod
