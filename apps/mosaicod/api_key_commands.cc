#include "api_key_commands.h"

#include <time.h>

#include <cstdio>
#include <iostream>

#include <spdlog/spdlog.h>

#include "mosaico/auth/key_manager.h"
#include "mosaico/auth/key_record.h"
#include "mosaico/catalog/catalog.h"
#include "mosaico/core/clock.h"
#include "mosaico/core/errors.h"
#include "mosaico/store/object_store.h"

namespace mosaicod {
namespace {

using mosaico::catalog::ApiKeyRecord;
constexpr int64_t kNsPerSecond = 1000000000LL;

std::string Time(const std::optional<int64_t>& ns, const char* none) { return ns ? mosaico::FormatUtc(*ns) : none; }

int Fail(const std::string& what, const arrow::Status& st) {
  spdlog::error("event=api_key_{}_failed status=\"{}\"", what, st.ToString());
  std::cerr << "mosaicod api-key " << what << ": " << st.message() << "\n";
  return st.IsInvalid() || st.IsKeyError() ? 1 : 2;
}

std::string Flags(const ApiKeyRecord& k) { return mosaico::auth::Permissions::FromBits(k.permissions).ToString(); }

void PrintKey(const ApiKeyRecord& k, int64_t now) {
  std::cout << "fingerprint  " << k.fingerprint << "\n"
            << "permissions  " << Flags(k) << "\n"
            << "status       " << mosaico::auth::KeyStateName(mosaico::auth::StateOf(k, now)) << "\n"
            << "created      " << mosaico::FormatUtc(k.created_at_ns) << "\n"
            << "expires      " << Time(k.expires_at_ns, "never") << "\n"
            << "revoked      " << Time(k.revoked_at_ns, "no") << "\n"
            << "description  " << k.description << "\n";
}

arrow::Result<std::optional<int64_t>> Expiry(const ApiKeyCommands& cmds, int64_t now) {
  if (!cmds.expires_in.empty()) {
    ARROW_ASSIGN_OR_RAISE(int64_t d, ParseDurationNs(cmds.expires_in));
    return std::optional<int64_t>(now + d);
  }
  if (!cmds.expires_at.empty()) {
    ARROW_ASSIGN_OR_RAISE(int64_t at, ParseUtcTimeNs(cmds.expires_at));
    return std::optional<int64_t>(at);
  }
  return std::optional<int64_t>();
}

int Create(mosaico::auth::ApiKeyManager& keys, const ApiKeyCommands& cmds) {
  auto permissions = mosaico::auth::ParsePermissions(cmds.permissions, "--permissions");
  if (!permissions.ok()) return Fail("create", permissions.status());
  const int64_t now = mosaico::NowNs();
  auto expires = Expiry(cmds, now);
  if (!expires.ok()) return Fail("create", expires.status());
  auto created = keys.Create(*permissions, cmds.description, *expires, now);
  if (!created.ok()) return Fail("create", created.status());
  spdlog::info("event=api_key_created fingerprint={} permissions={} by=cli", created->record.fingerprint,
               Flags(created->record));
  if (cmds.token_only) {
    std::cout << created->token << "\n";
    return 0;
  }
  std::cout << "created API key " << created->record.fingerprint << " (permissions " << Flags(created->record)
            << ", expires " << Time(created->record.expires_at_ns, "never") << ")\n"
            << "token (shown only now; keep it secret): " << created->token << "\n";
  return 0;
}

int List(mosaico::auth::ApiKeyManager& keys) {
  auto all = keys.List();
  if (!all.ok()) return Fail("list", all.status());
  const int64_t now = mosaico::NowNs();
  std::printf("%-11s %-17s %-8s %-30s %-30s %s\n", "FINGERPRINT", "PERMISSIONS", "STATUS", "CREATED", "EXPIRES",
              "DESCRIPTION");
  for (const auto& k : *all) {
    std::printf("%-11s %-17s %-8s %-30s %-30s %s\n", k.fingerprint.c_str(), Flags(k).c_str(),
                mosaico::auth::KeyStateName(mosaico::auth::StateOf(k, now)),
                mosaico::FormatUtc(k.created_at_ns).c_str(),
                Time(k.expires_at_ns, "never").c_str(), k.description.c_str());
  }
  std::printf("%zu key(s)\n", all->size());
  return 0;
}

}  // namespace

arrow::Result<int64_t> ParseDurationNs(const std::string& text) {
  auto bad = [&] {
    return mosaico::InvalidArgument("--expires-in '" + text +
                                    "' is not a duration such as 90d, 12h, 30m, 45s, 2w or 1d12h");
  };
  if (text.empty()) return bad();
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (n > 1000000000LL) return bad();
      n = n * 10 + (text[i++] - '0');
    }
    if (i == start || i == text.size()) return bad();
    int64_t unit = 0;
    switch (text[i++]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 7 * 86400; break;
      default: return bad();
    }
    if (n > (INT64_MAX / kNsPerSecond) / unit) return bad();
    total += n * unit * kNsPerSecond;
    if (total > INT64_MAX / 4) return bad();
  }
  if (total <= 0) return bad();
  return total;
}

arrow::Result<int64_t> ParseUtcTimeNs(const std::string& text) {
  std::string t = text;
  if (!t.empty() && t.back() == 'Z') t.pop_back();
  struct tm tm = {};
  const char* end = nullptr;
  if (t.size() == 10) {
    end = strptime(t.c_str(), "%Y-%m-%d", &tm);
  } else {
    end = strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  }
  if (end == nullptr || *end != '\0') {
    return mosaico::InvalidArgument("--expires-at '" + text +
                                    "' is not a UTC time YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[Z]");
  }
  const time_t seconds = timegm(&tm);
  return static_cast<int64_t>(seconds) * kNsPerSecond;
}

void AddApiKeyCommands(CLI::App& app, const std::function<void(CLI::App*)>& add_common, ApiKeyCommands* cmds) {
  cmds->root = app.add_subcommand("api-key", "Manage API keys (docs/SECURITY.md)");
  cmds->root->require_subcommand(1);

  cmds->create = cmds->root->add_subcommand("create", "Create a key and print its token (once)");
  add_common(cmds->create);
  cmds->create->add_option("-p,--permissions,--permission", cmds->permissions,
                           "What the key may do: read, write, delete, or a combination such as read|write "
                           "(independent flags: write does not include read)")
      ->required();
  cmds->create->add_option("--description", cmds->description, "Free text shown by list/status");
  auto* in = cmds->create->add_option("--expires-in", cmds->expires_in, "Lifetime: 90d, 12h, 30m, 45s, 2w, 1d12h");
  auto* at = cmds->create->add_option("--expires-at", cmds->expires_at, "Expiry, UTC: YYYY-MM-DD[THH:MM:SS[Z]]");
  in->excludes(at);
  cmds->create->add_flag("--token-only", cmds->token_only, "Print only the token (for scripts)");

  cmds->list = cmds->root->add_subcommand("list", "List every key (never tokens)");
  add_common(cmds->list);
  cmds->status = cmds->root->add_subcommand("status", "Show one key");
  add_common(cmds->status);
  cmds->status->add_option("fingerprint", cmds->fingerprint, "The key's fingerprint (8 hex digits)")->required();
  cmds->revoke = cmds->root->add_subcommand("revoke", "Revoke a key (running daemons refuse it within "
                                                      "--auth-cache-seconds)");
  add_common(cmds->revoke);
  cmds->revoke->add_option("fingerprint", cmds->fingerprint, "The key's fingerprint (8 hex digits)")->required();
  cmds->purge = cmds->root->add_subcommand("purge", "Delete revoked and expired keys");
  add_common(cmds->purge);
}

bool ApiKeyCommandGiven(const ApiKeyCommands& cmds) { return cmds.root != nullptr && cmds.root->parsed(); }

int RunApiKeyCommand(const mosaico::server::ServerConfig& config, const ApiKeyCommands& cmds) {
  // The store first: opening a local store creates the data directory the SQLite catalog lives in.
  auto store = mosaico::store::ObjectStore::Open(config.ResolvedStoreUri(), config.store_s3);
  if (!store.ok()) return Fail("open", store.status());
  auto catalog = mosaico::catalog::OpenCatalog(config.ResolvedCatalogUrl());
  if (!catalog.ok()) return Fail("open", catalog.status());
  mosaico::auth::ApiKeyManager keys(*catalog, *store);
  const int64_t now = mosaico::NowNs();
  if (cmds.create->parsed()) return Create(keys, cmds);
  if (cmds.list->parsed()) return List(keys);
  if (cmds.status->parsed()) {
    auto key = keys.Get(cmds.fingerprint);
    if (!key.ok()) return Fail("status", key.status());
    PrintKey(*key, now);
    return 0;
  }
  if (cmds.revoke->parsed()) {
    auto key = keys.Revoke(cmds.fingerprint, now);
    if (!key.ok()) return Fail("revoke", key.status());
    spdlog::info("event=api_key_revoked fingerprint={} by=cli", key->fingerprint);
    std::cout << "revoked API key " << key->fingerprint << " at " << Time(key->revoked_at_ns, "-") << "\n";
    return 0;
  }
  if (cmds.purge->parsed()) {
    auto purged = keys.Purge(now);
    if (!purged.ok()) return Fail("purge", purged.status());
    spdlog::info("event=api_keys_purged count={} by=cli", purged->size());
    std::cout << "purged " << purged->size() << " API key(s)";
    for (size_t i = 0; i < purged->size(); ++i) std::cout << (i == 0 ? ": " : ", ") << (*purged)[i].fingerprint;
    std::cout << "\n";
    return 0;
  }
  return 0;
}

}  // namespace mosaicod
