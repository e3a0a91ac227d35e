// Permissions of API keys: a ladder read < write < delete < manage. A key holding a permission holds every
// permission below it. Which operation needs which permission is decided by the server (server/auth_middleware.h
// for RPCs, ActionSpec::permission for actions); this file only defines the ladder and its names.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <arrow/result.h>

namespace mosaico::auth {

enum class Permission { kRead = 0, kWrite = 1, kDelete = 2, kManage = 3 };

// "read", "write", "delete", "manage": the names used on the wire, in the catalog and in the store.
const char* PermissionName(Permission p);
// The inverse of PermissionName; nullopt for any other text (case-sensitive).
std::optional<Permission> PermissionFromName(std::string_view name);
// PermissionFromName, or INVALID_ARGUMENT naming `field` and the accepted values.
arrow::Result<Permission> ParsePermission(std::string_view name, std::string_view field);
// True when a key granted `granted` may do what needs `required`.
inline bool Allows(Permission granted, Permission required) {
  return static_cast<int>(granted) >= static_cast<int>(required);
}

}  // namespace mosaico::auth
