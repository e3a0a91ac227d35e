#include "recovery_commands.h"

#include <filesystem>
#include <iostream>
#include <map>

#include <spdlog/spdlog.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/catalog/catalog_url.h"
#include "mosaico/core/progress_log.h"
#include "mosaico/recovery/check.h"
#include "mosaico/recovery/import.h"
#include "mosaico/recovery/rebuild.h"
#include "mosaico/recovery/startup_recovery.h"
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
  ARROW_ASSIGN_OR_RAISE(auto store, mosaico::store::ObjectStore::Open(config.ResolvedStoreUri(), config.store_s3));
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
  std::cout << "rebuilt catalog " << report->catalog << " from store " << config.ResolvedStoreUri() << "\n";
  PrintCounts(report->counts);
  if (report->backup) std::cout << "  previous catalog kept as " << *report->backup << "\n";
  if (!report->problems.empty()) {
    std::cout << report->problems.size() << " store problem(s), not restored (see `mosaicod check`):\n";
    PrintProblems(report->problems);
  }
  return 0;
}

int RunCheck(const ServerConfig& config, const CheckCommand& cmd) {
  auto catalog = mosaico::catalog::OpenCatalog(config.ResolvedCatalogUrl());
  if (!catalog.ok()) return Fail("check", catalog.status());
  auto store = mosaico::store::ObjectStore::Open(config.ResolvedStoreUri(), config.store_s3);
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
    std::cout << "repaired " << repaired << " finding(s)\n";
    for (const auto& f : report->done) {
      std::cout << "  repaired  " << f.kind << "  " << f.subject << "  (" << recovery::RepairActionName(f.action)
                << ")\n";
    }
    if (!left.empty()) std::cout << "left:\n";
  } else {
    auto report = recovery::Check(**catalog, **store, options);
    if (!report.ok()) return Fail("check", report.status());
    left = report->findings;
    std::cout << "checked " << report->sequences_checked << " sequence(s)";
    if (cmd.verify_checksums) std::cout << ", verified " << report->chunks_verified << " chunk checksum(s)";
    std::cout << "\n";
  }
  for (const auto& f : left) {
    std::cout << "  " << f.kind << "  " << f.subject << "  " << f.detail << (f.repairable ? "  [repairable]" : "")
              << "\n";
  }
  spdlog::info("event=check_done findings={} repaired={}", left.size(), repaired);
  if (left.empty()) std::cout << "catalog and store agree\n";
  return left.empty() ? 0 : 1;
}

int RunImport(const ServerConfig& config, const ImportCommand& cmd) {
  std::error_code ec;
  const bool remote = cmd.from.find("://") != std::string::npos && cmd.from.rfind("file://", 0) != 0;
  const std::string from_uri =
      !remote && std::filesystem::is_directory(std::filesystem::path(cmd.from) / "store", ec) ? cmd.from + "/store"
                                                                                              : cmd.from;
  if (!remote && !std::filesystem::is_directory(std::filesystem::path(from_uri) / "sequences", ec)) {
    return Fail("import", arrow::Status::Invalid("'", cmd.from, "' is neither a mosaicod data dir nor a store (no ",
                                                 "sequences/ directory found)"));
  }
  const std::map<std::string, recovery::OnDuplicate> policies = {
      {"fail", recovery::OnDuplicate::kFail}, {"skip", recovery::OnDuplicate::kSkip},
      {"rename", recovery::OnDuplicate::kRename}};
  auto from = mosaico::store::ObjectStore::Open(from_uri, config.store_s3);
  if (!from.ok()) return Fail("import", from.status());
  auto to = mosaico::store::ObjectStore::Open(config.ResolvedStoreUri(), config.store_s3);
  if (!to.ok()) return Fail("import", to.status());
  auto catalog = mosaico::catalog::OpenCatalog(config.ResolvedCatalogUrl());
  if (!catalog.ok()) return Fail("import", catalog.status());
  mosaico::ProgressLog progress("import");
  recovery::ImportOptions options;
  options.on_duplicate = policies.at(cmd.on_duplicate);
  options.progress = [&](const std::string& phase, int64_t done, int64_t total) {
    progress.Update(phase, done, total);
  };
  spdlog::info("event=import_started from={} to={}", from_uri, config.ResolvedStoreUri());
  auto report = recovery::ImportSequences(**from, **to, **catalog, options);
  if (!report.ok()) return Fail("import", report.status());
  for (const auto& s : report->sequences) {
    std::cout << "  " << recovery::ImportOutcomeName(s.outcome) << "  " << s.source_name;
    if (s.name != s.source_name) std::cout << " -> " << s.name;
    if (!s.detail.empty()) std::cout << "  (" << s.detail << ")";
    std::cout << "\n";
  }
  std::cout << "imported from " << from_uri << " (" << report->bytes_copied << " chunk bytes verified and copied)\n";
  PrintCounts(report->counts);
  spdlog::info("event=import_done sequences={} bytes={} ok={}", report->counts.sequences, report->bytes_copied,
               report->all_ok());
  return report->all_ok() ? 0 : 1;
}

namespace {

// Start-up recovery (recovery/startup_recovery.h): finishes what a crash of the previous process cut short.
int RecoverAtStartup(const ServerConfig& config) {
  auto catalog = mosaico::catalog::OpenCatalog(config.ResolvedCatalogUrl());
  if (!catalog.ok()) return Fail("start", catalog.status());
  auto store = mosaico::store::ObjectStore::Open(config.ResolvedStoreUri(), config.store_s3);
  if (!store.ok()) return Fail("start", store.status());
  auto report = recovery::RecoverAtStartup(**catalog, **store);
  if (!report.ok()) return Fail("startup_recovery", report.status());
  for (const auto& f : report->done) {
    spdlog::warn("event=startup_repair kind={} subject={} action={} detail=\"{}\"", f.kind, f.subject,
                 recovery::RepairActionName(f.action), f.detail);
  }
  int64_t failed = 0;
  for (const auto& f : report->left) {
    if (f.repairable && recovery::StartupRepairActions().count(f.action)) {
      ++failed;
      spdlog::error("event=startup_repair_failed kind={} subject={} detail=\"{}\"", f.kind, f.subject, f.detail);
    }
  }
  if (report->repaired > 0 || !report->left.empty()) {
    spdlog::info("event=startup_recovery repaired={} failed={} other_findings={}{}", report->repaired, failed,
                 report->left.size() - failed,
                 report->left.size() > static_cast<size_t>(failed) ? " hint=\"see `mosaicod check`\"" : "");
  }
  return 0;
}

// Catalog presence (see PrepareCatalog): 0 to go on. A SQLite catalog is missing when its file is; a PostgreSQL
// one when its schema holds no catalog tables (a server that cannot be reached fails the start instead).
int CheckCatalogPresence(const ServerConfig& config, bool rebuild_if_missing) {
  auto file = mosaico::catalog::CatalogFileOfUrl(config.ResolvedCatalogUrl());
  if (!file.ok()) return Fail("start", file.status());
  std::error_code ec;
  if (*file && std::filesystem::exists(**file, ec)) {
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
  if (!*file) {
    auto exists = recovery::CatalogExists(config.ResolvedCatalogUrl());
    if (!exists.ok()) return Fail("start", exists.status());
    if (*exists) return 0;
  }
  const std::string name = *file ? **file : std::string("(PostgreSQL: no catalog tables in its schema)");
  auto store = mosaico::store::ObjectStore::Open(config.ResolvedStoreUri(), config.store_s3);
  if (!store.ok()) return Fail("start", store.status());
  auto holds = recovery::StoreHoldsSequences(**store);
  if (!holds.ok()) return Fail("start", holds.status());
  if (!*holds) return 0;  // a fresh installation
  if (!rebuild_if_missing) {
    spdlog::critical("event=catalog_missing catalog=\"{}\" store={} hint=\"run `mosaicod rebuild` with the same "
                     "--data-dir/--catalog/--store, or start with --rebuild-if-missing\"",
                     name, config.ResolvedStoreUri());
    std::cerr << "mosaicod: the catalog " << name << " is missing but the store " << config.ResolvedStoreUri()
              << " holds data.\nRebuild it with `mosaicod rebuild` (same storage options), or start with "
                 "--rebuild-if-missing.\n";
    return 3;
  }
  spdlog::warn("event=catalog_missing action=rebuild catalog=\"{}\"", name);
  return RunRebuild(config, RebuildCommand{});
}

}  // namespace

int PrepareCatalog(const ServerConfig& config, bool rebuild_if_missing) {
  if (int code = CheckCatalogPresence(config, rebuild_if_missing); code != 0) return code;
  return RecoverAtStartup(config);
}

}  // namespace mosaicod
