#include "mosaico/auth/permission.h"

#include "mosaico/core/errors.h"

namespace mosaico::auth {

const char* PermissionName(Permission p) {
  switch (p) {
    case Permission::kRead:
      return "read";
    case Permission::kWrite:
      return "write";
    case Permission::kDelete:
      return "delete";
    case Permission::kManage:
      return "manage";
  }
  return "read";
}

std::optional<Permission> PermissionFromName(std::string_view name) {
  for (Permission p : {Permission::kRead, Permission::kWrite, Permission::kDelete, Permission::kManage}) {
    if (name == PermissionName(p)) return p;
  }
  return std::nullopt;
}

arrow::Result<Permission> ParsePermission(std::string_view name, std::string_view field) {
  if (auto p = PermissionFromName(name)) return *p;
  std::string shown(name.substr(0, 40));
  return InvalidArgument("'" + std::string(field) + "' must be one of read, write, delete, manage (got '" + shown +
                         "')");
}

}  // namespace mosaico::auth
