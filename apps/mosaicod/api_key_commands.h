// `mosaicod api-key create|list|status|revoke|purge`: API key management from the command line, on the catalog and
// store a daemon uses (same --data-dir / --catalog / --store flags as `run`). Works while daemons run: a new key is
// accepted at once, a revocation within their --auth-cache-seconds. See docs/SECURITY.md.
//
//   api-key create --permissions read|write|delete (any combination joined by |) [--description TEXT]
//                  [--expires-in 90d | --expires-at 2027-01-31[T12:00:00Z]] [--token-only]
//                  prints the token once (with --token-only: the token alone, for scripts)
//   api-key list                 every key: fingerprint, permissions, status, times, description
//   api-key status <fingerprint> one key
//   api-key revoke <fingerprint> revoke (idempotent)
//   api-key purge                delete revoked and expired keys
// Exit codes: 0 done; 1 bad input or unknown fingerprint; 2 the catalog or store failed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <CLI/CLI.hpp>
#include <arrow/result.h>

#include "mosaico/server/server_config.h"

namespace mosaicod {

struct ApiKeyCommands {
  CLI::App* root = nullptr;
  CLI::App* create = nullptr;
  CLI::App* list = nullptr;
  CLI::App* status = nullptr;
  CLI::App* revoke = nullptr;
  CLI::App* purge = nullptr;
  std::string permissions;
  std::string description;
  std::string expires_in;
  std::string expires_at;
  bool token_only = false;
  std::string fingerprint;  // status / revoke
};

// Adds `api-key` and its subcommands to `app`; `add_common` adds the storage and logging flags to each.
void AddApiKeyCommands(CLI::App& app, const std::function<void(CLI::App*)>& add_common, ApiKeyCommands* cmds);
// True when the command line named an api-key subcommand.
bool ApiKeyCommandGiven(const ApiKeyCommands& cmds);
int RunApiKeyCommand(const mosaico::server::ServerConfig& config, const ApiKeyCommands& cmds);

// "90d", "12h", "30m", "45s", "2w", or a sum such as "1d12h" -> nanoseconds. InvalidArgument otherwise.
arrow::Result<int64_t> ParseDurationNs(const std::string& text);
// "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS" with an optional "Z" (always UTC) -> ns since the epoch.
arrow::Result<int64_t> ParseUtcTimeNs(const std::string& text);

}  // namespace mosaicod
