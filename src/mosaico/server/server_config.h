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
  int catalog_pool_size = 10;  // PostgreSQL connections at most (database.max_connections; the reference's default,
                               // catalog::kDefaultCatalogConnections); SQLite: unused
  std::string store_uri;    // default: <data_dir>/store; "s3://bucket[/prefix]" for an S3-compatible store
  store::S3Settings store_s3;  // endpoint, region, credentials when store_uri is s3://
  std::string tls_cert_path;   // PEM certificate chain; with tls_key_path: serve grpc+tls
  std::string tls_key_path;    // PEM private key
  // API keys (server/auth_setup.h, docs/SECURITY.md): "auto" (on unless the host is loopback), "on", "off".
  std::string auth_mode = "auto";
  double auth_cache_seconds = 5;  // verified key records are reused this long: the delay of a revocation made elsewhere
  // Monitoring listener (server/monitoring.h, docs/OPERATIONS.md): plain HTTP with /healthz, /readyz, /metrics.
  std::string http_host = "127.0.0.1";  // loopback unless told: the listener has no TLS and no API key
  int http_port = -1;  // -1: 6727 if free (else a warning, no listener); 0: off; N: port N, or refuse to start
  int64_t chunk_target_bytes = 64LL << 20;  // roll Parquet chunks at this much buffered Arrow data
  int64_t row_group_rows = 65536;
  // Reported by the `info` action; the SDK sizes its write batches at 0.9 x grpc_max_decode_message_size.
  int64_t grpc_max_decode_message_size = 64LL << 20;
  int64_t grpc_max_encode_message_size = 64LL << 20;
  int64_t grpc_target_encode_message_size = 4LL << 20;  // DoGet batches aim at this many bytes
  // Limits (server/limits.h, docs/SECURITY.md "Limits"); <= 0 disables each.
  // In-flight DoPut + DoGet + query actions, daemon-wide. Not the memory guard (ingest_memory_mb is): a cap on
  // server threads (Flight's gRPC server runs each call on its own thread) and per-stream fixed costs.
  int max_concurrent_streams = 1024;
  // Ingest memory budget in MiB (ingest/memory_budget.h): Arrow data held by all DoPut streams together; a stream
  // over it waits. < 0: auto (ingest::DefaultIngestMemoryBytes: a quarter of RAM, 256 MiB..16 GiB); 0: no budget.
  double ingest_memory_mb = -1;
  double request_timeout_seconds = 300;        // server-side time limit of an action or GetFlightInfo
  double upload_idle_timeout_seconds = 600;    // longest pause between two messages of a DoPut stream
  int64_t max_metadata_bytes = 256LL << 10;    // user_metadata JSON of sequence/topic create; notification msg
  int64_t max_action_body_bytes = 1LL << 20;   // an action body, a descriptor command, a ticket
  int shutdown_grace_seconds = 5;  // in-flight calls get this long on SIGINT/SIGTERM, then are cancelled
  bool query_pruning = true;       // false (--no-query-pruning): queries never skip data by value statistics
  // Background jobs of the event queue (jobs/background_jobs.h, docs/JOBS.md).
  int job_workers = 1;                  // worker threads; 0: this daemon runs no background jobs
  int64_t job_lease_seconds = 300;      // a claimed job whose worker died runs again after this long
  int job_max_attempts = 5;             // a job failing this many times is given up (state failed)
  double abandon_after_hours = 24;      // an unfinalized session idle this long is removed (with a notification)
  double sweep_interval_seconds = 300;  // how often the abandoned-session sweep is scheduled; <= 0: never
  double gc_interval_minutes = 0;       // how often the FULL store GC sweep is scheduled; <= 0: never (the
                                        // default: gc_sequence jobs follow the operations, jobs/gc.h)
  int64_t gc_min_age_seconds = 3600;    // the GC leaves garbage younger than this alone (may be work in flight)
  // Compaction of finalized topics (jobs/compaction.h); use the Resolved* helpers below.
  double compact_below_mb = -1;           // chunks under this many MiB (Parquet) are merged; 0: never; < 0: auto
  double compact_chunk_size_mb = 0;       // compacted chunks roll at this many MiB of Arrow data; 0: auto
  double compaction_grace_seconds = 600;  // a compacted topic's old upload is deleted this long after the swap
  // Several daemons on one catalog (server/peer_directory.h): the uri clients should use for this daemon; empty:
  // not registered (endpoints never carry locations). Beats every heartbeat_seconds; dead after 3 missed beats.
  std::string advertise_uri;
  double heartbeat_seconds = 2;

  // Compacted chunk size: compact_chunk_size_mb, or by default the ingest chunk size (then only chunks written
  // smaller than that get merged; a larger value lets ingest use small chunks, bounding its memory, and compaction
  // merge them afterwards).
  int64_t ResolvedCompactionChunkBytes() const {
    return compact_chunk_size_mb > 0 ? static_cast<int64_t>(compact_chunk_size_mb * (1 << 20)) : chunk_target_bytes;
  }
  // Compaction threshold: compact_below_mb, or by default a quarter of the compacted chunk size; 0 disables.
  int64_t ResolvedCompactBelowBytes() const {
    if (compact_below_mb >= 0) return static_cast<int64_t>(compact_below_mb * (1 << 20));
    return ResolvedCompactionChunkBytes() / 4;
  }

  // The ingest budget in bytes: ingest_memory_mb, or `auto_bytes` (ingest::DefaultIngestMemoryBytes) when unset;
  // 0: no budget.
  int64_t ResolvedIngestMemoryBytes(int64_t auto_bytes) const {
    if (ingest_memory_mb < 0) return auto_bytes;
    return static_cast<int64_t>(ingest_memory_mb * (1 << 20));
  }

  std::string ResolvedCatalogUrl() const { return catalog_url.empty() ? "sqlite://" + data_dir + "/catalog.db" : catalog_url; }
  std::string ResolvedStoreUri() const { return store_uri.empty() ? data_dir + "/store" : store_uri; }
};

}  // namespace mosaico::server
