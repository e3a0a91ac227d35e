// Runtime configuration of the Flight server (filled by apps/mosaicod from flags and MOSAICOD_* env vars).
#pragma once

#include <cstdint>
#include <string>

#include "mosaico/store/s3_settings.h"

namespace mosaico::server {

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 6726;
  std::string data_dir = "./data";
  std::string catalog_url;  // default: sqlite://<data_dir>/catalog.db
  std::string store_uri;    // default: <data_dir>/store; "s3://bucket[/prefix]" for an S3-compatible store
  store::S3Settings store_s3;  // endpoint, region, credentials when store_uri is s3://
  std::string tls_cert_path;   // PEM certificate chain; with tls_key_path: serve grpc+tls
  std::string tls_key_path;    // PEM private key
  int64_t chunk_target_bytes = 64LL << 20;  // roll Parquet chunks at this much buffered Arrow data
  int64_t row_group_rows = 65536;
  // Reported by the `info` action; the SDK sizes its write batches at 0.9 x grpc_max_decode_message_size.
  int64_t grpc_max_decode_message_size = 64LL << 20;
  int64_t grpc_max_encode_message_size = 64LL << 20;
  int64_t grpc_target_encode_message_size = 4LL << 20;  // DoGet batches aim at this many bytes
  int shutdown_grace_seconds = 5;  // in-flight calls get this long on SIGINT/SIGTERM, then are cancelled
  bool query_pruning = true;       // false (--no-query-pruning): queries never skip data by value statistics

  std::string ResolvedCatalogUrl() const { return catalog_url.empty() ? "sqlite://" + data_dir + "/catalog.db" : catalog_url; }
  std::string ResolvedStoreUri() const { return store_uri.empty() ? data_dir + "/store" : store_uri; }
};

}  // namespace mosaico::server
