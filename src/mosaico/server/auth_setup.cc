#include "mosaico/server/auth_setup.h"

#include <spdlog/spdlog.h>

#include "mosaico/auth/auth_mode.h"
#include "mosaico/auth/key_manager.h"
#include "mosaico/core/clock.h"
#include "mosaico/server/auth_middleware.h"

namespace mosaico::server {

arrow::Result<std::shared_ptr<auth::Authenticator>> SetUpAuth(const ServerConfig& config,
                                                              std::shared_ptr<catalog::Catalog> catalog,
                                                              std::shared_ptr<store::ObjectStore> store) {
  ARROW_ASSIGN_OR_RAISE(auth::AuthMode mode, auth::ParseAuthMode(config.auth_mode));
  // Key objects written while permissions were a ladder get their flags (auth/permission.h), whatever the mode:
  // the catalog's rows were migrated with its schema, and a rebuild must restore the same flags.
  ARROW_ASSIGN_OR_RAISE(int64_t upgraded, auth::ApiKeyManager(catalog, store).UpgradeStoreRecords());
  if (upgraded > 0) spdlog::info("event=api_key_records_upgraded count={}", upgraded);
  const auth::AuthDecision decision = auth::DecideAuth(mode, config.host);
  if (!decision.enabled) {
    if (auth::IsLoopbackHost(config.host)) {
      spdlog::info("event=auth mode=off reason=\"{}\" note=\"no API key is checked; any local process may call\"",
                   decision.reason);
    } else {
      spdlog::warn("event=auth mode=off reason=\"{}\" note=\"no API key is checked on a network listener\"",
                   decision.reason);
    }
    return nullptr;
  }
  const int64_t ttl_ns = static_cast<int64_t>(config.auth_cache_seconds * 1e9);
  spdlog::info("event=auth mode=on reason=\"{}\" header={} revocation_delay_seconds={}", decision.reason,
               kApiKeyHeader, config.auth_cache_seconds);
  auth::ApiKeyManager keys(catalog, std::move(store));
  ARROW_ASSIGN_OR_RAISE(int64_t active, keys.CountActive(NowNs()));
  if (active == 0) {
    spdlog::warn("event=auth_no_keys hint=\"every call will be refused until a key exists: mosaicod api-key create "
                 "--permissions read|write (with this daemon's --data-dir/--catalog/--store)\"");
  }
  return std::make_shared<auth::Authenticator>(std::move(catalog), ttl_ns);
}

void InstallAuth(const std::shared_ptr<auth::Authenticator>& authenticator,
                 arrow::flight::FlightServerOptions* options) {
  if (!authenticator) return;
  options->middleware.emplace_back(kAuthMiddlewareName, std::make_shared<AuthMiddlewareFactory>(authenticator));
}

}  // namespace mosaico::server
