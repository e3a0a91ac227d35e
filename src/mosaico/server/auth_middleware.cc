#include "mosaico/server/auth_middleware.h"

#include <spdlog/spdlog.h>

#include "mosaico/core/clock.h"
#include "mosaico/core/errors.h"
#include "mosaico/server/status_mapping.h"

namespace mosaico::server {
namespace fl = arrow::flight;

namespace {

arrow::Status Denied(const std::string& operation, auth::Permissions required, const auth::Principal& who) {
  spdlog::warn("event=permission_denied operation=\"{}\" fingerprint={} needs={} has={}", operation, who.fingerprint,
               required.ToString(), who.permissions.ToString());
  return PermissionDenied(operation + " needs the '" + required.ToString() + "' permission; API key '" +
                          who.fingerprint + "' has '" + who.permissions.ToString() + "'");
}

}  // namespace

std::optional<auth::Permission> RpcPermission(fl::FlightMethod method) {
  switch (method) {
    case fl::FlightMethod::DoAction:
      return std::nullopt;
    case fl::FlightMethod::DoPut:
    case fl::FlightMethod::DoExchange:
      return auth::Permission::kWrite;
    default:
      return auth::Permission::kRead;
  }
}

arrow::Status AuthMiddlewareFactory::StartCall(const fl::CallInfo& info, const fl::ServerCallContext& context,
                                               std::shared_ptr<fl::ServerMiddleware>* middleware) {
  const std::string rpc = fl::ToString(info.method);
  const auto& headers = context.incoming_headers();
  auto it = headers.find(kApiKeyHeader);
  if (it == headers.end()) {
    LogRejection(rpc, context.peer(), "missing_key");
    return ToFlightStatus(Unauthenticated(std::string("no API key: send it in the '") + kApiKeyHeader +
                                          "' header (MosaicoClient.connect(..., api_key=...)); an operator creates "
                                          "keys with `mosaicod api-key create`"));
  }
  auto principal = authenticator_->Authenticate(it->second, NowNs());
  if (!principal.ok()) {
    // Messages name the fingerprint at most (auth/authenticator.h), never the token.
    LogRejection(rpc, context.peer(), "\"" + principal.status().message() + "\"");
    return ToFlightStatus(principal.status());
  }
  if (auto required = RpcPermission(info.method); required && !principal->permissions.Has(*required)) {
    return ToFlightStatus(Denied(rpc, *required, *principal));
  }
  spdlog::debug("event=auth_ok rpc={} fingerprint={}", rpc, principal->fingerprint);
  *middleware = std::make_shared<AuthMiddleware>(std::move(*principal));
  return arrow::Status::OK();
}

void AuthMiddlewareFactory::LogRejection(const std::string& rpc, const std::string& peer, const std::string& reason) {
  constexpr int64_t kQuietNs = 10LL * 1000000000;
  const int64_t now = NowNs();
  std::lock_guard lock(log_mu_);
  if (peer == last_warned_peer_ && now - last_warn_ns_ < kQuietNs) {
    ++suppressed_warns_;
    spdlog::debug("event=auth_rejected rpc={} peer={} reason={}", rpc, peer, reason);
    return;
  }
  spdlog::warn("event=auth_rejected rpc={} peer={} reason={} suppressed={}", rpc, peer, reason, suppressed_warns_);
  last_warned_peer_ = peer;
  last_warn_ns_ = now;
  suppressed_warns_ = 0;
}

const auth::Principal* CallerOf(const fl::ServerCallContext& context) {
  auto* mw = context.GetMiddleware(kAuthMiddlewareName);
  return mw == nullptr ? nullptr : &static_cast<AuthMiddleware*>(mw)->principal();
}

arrow::Status RequirePermission(const fl::ServerCallContext& context, auth::Permissions required,
                                std::string_view operation) {
  const auth::Principal* who = CallerOf(context);
  if (who == nullptr || who->permissions.Covers(required)) return arrow::Status::OK();
  return Denied(std::string(operation), required, *who);
}

arrow::Status RequireActionPermission(const fl::ServerCallContext& context, const ActionSpec& spec) {
  if (!spec.permission) {
    spdlog::error("event=action_without_permission action={}", spec.name);
    return fl::MakeFlightError(fl::FlightStatusCode::Internal,
                               "action '" + spec.name + "' declares no permission (ActionSpec::permission)");
  }
  return RequirePermission(context, *spec.permission, "action '" + spec.name + "'");
}

}  // namespace mosaico::server
