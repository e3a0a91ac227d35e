// THE settings table: every setting mosaicod reads, in the order docs/CONFIGURATION.md lists them. settings.h says
// what each field means and how to add a row.
#include <cmath>

#include "settings.h"

// Rows name only the fields they set (designated initializers); the rest keep their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace mosaicod {
namespace {

using mosaico::server::ServerConfig;
using mosaico::store::S3Settings;
using Opts = DaemonOptions;
constexpr double kMiB = 1 << 20;

// server.api_key_enabled (the reference's boolean) spelled as our server.auth mode.
Binding ApiKeyEnabled() {
  Binding b;
  b.apply = [](const SettingValue& v, DaemonOptions* o) {
    o->server.auth_mode = v.boolean ? "on" : "off";
    return arrow::Status::OK();
  };
  b.show = [](const DaemonOptions& o) -> std::string {
    return o.server.auth_mode == "on" ? "true" : o.server.auth_mode == "off" ? "false" : "";
  };
  return b;
}

Binding TlsEnabled() {
  Binding b;
  b.apply = [](const SettingValue& v, DaemonOptions* o) {
    o->tls_enabled = v.boolean;
    return arrow::Status::OK();
  };
  b.show = [](const DaemonOptions& o) -> std::string {
    return o.tls_enabled ? (*o.tls_enabled ? "true" : "false") : "";
  };
  return b;
}

Binding TargetMessageBytes() {
  Binding b;
  b.apply = [](const SettingValue& v, DaemonOptions* o) {
    o->target_message_bytes = v.integer;
    return arrow::Status::OK();
  };
  b.show = [](const DaemonOptions& o) {
    return o.target_message_bytes ? std::to_string(*o.target_message_bytes) : "";
  };
  return b;
}

// store_optimizer.max_chunk_size (bytes) spelled as our compaction.chunk_size_mb.
Binding CompactChunkBytes() {
  Binding b;
  b.apply = [](const SettingValue& v, DaemonOptions* o) {
    o->server.compact_chunk_size_mb = static_cast<double>(v.integer) / kMiB;
    return arrow::Status::OK();
  };
  b.show = [](const DaemonOptions& o) {
    return o.server.compact_chunk_size_mb > 0 ? FormatNumber(std::round(o.server.compact_chunk_size_mb * kMiB)) : "";
  };
  return b;
}

// ServerConfig::http_port: -1 (unset) means "the default port when free" (server/monitoring.h).
Binding HttpPort() {
  Binding b = Bind(&ServerConfig::http_port);
  b.show = [](const DaemonOptions& o) { return o.server.http_port < 0 ? "" : std::to_string(o.server.http_port); };
  return b;
}

Binding SecretBind(std::string Opts::*field) {
  Binding b = Bind(field);
  b.show = [field](const DaemonOptions& o) { return (o.*field).empty() ? "" : "(set)"; };
  return b;
}

Binding SecretS3Bind(std::string S3Settings::*field) {
  Binding b = Bind(field);
  b.show = [field](const DaemonOptions& o) { return (o.server.store_s3.*field).empty() ? "" : "(set)"; };
  return b;
}

constexpr char kNoCounterpart[] = "no counterpart in this daemon";

std::vector<Setting> MakeRegistry() {
  return {
      // ---- logging: every command ----
      {.key = "logging.level", .flag = "--log-level", .env = {"MOSAICOD_LOG_LEVEL"},
       .help = "Least severe level logged (warning = warn)", .scope = kGlobal,
       .choices = {"trace", "debug", "info", "warning", "warn", "error"}, .bind = Bind(&Opts::log_level)},
      {.key = "logging.format", .flag = "--log-format", .env = {"MOSAICOD_LOG_FORMAT"},
       .help = "plain: `time level key=value ...` lines; json: one JSON object per line (ts, level and the line's "
               "key=value fields); pretty (the reference's name) = plain",
       .scope = kGlobal, .choices = {"plain", "json", "pretty"}, .bind = Bind(&Opts::log_format)},

      // ---- storage: every command that opens the catalog and the store ----
      {.key = "storage.data_dir", .flag = "--data-dir", .env = {"MOSAICOD_DATA_DIR"},
       .help = "Directory of the default catalog (catalog.db) and store (store/)", .scope = kStorage,
       .bind = Bind(&ServerConfig::data_dir)},
      {.key = "database.url", .flag = "--catalog", .env = {"MOSAICOD_CATALOG", "MOSAICOD_DB_URL"},
       .help = "Catalog: sqlite:///path/catalog.db, or postgresql://host:port/db (a catalog several daemons share)",
       .scope = kStorage, .default_text = "sqlite://<data_dir>/catalog.db", .bind = Bind(&ServerConfig::catalog_url)},
      {.key = "database.user", .flag = "--db-user", .env = {"MOSAICOD_DB_USER"},
       .help = "PostgreSQL user, when the URL names none", .scope = kStorage, .bind = Bind(&Opts::db_user)},
      {.key = "database.password", .env = {"MOSAICOD_DB_PASSWORD"},
       .help = "PostgreSQL password (never in the URL, never logged)", .scope = kStorage,
       .secret = Secret::kFileInConfig, .file_flag = "--db-password-file", .bind = SecretBind(&Opts::db_password)},
      {.key = "database.max_connections", .flag = "--max-db-connections", .env = {"MOSAICOD_MAX_DB_CONNECTIONS"},
       .type = SettingType::kInt,
       .help = "PostgreSQL connections this daemon opens at most, as they are needed (catalog calls it runs at once; "
               "more wait for one). Each daemon of a fleet has its own: keep daemons x this under the server's "
               "max_connections",
       .scope = kServe | kCleanup, .min = 1, .max = 1000, .bind = Bind(&ServerConfig::catalog_pool_size)},
      {.key = "store.uri", .flag = "--store", .env = {"MOSAICOD_STORE"},
       .help = "Object store: a directory, file:///dir, or s3://bucket[/prefix]", .scope = kStorage,
       .default_text = "<data_dir>/store", .bind = Bind(&ServerConfig::store_uri)},
      {.key = "store.endpoint", .flag = "--store-endpoint", .env = {"MOSAICOD_STORE_ENDPOINT"},
       .help = "file:///dir (a local store in dir/<bucket>), http(s)://host:port or host:port (an S3-compatible "
               "server), s3://bucket[/prefix]; empty: AWS S3 for an s3:// store",
       .scope = kStorage, .bind = Bind(&Opts::store_endpoint)},
      {.key = "store.bucket", .flag = "--store-bucket", .env = {"MOSAICOD_STORE_BUCKET"},
       .help = "Bucket (with an S3 endpoint: the store is s3://<bucket>) or, with a file:// endpoint, the "
               "directory under it",
       .scope = kStorage, .bind = Bind(&Opts::store_bucket)},
      {.key = "store.scheme", .flag = "--store-scheme", .env = {"MOSAICOD_STORE_SCHEME"},
       .help = "http or https for an S3 endpoint given as host:port", .scope = kStorage,
       .choices = {"http", "https"}, .bind = Bind(&S3Settings::scheme)},
      {.key = "store.region", .flag = "--store-region", .env = {"MOSAICOD_STORE_REGION"}, .help = "S3 region",
       .scope = kStorage, .bind = Bind(&S3Settings::region)},
      {.key = "store.access_key", .flag = "--store-access-key", .env = {"MOSAICOD_STORE_ACCESS_KEY"},
       .help = "S3 access key; with the secret key (else the AWS default chain)", .scope = kStorage,
       .secret = Secret::kAlsoFile, .file_flag = "--store-access-key-file", .bind = SecretS3Bind(&S3Settings::access_key)},
      {.key = "store.secret_key", .flag = "--store-secret-key", .env = {"MOSAICOD_STORE_SECRET_KEY"},
       .help = "S3 secret key (prefer the file forms: a flag shows in `ps`)", .scope = kStorage,
       .secret = Secret::kFileInConfig, .file_flag = "--store-secret-key-file",
       .bind = SecretS3Bind(&S3Settings::secret_key)},

      // ---- server (= run) ----
      {.key = "server.host", .flag = "--host", .env = {"MOSAICOD_HOST"}, .help = "Address to listen on",
       .scope = kServe, .bind = Bind(&ServerConfig::host)},
      {.key = "server.port", .flag = "--port", .env = {"MOSAICOD_PORT"}, .type = SettingType::kInt,
       .help = "TCP port (0: pick a free one)", .scope = kServe, .min = 0, .max = 65535,
       .bind = Bind(&ServerConfig::port)},
      {.key = "server.tls.enabled", .flag = "--tls", .env = {"MOSAICOD_TLS_ENABLED"}, .type = SettingType::kBool,
       .help = "Serve grpc+tls (needs the certificate and key); false: plaintext even when they are given",
       .scope = kServe, .default_text = "true when certificate and key are given", .bind = TlsEnabled()},
      {.key = "server.tls.certificate_file", .flag = "--tls-cert", .env = {"MOSAICOD_TLS_CERT", "MOSAICOD_TLS_CERT_FILE"},
       .help = "PEM certificate chain", .scope = kServe, .bind = Bind(&ServerConfig::tls_cert_path)},
      {.key = "server.tls.private_key_file", .flag = "--tls-key",
       .env = {"MOSAICOD_TLS_KEY", "MOSAICOD_TLS_PRIVATE_KEY_FILE"}, .help = "PEM private key of the certificate",
       .scope = kServe, .bind = Bind(&ServerConfig::tls_key_path)},
      {.key = "server.auth", .flag = "--auth", .env = {"MOSAICOD_AUTH"},
       .help = "Require API keys: auto (on unless the host is loopback), on, off (docs/SECURITY.md)", .scope = kServe,
       .choices = {"auto", "on", "off"}, .group = "auth", .bind = Bind(&ServerConfig::auth_mode)},
      {.key = "server.api_key_enabled", .flag = "--api-key", .env = {"MOSAICOD_API_KEY_ENABLED"},
       .type = SettingType::kBool, .help = "The reference's switch: true = server.auth on, false = off",
       .scope = kServe, .default_text = "(server.auth)", .group = "auth", .bind = ApiKeyEnabled()},
      {.key = "server.auth_cache_seconds", .flag = "--auth-cache-seconds", .env = {"MOSAICOD_AUTH_CACHE_SECONDS"},
       .type = SettingType::kFloat,
       .help = "Reuse a verified key record this long (a revocation made elsewhere takes up to this to apply)",
       .scope = kServe, .min = 0, .max = 3600, .bind = Bind(&ServerConfig::auth_cache_seconds)},
      {.key = "server.rebuild_if_missing", .flag = "--rebuild-if-missing", .env = {"MOSAICOD_REBUILD_IF_MISSING"},
       .type = SettingType::kBool,
       .help = "Rebuild a missing or unreadable catalog from the store (otherwise refuse to start)", .scope = kServe,
       .bind = Bind(&Opts::rebuild_if_missing)},
      {.key = "server.grpc.max_message_size", .key_aliases = {"server.grpc.max_decode_message_size"},
       .env = {"MOSAICOD_MAX_GRPC_MESSAGE_SIZE", "MOSAICOD_MAX_GRPC_DECODE_MESSAGE_SIZE", "MOSAICOD_MAX_MESSAGE_SIZE",
               "MOSAICOD_MAX_MESSAGE_SIZE_IN_BYTES"},
       .type = SettingType::kInt, .help = "limits.max_message_mb in bytes (the reference's names)", .scope = kServe,
       .min = 65536, .max = 2047 * kMiB, .group = "max_message", .unit_note = "bytes",
       .bind = BindBytes(&ServerConfig::grpc_max_decode_message_size, 1)},
      {.key = "server.grpc.target_message_size", .key_aliases = {"server.grpc.target_encode_message_size"},
       .env = {"MOSAICOD_TARGET_GRPC_ENCODE_MESSAGE_SIZE", "MOSAICOD_TARGET_MESSAGE_SIZE",
               "MOSAICOD_TARGET_MESSAGE_SIZE_IN_BYTES"},
       .type = SettingType::kInt, .help = "DoGet batches aim at this many bytes (at most the largest message)",
       .scope = kServe, .default_text = "min(4 MiB, half the largest message)", .min = 1024, .max = 2047 * kMiB,
       .unit_note = "bytes", .bind = TargetMessageBytes()},

      // ---- several daemons on one catalog (docs/PROTOCOL_NOTES.md "Striped reads") ----
      {.key = "cluster.advertise_uri", .flag = "--advertise-uri", .env = {"MOSAICOD_ADVERTISE_URI"},
       .help = "The address clients should use for this daemon (grpc://host:port or grpc+tls://host:port), "
               "registered in the catalog with a heartbeat; with several live, read endpoints spread over them. "
               "Unset: not registered",
       .scope = kServe, .bind = Bind(&ServerConfig::advertise_uri)},
      {.key = "cluster.heartbeat_seconds", .flag = "--heartbeat-seconds", .env = {"MOSAICOD_HEARTBEAT_SECONDS"},
       .type = SettingType::kFloat,
       .help = "How often a daemon with --advertise-uri beats in the catalog; it counts as dead (aged out) after "
               "3 missed beats",
       .scope = kServe, .min = 0.05, .max = 3600, .bind = Bind(&ServerConfig::heartbeat_seconds)},

      // ---- monitoring: /healthz, /readyz, /metrics (docs/OPERATIONS.md) ----
      {.key = "http.host", .flag = "--http-host", .env = {"MOSAICOD_HTTP_HOST"},
       .help = "Address of the monitoring listener and web console (plain HTTP; the console's API checks API keys, "
               "the monitoring endpoints do not: keep it on loopback or a monitoring network)",
       .scope = kServe, .bind = Bind(&ServerConfig::http_host)},
      {.key = "http.port", .flag = "--http-port", .env = {"MOSAICOD_HTTP_PORT"}, .type = SettingType::kInt,
       .help = "Port of the monitoring listener; 0: no listener. Unset: 6727, or none (a warning) when that port is "
               "taken; a port given must be free or the daemon does not start",
       .scope = kServe, .default_text = "6727 when free", .min = 0, .max = 65535, .bind = HttpPort()},

      // ---- limits (docs/SECURITY.md "Limits"; 0 disables each) ----
      {.key = "limits.max_message_mb", .flag = "--max-message-mb", .env = {"MOSAICOD_MAX_MESSAGE_MB"},
       .type = SettingType::kFloat,
       .help = "Largest gRPC message clients may send (reported by info; the SDK sizes its batches by it)",
       .scope = kServe, .min = 1.0 / 16, .max = 2047, .group = "max_message",
       .bind = BindBytes(&ServerConfig::grpc_max_decode_message_size, kMiB)},
      {.key = "limits.max_concurrent_streams", .flag = "--max-concurrent-streams",
       .env = {"MOSAICOD_MAX_CONCURRENT_STREAMS"}, .type = SettingType::kInt,
       .help = "In-flight DoPut/DoGet/query streams, daemon-wide; more are refused (UNAVAILABLE)", .scope = kServe,
       .min = 0, .max = 100000, .bind = Bind(&ServerConfig::max_concurrent_streams)},
      {.key = "limits.ingest_memory_mb", .flag = "--ingest-memory-mb", .env = {"MOSAICOD_INGEST_MEMORY_MB"},
       .type = SettingType::kFloat,
       .help = "Arrow data all DoPut streams may hold together; a stream over it waits (0: no budget)",
       .scope = kServe, .default_text = "a quarter of RAM (cgroup limit if lower), 256..16384", .min = 0,
       .bind = Bind(&ServerConfig::ingest_memory_mb)},
      {.key = "limits.request_timeout_seconds", .flag = "--request-timeout-seconds",
       .env = {"MOSAICOD_REQUEST_TIMEOUT_SECONDS"}, .type = SettingType::kFloat,
       .help = "Server-side time limit of an action or GetFlightInfo (DEADLINE_EXCEEDED)", .scope = kServe, .min = 0,
       .bind = Bind(&ServerConfig::request_timeout_seconds)},
      {.key = "limits.upload_idle_timeout_seconds", .flag = "--upload-idle-timeout-seconds",
       .env = {"MOSAICOD_UPLOAD_IDLE_TIMEOUT_SECONDS"}, .type = SettingType::kFloat,
       .help = "Abort a DoPut pausing longer than this between two messages", .scope = kServe, .min = 0,
       .bind = Bind(&ServerConfig::upload_idle_timeout_seconds)},
      {.key = "limits.max_metadata_bytes", .flag = "--max-metadata-bytes", .env = {"MOSAICOD_MAX_METADATA_BYTES"},
       .type = SettingType::kInt, .help = "Largest user_metadata JSON (sequence/topic create), notification message",
       .scope = kServe, .min = 0, .bind = Bind(&ServerConfig::max_metadata_bytes)},
      {.key = "limits.max_action_body_bytes", .flag = "--max-action-body-bytes",
       .env = {"MOSAICOD_MAX_ACTION_BODY_BYTES"}, .type = SettingType::kInt,
       .help = "Largest action body, flight descriptor or ticket", .scope = kServe, .min = 0,
       .bind = Bind(&ServerConfig::max_action_body_bytes)},

      // ---- ingest and queries ----
      {.key = "ingest.chunk_size_mb", .flag = "--chunk-size-mb", .env = {"MOSAICOD_CHUNK_SIZE_MB"},
       .type = SettingType::kInt, .help = "Roll a Parquet chunk every N MiB of ingested Arrow data", .scope = kServe,
       .min = 1, .max = 4096, .group = "chunk_size", .bind = BindBytes(&ServerConfig::chunk_target_bytes, kMiB)},
      {.key = "encoding.parquet_in_memory_encoding_buffer_size",
       .env = {"MOSAICOD_PARQUET_IN_MEMORY_ENCODING_BUFFER_SIZE", "MOSAICOD_MAX_CHUNK_SIZE_IN_BYTES"},
       .type = SettingType::kInt, .help = "ingest.chunk_size_mb in bytes (the reference's names)", .scope = kServe,
       .min = kMiB, .max = 4096 * kMiB, .group = "chunk_size", .unit_note = "bytes",
       .bind = BindBytes(&ServerConfig::chunk_target_bytes, 1)},
      {.key = "query.pruning", .flag = "--no-query-pruning", .env = {"MOSAICOD_QUERY_PRUNING"},
       .type = SettingType::kBool,
       .help = "Skip chunks and row groups by their value statistics (the flag turns it off, for benchmarks)",
       .scope = kServe, .switch_value = false, .bind = Bind(&ServerConfig::query_pruning)},

      // ---- background jobs (docs/JOBS.md) ----
      {.key = "jobs.workers", .flag = "--job-workers", .env = {"MOSAICOD_JOB_WORKERS"}, .type = SettingType::kInt,
       .help = "Background job workers; 0: this daemon runs no background jobs", .scope = kServe, .min = 0,
       .max = 64, .bind = Bind(&ServerConfig::job_workers)},
      {.key = "jobs.lease_seconds", .flag = "--job-lease-seconds", .env = {"MOSAICOD_JOB_LEASE_SECONDS"},
       .type = SettingType::kInt, .help = "A job whose daemon died runs again after this long", .scope = kServe,
       .min = 1, .max = 86400, .bind = Bind(&ServerConfig::job_lease_seconds)},

      // ---- cleanup: abandoned sessions and store garbage (the daemon's jobs, and `mosaicod cleanup`) ----
      {.key = "cleanup.time_interval", .flag = "--interval,--time-interval", .env = {"MOSAICOD_CLEANUP_TIME_INTERVAL"},
       .type = SettingType::kFloat, .help = "`cleanup`: seconds between runs until SIGTERM; 0: run once",
       .scope = kCleanup, .min = 0, .unit_note = "seconds", .bind = Bind(&Opts::cleanup_interval_seconds)},
      {.key = "cleanup.abandon_after_hours", .flag = "--abandon-after-hours", .env = {"MOSAICOD_ABANDON_AFTER_HOURS"},
       .type = SettingType::kFloat,
       .help = "An unfinalized session idle this long is deleted, with an error notification on its sequence",
       .scope = kServe | kCleanup, .min = 1e-9, .bind = Bind(&ServerConfig::abandon_after_hours)},
      {.key = "cleanup.gc_min_age_seconds", .key_aliases = {"cleanup.retention_duration"},
       .flag = "--gc-min-age-seconds,--retention-duration",
       .env = {"MOSAICOD_GC_MIN_AGE_SECONDS", "MOSAICOD_CLEANUP_RETENTION_DURATION"}, .type = SettingType::kInt,
       .help = "Store garbage younger than this is left alone (it may be work in flight)", .scope = kServe | kCleanup,
       .min = 0, .bind = Bind(&ServerConfig::gc_min_age_seconds)},
      {.key = "cleanup.sweep_interval_seconds", .flag = "--sweep-interval-seconds",
       .env = {"MOSAICOD_SWEEP_INTERVAL_SECONDS"}, .type = SettingType::kFloat,
       .help = "How often the daemon looks for abandoned sessions (0: never from this daemon)", .scope = kServe,
       .min = 0, .bind = Bind(&ServerConfig::sweep_interval_seconds)},
      {.key = "cleanup.gc_interval_minutes", .flag = "--gc-interval-minutes", .env = {"MOSAICOD_GC_INTERVAL_MINUTES"},
       .type = SettingType::kFloat,
       .help = "How often the daemon sweeps the whole store for garbage (0: never; garbage is collected per "
               "sequence after the operations that leave it)",
       .scope = kServe, .min = 0, .bind = Bind(&ServerConfig::gc_interval_minutes)},

      // ---- compaction of finalized topics (jobs/compaction.h) ----
      {.key = "compaction.chunk_size_mb", .flag = "--compact-chunk-size-mb", .env = {"MOSAICOD_COMPACT_CHUNK_SIZE_MB"},
       .type = SettingType::kFloat, .help = "Compacted chunks roll every N MiB of Arrow data", .scope = kServe,
       .default_text = "ingest.chunk_size_mb", .min = 0, .max = 4096, .group = "compact_chunk",
       .bind = Bind(&ServerConfig::compact_chunk_size_mb)},
      {.key = "store_optimizer.max_chunk_size", .env = {"MOSAICOD_STORE_OPTIMIZER_MAX_CHUNK_SIZE"},
       .type = SettingType::kInt, .help = "compaction.chunk_size_mb in bytes (the reference's name)",
       .scope = kServe, .default_text = "(compaction.chunk_size_mb)", .min = kMiB, .max = 4096 * kMiB,
       .group = "compact_chunk", .unit_note = "bytes", .bind = CompactChunkBytes()},
      {.key = "compaction.below_mb", .flag = "--compact-below-mb", .env = {"MOSAICOD_COMPACT_BELOW_MB"},
       .type = SettingType::kFloat,
       .help = "Compact a topic with at least two chunks under this many MiB of Parquet (0: never)", .scope = kServe,
       .default_text = "a quarter of compaction.chunk_size_mb", .min = 0,
       .bind = Bind(&ServerConfig::compact_below_mb)},
      {.key = "compaction.grace_seconds", .flag = "--compaction-grace-seconds",
       .env = {"MOSAICOD_COMPACTION_GRACE_SECONDS"}, .type = SettingType::kFloat,
       .help = "A compacted topic's old chunks are deleted this long after the swap", .scope = kServe, .min = 0,
       .bind = Bind(&ServerConfig::compaction_grace_seconds)},

      // ---- the reference's settings without a counterpart: accepted, warned about, no effect ----
      {.key = "server.gzip_enabled", .flag = "--gzip", .env = {"MOSAICOD_GZIP_ENABLED"}, .type = SettingType::kBool,
       .help = "gzip compression of gRPC messages", .scope = kServe | kCleanup,
       .ignored = "the Arrow Flight server compresses nothing; Parquet chunks are zstd-compressed"},
      {.key = "server.max_batch_size", .env = {"MOSAICOD_MAX_BATCH_SIZE"}, .type = SettingType::kInt,
       .help = "rows per streamed batch", .scope = kServe | kCleanup,
       .ignored = "DoGet batches are sized in bytes (server.grpc.target_message_size)"},
      {.key = "server.default_parallelism", .env = {"MOSAICOD_DEFAULT_PARALLELISM"}, .type = SettingType::kInt,
       .help = "degree of parallelism", .scope = kServe | kCleanup, .ignored = kNoCounterpart},
      {.key = "server.max_concurrent_writes", .env = {"MOSAICOD_MAX_CONCURRENT_WRITES"}, .type = SettingType::kInt,
       .help = "concurrent chunk encodings", .scope = kServe | kCleanup, .ignored = kNoCounterpart},
      {.key = "query_engine.memory_pool_size",
       .env = {"MOSAICOD_QUERY_ENGINE_MEMORY_POOL_SIZE", "MOSAICOD_QUERY_ENGINE_MEMORY_POOL_IN_BYTES"},
       .type = SettingType::kInt, .help = "query engine memory limit", .scope = kServe | kCleanup,
       .ignored = "queries stream chunk by chunk; there is no query engine pool"},
      {.key = "query_engine.max_concurrent_chunk_queries", .env = {"MOSAICOD_MAX_CONCURRENT_CHUNK_QUERIES"},
       .type = SettingType::kInt, .help = "concurrent chunk scans of one query", .scope = kServe | kCleanup,
       .ignored = kNoCounterpart},
      {.key = "query_engine.max_size_plain_list_eq", .env = {"MOSAICOD_MAX_SIZE_PLAIN_LIST_EQ"},
       .type = SettingType::kInt, .help = "list eq/neq filters unrolled up to this size", .scope = kServe | kCleanup,
       .ignored = "list conditions are evaluated whole (docs/QUERY.md)"},
      {.key = "store_optimizer.time_interval", .env = {"MOSAICOD_STORE_OPTIMIZER_TIME_INTERVAL"},
       .type = SettingType::kInt, .help = "store-optimizer command interval", .scope = kServe | kCleanup,
       .ignored = "topics are compacted by the daemon's jobs after finalize; there is no store-optimizer command"},
      {.key = "store_optimizer.memory_pool_size", .env = {"MOSAICOD_STORE_OPTIMIZER_MEMORY_POOL_SIZE"},
       .type = SettingType::kInt, .help = "store optimizer memory limit", .scope = kServe | kCleanup,
       .ignored = "compaction streams one topic at a time"},
  };
}

}  // namespace

const std::vector<Setting>& Registry() {
  static const std::vector<Setting> registry = MakeRegistry();
  return registry;
}

}  // namespace mosaicod
