// Command-line options of an S3-compatible store (--store s3://bucket[/prefix]), shared by every subcommand.
//   --store-endpoint host:port     MOSAICOD_STORE_ENDPOINT     (empty: AWS S3)
//   --store-scheme http|https      MOSAICOD_STORE_SCHEME
//   --store-region R               MOSAICOD_STORE_REGION
//   --store-access-key K           MOSAICOD_STORE_ACCESS_KEY   or --store-access-key-file F (MOSAICOD_STORE_ACCESS_KEY_FILE)
//   --store-secret-key S           MOSAICOD_STORE_SECRET_KEY   or --store-secret-key-file F (MOSAICOD_STORE_SECRET_KEY_FILE)
// Secrets are best given through files (container secrets) or env vars, not flags visible in `ps`.
#pragma once

#include <string>

#include <CLI/CLI.hpp>
#include <arrow/status.h>

#include "mosaico/store/s3_settings.h"

namespace mosaicod {

struct StoreOptions {
  mosaico::store::S3Settings s3;
  std::string access_key_file;
  std::string secret_key_file;

  void AddTo(CLI::App* cmd);
  // Reads the secret files, if given, into s3 (trailing whitespace dropped). InvalidArgument naming the file.
  arrow::Status Resolve();
};

}  // namespace mosaicod
