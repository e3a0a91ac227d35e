// Admin commands (api-key, check, rebuild, cleanup) work on an existing installation: they never create a data
// directory, a SQLite catalog's directory or a local store, as the daemon and `import` (a destination) do.
//
// RequireExistingStorage checks, for the local parts of `config`: the data directory when the catalog or the
// store lives in it by default, the directory of an explicit SQLite catalog file, an explicit local store
// directory. Returns 0 when all exist; otherwise prints on stderr which one is missing and how to name the right
// one, and returns 2. PostgreSQL catalogs and S3 stores are not checked here (opening them says what is wrong).
#pragma once

#include <string>

#include "mosaico/server/server_config.h"

namespace mosaicod {

int RequireExistingStorage(const mosaico::server::ServerConfig& config, const std::string& command);

}  // namespace mosaicod
