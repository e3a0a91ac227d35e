#include "mosaico/auth/permission.h"

#include "mosaico/core/errors.h"

namespace mosaico::auth {
namespace {

constexpr Permission kEach[] = {Permission::kRead, Permission::kWrite, Permission::kDelete};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

const char* PermissionName(Permission p) {
  switch (p) {
    case Permission::kRead:
      return "read";
    case Permission::kWrite:
      return "write";
    case Permission::kDelete:
      return "delete";
  }
  return "read";
}

std::string Permissions::ToString() const {
  std::string out;
  for (Permission p : kEach) {
    if (!Has(p)) continue;
    if (!out.empty()) out += '|';
    out += PermissionName(p);
  }
  return out.empty() ? "none" : out;
}

arrow::Result<Permissions> ParsePermissions(std::string_view text, std::string_view field) {
  const std::string shown(text.substr(0, 60));
  auto bad = [&](const std::string& why) {
    return InvalidArgument("'" + std::string(field) + "' " + why + " (got '" + shown +
                           "'): give read, write, delete or a combination such as read|write");
  };
  Permissions out;
  std::string_view rest = text;
  while (true) {
    const size_t bar = rest.find('|');
    const std::string_view name = Trim(rest.substr(0, bar));
    if (name.empty()) return bad("has an empty permission name");
    bool known = false;
    for (Permission p : kEach) {
      if (name == PermissionName(p)) {
        out = out | p;
        known = true;
      }
    }
    if (!known && name == "manage") {
      return bad("names 'manage', which no longer exists: keys are managed with `mosaicod api-key` only");
    }
    if (!known) return bad("names an unknown permission '" + std::string(name.substr(0, 20)) + "'");
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 1);
  }
  return out;
}

std::optional<Permissions> FromLadder(std::string_view ladder_name) {
  if (ladder_name == "read") return Permissions(Permission::kRead);
  if (ladder_name == "write") return Permission::kRead | Permission::kWrite;
  if (ladder_name == "delete" || ladder_name == "manage") return Permissions::All();
  return std::nullopt;
}

}  // namespace mosaico::auth
