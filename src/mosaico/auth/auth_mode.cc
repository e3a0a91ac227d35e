#include "mosaico/auth/auth_mode.h"

#include "mosaico/core/errors.h"

namespace mosaico::auth {

arrow::Result<AuthMode> ParseAuthMode(std::string_view text) {
  if (text == "auto") return AuthMode::kAuto;
  if (text == "on") return AuthMode::kOn;
  if (text == "off") return AuthMode::kOff;
  return InvalidArgument("--auth must be auto, on or off (got '" + std::string(text.substr(0, 40)) + "')");
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  // 127.0.0.0/8, dotted quad only.
  if (host.substr(0, 4) != "127.") return false;
  int dots = 0;
  size_t digits = 0;
  for (char c : host) {
    if (c == '.') {
      if (digits == 0 || digits > 3) return false;
      ++dots;
      digits = 0;
    } else if (c >= '0' && c <= '9') {
      ++digits;
    } else {
      return false;
    }
  }
  return dots == 3 && digits > 0 && digits <= 3;
}

AuthDecision DecideAuth(AuthMode mode, std::string_view host) {
  switch (mode) {
    case AuthMode::kOn:
      return {true, "--auth on"};
    case AuthMode::kOff:
      return {false, "--auth off"};
    case AuthMode::kAuto:
      break;
  }
  if (IsLoopbackHost(host)) return {false, "auto: loopback listener " + std::string(host)};
  return {true, "auto: non-loopback listener " + std::string(host)};
}

}  // namespace mosaico::auth
