// mosaicod: the Mosaico data platform daemon (README.md "Running", docs/CONFIGURATION.md).
//
//   mosaicod [--config FILE] [--log-level L] [--log-format plain|json] [--version] COMMAND [options]
//     server (= run)      serve Arrow Flight until SIGINT/SIGTERM
//     cleanup             abandoned sessions + store garbage, once or every --interval S (cleanup_command.h)
//     rebuild|check|import  the store is the source of truth (recovery_commands.h)
//     api-key create|list|status|revoke|purge                  (api_key_commands.h)
//     config --show | --print-toml | --print-table             effective settings, a config.toml, the docs tables
// Every setting is defined once, in settings_table.cc: flag > MOSAICOD_* variable (the reference mosaicod's names
// too) > config file > default. `mosaicod COMMAND --help` lists each command's flags with their variables.
#include <cstdlib>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "api_key_commands.h"
#include "cleanup_command.h"
#include "cli_flags.h"
#include "config_file.h"
#include "env_compat.h"
#include "existing_storage.h"
#include "log_setup.h"
#include "mosaico/server/server_runner.h"
#include "mosaico/server/startup_checks.h"
#include "mosaico/store/object_store.h"
#include "recovery_commands.h"
#include "settings_docs.h"
#include "version.h"

namespace {

using namespace mosaicod;

// Settings of `scope` from the command line, the environment and the config file into `options`; logging set up.
// Returns 0, or the exit code after saying what is wrong.
int Configure(const std::optional<std::string>& config_flag, const FlagValues& flags, unsigned scope,
              DaemonOptions* options, Resolution* resolution, std::optional<std::string>* config_path) {
  auto fail = [](const arrow::Status& st) {
    std::cerr << "mosaicod: " << st.message() << "\n";
    return 2;
  };
  const Environment env = Environment::FromProcess();
  auto path = FindConfigFile(config_flag, env);
  if (!path.ok()) return fail(path.status());
  *config_path = *path;
  std::optional<ConfigFile> file;
  if (*path) {
    auto loaded = ConfigFile::Load(**path);
    if (!loaded.ok()) return fail(loaded.status());
    file = std::move(*loaded);
  }
  auto resolved = ResolveSettings(scope, {&flags, &env, file ? &*file : nullptr}, options);
  if (!resolved.ok()) return fail(resolved.status());
  *resolution = std::move(*resolved);
  if (auto st = FinishOptions(*resolution, options, &resolution->warnings); !st.ok()) return fail(st);
  if (auto st = SetupLogging(options->log_level, options->log_format); !st.ok()) return fail(st);
  for (const auto& [name, near] : UnknownMosaicodVariables(env)) {
    spdlog::warn("event=config_unknown_variable name={}{} hint=\"not a mosaicod setting (docs/CONFIGURATION.md)\"",
                 name, near.empty() ? "" : " did_you_mean=" + near);
  }
  for (const auto& w : resolution->warnings) spdlog::warn("{}", w);
  for (const auto& [name, value] : options->libpq_env) setenv(name.c_str(), value.c_str(), 1);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mosaicod: stores robot recordings as typed, queryable Arrow datasets, served over Arrow Flight"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags (--config, logging) are accepted after the command too
  app.footer("Global options, before or after the command: --config FILE, --log-level, --log-format, --version.\n"
             "Settings: flag > MOSAICOD_* variable > config file > default (docs/CONFIGURATION.md; "
             "`mosaicod config --show`).");
  app.set_version_flag("--version", std::string("mosaicod ") + Version());
  std::optional<std::string> config_flag;
  app.add_option("--config", config_flag, "Config file (TOML; docs/CONFIGURATION.md) [MOSAICOD_CONFIG_FILE]")
      ->type_name("FILE");
  FlagValues flags;
  AddGlobalSettingFlags(&app, &flags);
  auto add_storage = [&](CLI::App* cmd) { AddSettingFlags(cmd, kStorage, &flags); };

  auto* run = app.add_subcommand("run", "Serve Arrow Flight until SIGINT/SIGTERM (also: server)");
  run->alias("server");
  AddSettingFlags(run, kStorage | kServe, &flags);

  auto* cleanup = app.add_subcommand("cleanup", "Remove abandoned sessions and store garbage, once or every --interval");
  AddSettingFlags(cleanup, kStorage | kCleanup, &flags);

  RebuildCommand rebuild_cmd;
  auto* rebuild = app.add_subcommand("rebuild", "Recreate the catalog from the object store alone");
  add_storage(rebuild);
  rebuild->add_flag("--force", rebuild_cmd.force, "Replace an existing catalog (kept as <file>.bak-<time>)");
  rebuild->add_flag("--verify-checksums", rebuild_cmd.verify_checksums, "Re-read every chunk and check its CRC32");

  CheckCommand check_cmd;
  auto* check = app.add_subcommand("check", "Report every disagreement between catalog and store (exit 1 if any)");
  add_storage(check);
  check->add_flag("--verify-checksums", check_cmd.verify_checksums, "Re-read every chunk and check its CRC32");
  check->add_flag("--repair", check_cmd.repair, "Fix what is safely fixable, report the rest");
  check->add_option("--min-upload-age", check_cmd.min_upload_age_seconds,
                    "Seconds after which an unfinished upload counts as abandoned (repair deletes it)")
      ->check(CLI::NonNegativeNumber)->capture_default_str();

  ImportCommand import_cmd;
  auto* import = app.add_subcommand("import", "Bring the sequences of another store into this one, verifying checksums");
  add_storage(import);
  import->add_option("--from", import_cmd.from, "Source: a mosaicod data dir or a store directory")->required();
  import->add_option("--on-duplicate", import_cmd.on_duplicate, "What to do with a name that exists here")
      ->check(CLI::IsMember({"fail", "skip", "rename"}))->capture_default_str();

  ApiKeyCommands api_key_cmds;
  AddApiKeyCommands(app, add_storage, &api_key_cmds);

  bool show = false, print_toml = false, print_table = false;
  auto* config = app.add_subcommand("config", "Show the effective settings, or print a config.toml / the docs tables");
  AddSettingFlags(config, kAllScopes, &flags);
  auto* show_flag = config->add_flag("--show", show, "Every setting's value and where it came from");
  auto* toml_flag = config->add_flag("--print-toml", print_toml, "A config.toml with every key at its default");
  config->add_flag("--print-table", print_table, "The settings tables of docs/CONFIGURATION.md")
      ->excludes(show_flag)->excludes(toml_flag);
  toml_flag->excludes(show_flag);

  CLI11_PARSE(app, argc, argv);
  if (print_table || print_toml) {
    std::cout << (print_table ? SettingsDocsBlock() : SampleConfigToml());
    return 0;
  }
  const unsigned scope = *run ? kGlobal | kStorage | kServe
                         : *cleanup ? kGlobal | kStorage | kCleanup
                         : *config  ? kAllScopes
                                    : kGlobal | kStorage;
  DaemonOptions options;
  Resolution resolution;
  std::optional<std::string> config_path;
  if (int code = Configure(config_flag, flags, scope, &options, &resolution, &config_path); code != 0) return code;
  const mosaico::server::ServerConfig& server = options.server;
  if (*config) {
    std::cout << "# config file: " << config_path.value_or("(none)") << "\n" << ShowSettings(resolution, options);
    return 0;
  }
  const std::string command = *run ? "server" : (*app.get_subcommands().front()).get_name();
  spdlog::info("event=start version={} command={} config_file={}", Version(), command, config_path.value_or("none"));

  auto run_command = [&]() -> int {
    // Admin commands never create a missing data dir (existing_storage.h); import may fill a new destination.
    if (*rebuild || *check || ApiKeyCommandGiven(api_key_cmds)) {
      if (int code = RequireExistingStorage(server, command); code != 0) return code;
    }
    if (*rebuild) return RunRebuild(server, rebuild_cmd);
    if (*check) return RunCheck(server, check_cmd);
    if (*import) return RunImport(server, import_cmd);
    if (ApiKeyCommandGiven(api_key_cmds)) return RunApiKeyCommand(server, api_key_cmds);
    if (*cleanup) return RunCleanup(server, options.cleanup_interval_seconds);
    // Address in use, unwritable data dir: one clear line now rather than gRPC noise or SQL errors later.
    if (auto st = mosaico::server::CheckServeStartup(server); !st.ok()) {
      spdlog::critical("event=fatal status=\"{}\"", st.message());
      std::cerr << "mosaicod: " << st.message() << "\n";
      return 1;
    }
    mosaico::server::BlockShutdownSignals();  // before start-up work creates threads (S3 client, arrow pools)
    if (int code = PrepareCatalog(server, options.rebuild_if_missing); code != 0) return code;
    auto st = mosaico::server::RunServer(server);
    if (!st.ok()) {
      spdlog::critical("event=fatal status=\"{}\"", st.ToString());
      return 1;
    }
    return 0;
  };
  const int code = run_command();
  mosaico::store::ObjectStore::FinalizeS3IfUsed();  // the AWS SDK must shut down before static destructors run
  return code;
}
