// mosaicod: the Mosaico data platform daemon.
//
//   mosaicod run [--host H] [--port P] [--data-dir DIR] [--catalog URL] [--store URI] [--chunk-size-mb N]
//                [--max-message-mb N] [--log-level L] [--job-workers N] [--job-lease-seconds N]
//                [--abandon-after-hours H] [--sweep-interval-seconds S] [--gc-interval-minutes M]
//                [--gc-min-age-seconds S] [--compact-below-mb N] [--compact-chunk-size-mb N]
//                [--compaction-grace-seconds S] [--max-concurrent-streams N] [--request-timeout-seconds S]
//                [--upload-idle-timeout-seconds S] [--max-metadata-bytes N] [--max-action-body-bytes N]
//                [--auth auto|on|off] [--auth-cache-seconds S]
//   mosaicod api-key create|list|status|revoke|purge ...   (apps/mosaicod/api_key_commands.h)
// Every flag has an environment equivalent with the MOSAICOD_ prefix (MOSAICOD_HOST, MOSAICOD_PORT, ...);
// a flag given on the command line wins over the environment.
#include <algorithm>
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "mosaico/server/server_runner.h"
#include "mosaico/store/object_store.h"
#include "api_key_commands.h"
#include "recovery_commands.h"
#include "store_options.h"

namespace {

void SetupLogging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("mosaicod");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mosaicod: stores robot recordings as typed, queryable Arrow datasets, served over Arrow Flight"};
  app.require_subcommand(1);

  mosaico::server::ServerConfig config;
  std::string log_level = "info";
  int64_t chunk_mb = config.chunk_target_bytes >> 20;
  int64_t message_mb = config.grpc_max_decode_message_size >> 20;
  bool no_query_pruning = false;
  mosaicod::StoreOptions store_options;

  // Storage and logging options, the same on every subcommand.
  auto add_common = [&](CLI::App* cmd) {
    cmd->add_option("--data-dir", config.data_dir, "Directory holding the embedded catalog and store")
        ->envname("MOSAICOD_DATA_DIR")->capture_default_str();
    cmd->add_option("--catalog", config.catalog_url, "Catalog URL (default sqlite://<data-dir>/catalog.db)")
        ->envname("MOSAICOD_CATALOG");
    cmd->add_option("--store", config.store_uri, "Object store: a directory or s3://bucket[/prefix] (default <data-dir>/store)")
        ->envname("MOSAICOD_STORE");
    store_options.AddTo(cmd);
    cmd->add_option("--log-level", log_level, "trace|debug|info|warn|error")
        ->envname("MOSAICOD_LOG_LEVEL")->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
        ->capture_default_str();
  };

  bool rebuild_if_missing = false;
  auto* run = app.add_subcommand("run", "Serve Arrow Flight until SIGINT/SIGTERM");
  add_common(run);
  run->add_option("--host", config.host, "Address to bind")->envname("MOSAICOD_HOST")->capture_default_str();
  run->add_option("--tls-cert", config.tls_cert_path, "PEM certificate chain: serve grpc+tls (with --tls-key)")
      ->envname("MOSAICOD_TLS_CERT");
  run->add_option("--tls-key", config.tls_key_path, "PEM private key of --tls-cert")->envname("MOSAICOD_TLS_KEY");
  // API keys (docs/SECURITY.md; keys are managed with `mosaicod api-key`).
  run->add_option("--auth", config.auth_mode, "Require API keys: auto (on unless the host is loopback), on, off")
      ->envname("MOSAICOD_AUTH")->check(CLI::IsMember({"auto", "on", "off"}))->capture_default_str();
  run->add_option("--auth-cache-seconds", config.auth_cache_seconds,
                  "Reuse a verified key record this long (a revocation made elsewhere takes up to this to apply)")
      ->envname("MOSAICOD_AUTH_CACHE_SECONDS")->check(CLI::Range(0.0, 3600.0))->capture_default_str();
  // Monitoring listener: /healthz, /readyz, /metrics (server/monitoring.h, docs/OPERATIONS.md).
  run->add_option("--http-host", config.http_host, "Address of the monitoring listener (plain HTTP, no API key)")
      ->envname("MOSAICOD_HTTP_HOST")->capture_default_str();
  run->add_option("--http-port", config.http_port,
                  "Port of the monitoring listener; 0: none. Default: 6727, or none (a warning) when that port is "
                  "taken; a port given must be free or the daemon does not start")
      ->envname("MOSAICOD_HTTP_PORT")->check(CLI::Range(0, 65535));
  run->add_option("--port", config.port, "TCP port (0 = pick a free one)")
      ->envname("MOSAICOD_PORT")->check(CLI::Range(0, 65535))->capture_default_str();
  run->add_flag("--rebuild-if-missing", rebuild_if_missing,
                "Rebuild the catalog from the store when it is missing or unreadable (otherwise refuse to start)")
      ->envname("MOSAICOD_REBUILD_IF_MISSING");
  run->add_option("--chunk-size-mb", chunk_mb, "Roll a Parquet chunk every N MiB of ingested Arrow data")
      ->envname("MOSAICOD_CHUNK_SIZE_MB")->check(CLI::Range(1, 4096))->capture_default_str();
  run->add_flag("--no-query-pruning", no_query_pruning,
                "Queries read every chunk and row group (no skipping by value statistics); for benchmarks");
  run->add_option("--max-message-mb", message_mb, "Largest gRPC message clients should send (reported by info)")
      ->envname("MOSAICOD_MAX_MESSAGE_MB")->check(CLI::Range(1, 2047))->capture_default_str();
  // Limits (server/limits.h, docs/SECURITY.md "Limits"); 0 disables each.
  run->add_option("--max-concurrent-streams", config.max_concurrent_streams,
                  "In-flight DoPut/DoGet/query streams, daemon-wide; more are refused (UNAVAILABLE)")
      ->envname("MOSAICOD_MAX_CONCURRENT_STREAMS")->check(CLI::Range(0, 100000))->capture_default_str();
  run->add_option("--request-timeout-seconds", config.request_timeout_seconds,
                  "Server-side time limit of an action or GetFlightInfo (DEADLINE_EXCEEDED; fractional allowed)")
      ->envname("MOSAICOD_REQUEST_TIMEOUT_SECONDS")->check(CLI::NonNegativeNumber)->capture_default_str();
  run->add_option("--upload-idle-timeout-seconds", config.upload_idle_timeout_seconds,
                  "Abort a DoPut whose client pauses longer than this between two messages")
      ->envname("MOSAICOD_UPLOAD_IDLE_TIMEOUT_SECONDS")->check(CLI::NonNegativeNumber)->capture_default_str();
  run->add_option("--max-metadata-bytes", config.max_metadata_bytes,
                  "Largest user_metadata JSON (sequence/topic create) and notification message")
      ->envname("MOSAICOD_MAX_METADATA_BYTES")->check(CLI::NonNegativeNumber)->capture_default_str();
  run->add_option("--max-action-body-bytes", config.max_action_body_bytes,
                  "Largest action body, flight descriptor command or ticket")
      ->envname("MOSAICOD_MAX_ACTION_BODY_BYTES")->check(CLI::NonNegativeNumber)->capture_default_str();
  // Background jobs (docs/JOBS.md).
  run->add_option("--job-workers", config.job_workers, "Background job workers; 0 = this daemon runs no jobs")
      ->envname("MOSAICOD_JOB_WORKERS")->check(CLI::Range(0, 64))->capture_default_str();
  run->add_option("--job-lease-seconds", config.job_lease_seconds,
                  "A job whose daemon died is run again after this long")
      ->envname("MOSAICOD_JOB_LEASE_SECONDS")->check(CLI::Range(int64_t{1}, int64_t{86400}))->capture_default_str();
  run->add_option("--abandon-after-hours", config.abandon_after_hours,
                  "Remove an unfinalized session idle this long (fractional allowed), with a notification")
      ->envname("MOSAICOD_ABANDON_AFTER_HOURS")->check(CLI::PositiveNumber)->capture_default_str();
  run->add_option("--sweep-interval-seconds", config.sweep_interval_seconds,
                  "How often to look for abandoned sessions (fractional allowed; 0 = never from this daemon)")
      ->envname("MOSAICOD_SWEEP_INTERVAL_SECONDS")->check(CLI::NonNegativeNumber)->capture_default_str();
  run->add_option("--gc-interval-minutes", config.gc_interval_minutes,
                  "How often to garbage-collect the store (fractional allowed; 0 = never from this daemon)")
      ->envname("MOSAICOD_GC_INTERVAL_MINUTES")->check(CLI::NonNegativeNumber)->capture_default_str();
  run->add_option("--gc-min-age-seconds", config.gc_min_age_seconds,
                  "The store GC leaves garbage younger than this alone (it may be work in flight)")
      ->envname("MOSAICOD_GC_MIN_AGE_SECONDS")->check(CLI::NonNegativeNumber)->capture_default_str();
  // Compaction of finalized topics (jobs/compaction.h).
  run->add_option("--compact-below-mb", config.compact_below_mb,
                  "Merge a finalized topic's chunks smaller than this many MiB of Parquet (0 = no compaction; "
                  "default: a quarter of --compact-chunk-size-mb)")
      ->envname("MOSAICOD_COMPACT_BELOW_MB")->check(CLI::NonNegativeNumber);
  run->add_option("--compact-chunk-size-mb", config.compact_chunk_size_mb,
                  "Compacted chunks roll every N MiB of Arrow data (default: --chunk-size-mb)")
      ->envname("MOSAICOD_COMPACT_CHUNK_SIZE_MB")->check(CLI::Range(0.0, 4096.0));
  run->add_option("--compaction-grace-seconds", config.compaction_grace_seconds,
                  "Delete a compacted topic's old chunks this long after the swap (readers may still stream them)")
      ->envname("MOSAICOD_COMPACTION_GRACE_SECONDS")->check(CLI::NonNegativeNumber)->capture_default_str();

  mosaicod::RebuildCommand rebuild_cmd;
  auto* rebuild = app.add_subcommand("rebuild", "Recreate the catalog from the object store alone");
  add_common(rebuild);
  rebuild->add_flag("--force", rebuild_cmd.force, "Replace an existing catalog (kept as <file>.bak-<time>)");
  rebuild->add_flag("--verify-checksums", rebuild_cmd.verify_checksums, "Re-read every chunk and check its CRC32");

  mosaicod::CheckCommand check_cmd;
  auto* check = app.add_subcommand("check", "Report every disagreement between catalog and store (exit 1 if any)");
  add_common(check);
  check->add_flag("--verify-checksums", check_cmd.verify_checksums, "Re-read every chunk and check its CRC32");
  check->add_flag("--repair", check_cmd.repair, "Fix what is safely fixable, report the rest");
  check->add_option("--min-upload-age", check_cmd.min_upload_age_seconds,
                    "Seconds after which an unfinished upload counts as abandoned (repair deletes it)")
      ->check(CLI::NonNegativeNumber)->capture_default_str();

  mosaicod::ImportCommand import_cmd;
  auto* import = app.add_subcommand("import", "Bring the sequences of another store into this one, verifying checksums");
  add_common(import);
  import->add_option("--from", import_cmd.from, "Source: a mosaicod data dir or a store directory")->required();
  import->add_option("--on-duplicate", import_cmd.on_duplicate, "What to do with a name that exists here")
      ->check(CLI::IsMember({"fail", "skip", "rename"}))->capture_default_str();

  mosaicod::ApiKeyCommands api_key_cmds;
  mosaicod::AddApiKeyCommands(app, add_common, &api_key_cmds);

  CLI11_PARSE(app, argc, argv);
  SetupLogging(log_level);
  if (auto st = store_options.Resolve(); !st.ok()) {
    std::cerr << "mosaicod: " << st.message() << "\n";
    return 2;
  }
  config.store_s3 = store_options.s3;

  auto run_subcommand = [&]() -> int {
    if (*rebuild) return mosaicod::RunRebuild(config, rebuild_cmd);
    if (*check) return mosaicod::RunCheck(config, check_cmd);
    if (*import) return mosaicod::RunImport(config, import_cmd);
    if (mosaicod::ApiKeyCommandGiven(api_key_cmds)) return mosaicod::RunApiKeyCommand(config, api_key_cmds);
    if (!*run) return 0;
    mosaico::server::BlockShutdownSignals();  // before start-up work creates threads (S3 client, arrow pools)
    if (int code = mosaicod::PrepareCatalog(config, rebuild_if_missing); code != 0) return code;
    config.chunk_target_bytes = chunk_mb << 20;
    config.query_pruning = !no_query_pruning;
    config.grpc_max_decode_message_size = message_mb << 20;
    config.grpc_max_encode_message_size = message_mb << 20;
    // DoGet batches aim well below the encode limit: IPC framing and padding come on top of the Arrow buffers.
    config.grpc_target_encode_message_size = std::min<int64_t>(4LL << 20, config.grpc_max_encode_message_size / 2);
    auto st = mosaico::server::RunServer(config);
    if (!st.ok()) {
      spdlog::critical("event=fatal status=\"{}\"", st.ToString());
      return 1;
    }
    return 0;
  };
  const int code = run_subcommand();
  mosaico::store::ObjectStore::FinalizeS3IfUsed();  // the AWS SDK must shut down before static destructors run
  return code;
}
