#include "existing_storage.h"

#include <filesystem>
#include <iostream>

#include <spdlog/spdlog.h>

#include "mosaico/catalog/catalog_url.h"

namespace mosaicod {
namespace {

bool IsDirectory(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

int Refuse(const std::string& command, const std::string& what, const std::string& dir, const std::string& how) {
  spdlog::error("event={}_refused reason=missing_directory dir=\"{}\"", command, dir);
  std::cerr << "mosaicod " << command << ": the " << what << " '" << dir
            << "' does not exist; nothing was created.\n"
            << "Name the installation to work on with " << how
            << " (or a config file: --config FILE, MOSAICOD_CONFIG_FILE).\n";
  return 2;
}

}  // namespace

int RequireExistingStorage(const mosaico::server::ServerConfig& config, const std::string& command) {
  const bool default_catalog = config.catalog_url.empty();
  const bool default_store = config.store_uri.empty();
  if ((default_catalog || default_store) && !IsDirectory(config.data_dir)) {
    return Refuse(command, "data directory", config.data_dir, "--data-dir (MOSAICOD_DATA_DIR, storage.data_dir)");
  }
  if (!default_catalog) {
    auto file = mosaico::catalog::CatalogFileOfUrl(config.catalog_url);
    if (file.ok() && *file && **file != ":memory:") {
      std::string dir = std::filesystem::path(**file).parent_path().string();
      if (dir.empty()) dir = ".";
      if (!IsDirectory(dir)) {
        return Refuse(command, "directory of the catalog " + **file + ",", dir,
                      "--catalog (MOSAICOD_CATALOG / MOSAICOD_DB_URL, database.url)");
      }
    }
  }
  if (!default_store) {
    const std::string& uri = config.store_uri;
    const bool remote = uri.find("://") != std::string::npos && uri.rfind("file://", 0) != 0;
    const std::string dir = uri.rfind("file://", 0) == 0 ? uri.substr(7) : uri;
    if (!remote && !IsDirectory(dir)) {
      return Refuse(command, "store directory", dir,
                    "--store (MOSAICOD_STORE, store.uri) or store.endpoint = \"file:///dir\"");
    }
  }
  return 0;
}

}  // namespace mosaicod
