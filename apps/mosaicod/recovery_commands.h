// The store-is-the-truth commands of mosaicod: rebuild, check, and the catalog-presence check before serving.
// Each returns the process exit code and prints a human summary on stdout (logs go to stderr).
#pragma once

#include <string>

#include "mosaico/server/server_config.h"

namespace mosaicod {

struct RebuildCommand {
  bool force = false;
  bool verify_checksums = false;
};
int RunRebuild(const mosaico::server::ServerConfig& config, const RebuildCommand& cmd);

struct CheckCommand {
  bool verify_checksums = false;
  bool repair = false;
  int64_t min_upload_age_seconds = 3600;
};
int RunCheck(const mosaico::server::ServerConfig& config, const CheckCommand& cmd);

struct ImportCommand {
  std::string from;                  // a data dir (its store/ is used) or a store directory/URI
  std::string on_duplicate = "fail";  // fail | skip | rename
};
int RunImport(const mosaico::server::ServerConfig& config, const ImportCommand& cmd);

// Before serving: a catalog file that is missing while the store holds sequences means the index was lost; one
// that exists but cannot be opened is corrupt. Returns 0 to go on (nothing to do, or rebuilt from the store
// because `rebuild_if_missing`), else an exit code after saying how to rebuild. Then the start-up recovery
// (mosaico/recovery/startup_recovery.h) finishes what a crash of the previous process cut short, logging each
// repair; a store that cannot be scanned stops the start (exit code 2).
int PrepareCatalog(const mosaico::server::ServerConfig& config, bool rebuild_if_missing);

}  // namespace mosaicod
