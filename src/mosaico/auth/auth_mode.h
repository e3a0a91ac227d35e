// Whether the daemon requires API keys: `--auth auto|on|off` (MOSAICOD_AUTH).
//   on    every call must present a valid key (header mosaico-api-key-token)
//   off   no key is checked (headers are ignored)
//   auto  (default) on, unless the daemon listens on a loopback address only (127.0.0.0/8, ::1, localhost):
//         a loopback listener is reachable from this machine alone
// The decision carries a human reason, logged at start (`event=auth mode=... reason=...`).
#pragma once

#include <string>
#include <string_view>

#include <arrow/result.h>

namespace mosaico::auth {

enum class AuthMode { kAuto, kOn, kOff };

// "auto" | "on" | "off"; INVALID_ARGUMENT otherwise.
arrow::Result<AuthMode> ParseAuthMode(std::string_view text);

struct AuthDecision {
  bool enabled = false;
  std::string reason;
};

bool IsLoopbackHost(std::string_view host);
AuthDecision DecideAuth(AuthMode mode, std::string_view host);

}  // namespace mosaico::auth
