// Start-up of API-key authentication (docs/SECURITY.md): decides the mode from ServerConfig::auth_mode and the
// listen host (auth/auth_mode.h), logs `event=auth mode=on|off reason=...`, warns when auth is on and no key is
// active (with the CLI command that creates one), and wires the middleware into the Flight server.
#pragma once

#include <memory>

#include <arrow/flight/server.h>
#include <arrow/result.h>

#include "mosaico/auth/authenticator.h"
#include "mosaico/catalog/catalog.h"
#include <arrow/flight/server.h>
#include "mosaico/server/server_config.h"
#include "mosaico/store/object_store.h"

namespace mosaico::server {

// The authenticator when auth is on, null when off. INVALID_ARGUMENT for an unknown mode.
arrow::Result<std::shared_ptr<auth::Authenticator>> SetUpAuth(const ServerConfig& config,
                                                              std::shared_ptr<catalog::Catalog> catalog,
                                                              std::shared_ptr<store::ObjectStore> store);
// With an authenticator: registers the auth middleware in `options`. Without: nothing.
void InstallAuth(const std::shared_ptr<auth::Authenticator>& authenticator,
                 arrow::flight::FlightServerOptions* options);

}  // namespace mosaico::server
