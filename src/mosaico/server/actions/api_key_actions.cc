// API key actions (permission: manage). The SDK 0.7.0 has no api_key_* actions, so names and JSON are ours
// (docs/PROTOCOL_NOTES.md, docs/SECURITY.md); the work is auth::ApiKeyManager's, shared with `mosaicod api-key`.
//
//   api_key_create  {"permissions": "read|write|delete|manage", "description"?: str, "expires_at_ns"?: int}
//                   -> {"api_key_token": "msco_..._<fp>", "api_key_fingerprint", + the key's public view}
//   api_key_list    {} -> {"api_keys": [public view, ...]}            (oldest first)
//   api_key_status  {"api_key_fingerprint"} -> public view
//   api_key_revoke  {"api_key_fingerprint"} -> public view (idempotent)
//   api_key_purge   {} -> {"purged": ["<fp>", ...]}                   (revoked and expired keys)
// Public view (auth/key_record.h): {"fingerprint","permission","description","status","created_at_ns",
// "expires_at_ns","revoked_at_ns"}. The token appears only in the reply of api_key_create.
#include <spdlog/spdlog.h>

#include "mosaico/auth/key_manager.h"
#include "mosaico/auth/key_record.h"
#include "mosaico/core/clock.h"
#include "mosaico/server/actions/action_registry.h"

namespace mosaico::server {
namespace {

auth::ApiKeyManager Manager(const ActionContext& ctx) {
  return auth::ApiKeyManager(ctx.lifecycle->catalog(), ctx.lifecycle->store());
}

std::string CallerName(const ActionContext& ctx) { return ctx.caller ? ctx.caller->fingerprint : "-"; }

arrow::Result<OrderedJson> Create(const ActionContext& ctx, const Json& body) {
  ARROW_ASSIGN_OR_RAISE(auto permission_text, RequireString(body, "permissions"));
  ARROW_ASSIGN_OR_RAISE(auto permission, auth::ParsePermission(permission_text, "permissions"));
  ARROW_ASSIGN_OR_RAISE(auto description, OptionalString(body, "description"));
  ARROW_ASSIGN_OR_RAISE(auto expires_at_ns, OptionalInt64(body, "expires_at_ns"));
  const int64_t now = NowNs();
  ARROW_ASSIGN_OR_RAISE(auto created, Manager(ctx).Create(permission, description.value_or(""), expires_at_ns, now));
  spdlog::info("event=api_key_created fingerprint={} permission={} by={}", created.record.fingerprint,
               created.record.permission, CallerName(ctx));
  OrderedJson out;
  out["api_key_token"] = created.token;
  out["api_key_fingerprint"] = created.record.fingerprint;
  const OrderedJson view = auth::KeyRecordPublicJson(created.record, now);  // named: items() refers into it
  for (const auto& [k, v] : view.items()) out[k] = v;
  return out;
}

arrow::Result<OrderedJson> List(const ActionContext& ctx, const Json&) {
  ARROW_ASSIGN_OR_RAISE(auto keys, Manager(ctx).List());
  const int64_t now = NowNs();
  OrderedJson list = OrderedJson::array();
  for (const auto& key : keys) list.push_back(auth::KeyRecordPublicJson(key, now));
  return OrderedJson{{"api_keys", std::move(list)}};
}

arrow::Result<OrderedJson> Status(const ActionContext& ctx, const Json& body) {
  ARROW_ASSIGN_OR_RAISE(auto fingerprint, RequireString(body, "api_key_fingerprint"));
  ARROW_ASSIGN_OR_RAISE(auto key, Manager(ctx).Get(fingerprint));
  return auth::KeyRecordPublicJson(key, NowNs());
}

arrow::Result<OrderedJson> Revoke(const ActionContext& ctx, const Json& body) {
  ARROW_ASSIGN_OR_RAISE(auto fingerprint, RequireString(body, "api_key_fingerprint"));
  const int64_t now = NowNs();
  ARROW_ASSIGN_OR_RAISE(auto key, Manager(ctx).Revoke(fingerprint, now));
  if (ctx.authenticator) ctx.authenticator->Forget(fingerprint);  // immediate here; other daemons: cache TTL
  spdlog::info("event=api_key_revoked fingerprint={} by={}", fingerprint, CallerName(ctx));
  return auth::KeyRecordPublicJson(key, now);
}

arrow::Result<OrderedJson> Purge(const ActionContext& ctx, const Json&) {
  ARROW_ASSIGN_OR_RAISE(auto purged, Manager(ctx).Purge(NowNs()));
  OrderedJson names = OrderedJson::array();
  for (const auto& key : purged) {
    if (ctx.authenticator) ctx.authenticator->Forget(key.fingerprint);
    names.push_back(key.fingerprint);
  }
  spdlog::info("event=api_keys_purged count={} by={}", purged.size(), CallerName(ctx));
  return OrderedJson{{"purged", std::move(names)}};
}

}  // namespace

void RegisterApiKeyActions(ActionRegistry* r) {
  const auto manage = auth::Permission::kManage;
  r->Register({"api_key_create",
               "Create an API key: {permissions: read|write|delete|manage, description?, expires_at_ns?} -> "
               "{api_key_token, api_key_fingerprint, ...}; the token is shown only here.",
               Create},
              manage);
  r->Register({"api_key_list", "List API keys (never their tokens): {} -> {api_keys: [...]}.", List}, manage);
  r->Register({"api_key_status", "One API key: {api_key_fingerprint} -> {fingerprint, permission, status, ...}.",
               Status},
              manage);
  r->Register({"api_key_revoke", "Revoke an API key: {api_key_fingerprint}.", Revoke}, manage);
  r->Register({"api_key_purge", "Delete revoked and expired API keys: {} -> {purged: [fingerprints]}.", Purge},
              manage);
}

}  // namespace mosaico::server
