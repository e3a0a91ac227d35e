// API-key authentication and per-call permission checks for the Flight server (auth/ does the cryptography).
//
// When auth is on, server_runner registers AuthMiddlewareFactory under kAuthMiddlewareName. For EVERY call, before
// any handler runs, StartCall reads the `mosaico-api-key-token` header and authenticates it (auth/authenticator.h):
//   missing header, malformed / unknown / wrong / expired / revoked key -> UNAUTHENTICATED (the call is refused)
//   key lacks the permission the RPC needs (RpcPermission)           -> PERMISSION_DENIED naming the permission
//                                                                       needed, the key's fingerprint and flags
// Permissions are independent flags (auth/permission.h): a write-only key cannot read, a delete-only key can
// neither read nor write.
// DoAction's permission depends on the action, so it is checked by the service (RequirePermission with
// ActionSpec::permission) right after the action name is resolved, before its body is parsed.
// When auth is off no middleware is installed and RequirePermission admits every call.
// Logs name fingerprints only, never tokens: warn `event=auth_rejected`, debug `event=auth_ok`. Repeated rejections
// of the same peer (connection) within 10 s are debug lines -- the SDK's connect probe retries every 25 ms -- and
// the next warning carries their count (`suppressed=N`).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <arrow/flight/server.h>
#include <arrow/flight/server_middleware.h>

#include "mosaico/auth/authenticator.h"
#include "mosaico/auth/permission.h"
#include "mosaico/server/actions/action_registry.h"

namespace mosaico::server {

inline constexpr char kAuthMiddlewareName[] = "mosaico-auth";
inline constexpr char kApiKeyHeader[] = "mosaico-api-key-token";

// The caller of one authenticated call.
class AuthMiddleware : public arrow::flight::ServerMiddleware {
 public:
  explicit AuthMiddleware(auth::Principal principal) : principal_(std::move(principal)) {}
  std::string name() const override { return kAuthMiddlewareName; }
  void SendingHeaders(arrow::flight::AddCallHeaders*) override {}
  void CallCompleted(const arrow::Status&) override {}
  const auth::Principal& principal() const { return principal_; }

 private:
  auth::Principal principal_;
};

class AuthMiddlewareFactory : public arrow::flight::ServerMiddlewareFactory {
 public:
  explicit AuthMiddlewareFactory(std::shared_ptr<auth::Authenticator> authenticator)
      : authenticator_(std::move(authenticator)) {}
  arrow::Status StartCall(const arrow::flight::CallInfo& info, const arrow::flight::ServerCallContext& context,
                          std::shared_ptr<arrow::flight::ServerMiddleware>* middleware) override;

 private:
  void LogRejection(const std::string& rpc, const std::string& peer, const std::string& reason);

  std::shared_ptr<auth::Authenticator> authenticator_;
  std::mutex log_mu_;
  std::string last_warned_peer_;  // guarded by log_mu_
  int64_t last_warn_ns_ = 0;      // guarded by log_mu_
  int64_t suppressed_warns_ = 0;  // rejections logged at debug since the last warning; guarded by log_mu_
};

// The permission an RPC needs: read for ListFlights, GetFlightInfo, PollFlightInfo, GetSchema, DoGet,
// ListActions, Handshake; write for DoPut and DoExchange; nullopt for DoAction (per action).
std::optional<auth::Permission> RpcPermission(arrow::flight::FlightMethod method);

// The authenticated caller of `context`, or nullptr when auth is off.
const auth::Principal* CallerOf(const arrow::flight::ServerCallContext& context);

// OK when auth is off or the caller holds every flag of `required` (the empty set: any authenticated caller); else
// PermissionDenied (core/errors.h) naming `operation`, the permission needed and the caller's fingerprint.
arrow::Status RequirePermission(const arrow::flight::ServerCallContext& context, auth::Permissions required,
                                std::string_view operation);

// RequirePermission for the action `spec` (ActionSpec::permission). An action registered without a permission is
// refused whatever the auth mode (INTERNAL: a programming error, caught by the first call and a unit test).
arrow::Status RequireActionPermission(const arrow::flight::ServerCallContext& context, const ActionSpec& spec);

}  // namespace mosaico::server
