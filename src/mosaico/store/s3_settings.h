// S3Settings: how to reach an S3-compatible object store (AWS S3, MinIO, moto, ...) for a store URI of the form
// "s3://<bucket>[/<prefix>]". Filled from flags / MOSAICOD_STORE_* env vars / secret files by apps/mosaicod.
//
//  - endpoint: "host:port" of a non-AWS server (empty: AWS, virtual-host addressing); with an endpoint, requests
//    use path-style addressing.
//  - access_key / secret_key: static credentials; both empty: the AWS default chain (env, profile, instance role).
//  - Transient errors (throttling, 5xx, connection resets) are retried by the AWS SDK's standard strategy up to
//    max_attempts with exponential backoff; connect/request timeouts bound a dead server.
#pragma once

#include <string>

namespace mosaico::store {

struct S3Settings {
  std::string endpoint;
  std::string scheme = "https";
  std::string region = "us-east-1";
  std::string access_key;
  std::string secret_key;
  int max_attempts = 4;
  double connect_timeout_seconds = 5;
  double request_timeout_seconds = 60;
};

}  // namespace mosaico::store
