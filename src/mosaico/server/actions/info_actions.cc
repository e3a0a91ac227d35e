// `info`: server version and the limits clients size their requests by. Needs no permission.
#include "mosaico/server/actions/action_registry.h"

#ifndef MOSAICOD_VERSION
#define MOSAICOD_VERSION "0.0.0"
#endif
#ifndef MOSAICOD_VERSION_MAJOR
#define MOSAICOD_VERSION_MAJOR 0
#define MOSAICOD_VERSION_MINOR 0
#define MOSAICOD_VERSION_PATCH 0
#endif

namespace mosaico::server {
namespace {

arrow::Result<OrderedJson> Info(const ActionContext& ctx, const Json&) {
  const ServerConfig& c = *ctx.config;
  OrderedJson out;
  out["version"] = MOSAICOD_VERSION;
  out["semver"] = {{"major", MOSAICOD_VERSION_MAJOR},
                   {"minor", MOSAICOD_VERSION_MINOR},
                   {"patch", MOSAICOD_VERSION_PATCH},
                   {"pre", nullptr}};
  out["config"] = {{"grpc_max_decode_message_size", c.grpc_max_decode_message_size},
                   {"grpc_max_encode_message_size", c.grpc_max_encode_message_size},
                   {"grpc_target_encode_message_size", c.grpc_target_encode_message_size}};
  return out;
}

}  // namespace

void RegisterInfoActions(ActionRegistry* registry) {
  registry->Register({"info", "Server version and message-size limits.", Info}, auth::Permissions());
}

}  // namespace mosaico::server
