#include "mosaico/auth/key_record.h"

#include "mosaico/auth/permission.h"
#include "mosaico/auth/token.h"
#include "mosaico/core/errors.h"

namespace mosaico::auth {
namespace {

// Version 2: independent permission flags ("permissions":"read|write"). Version 1 (ladder, "permission":"write")
// is still read: its permission is mapped by FromLadder, so keys written before the flags keep what they granted.
constexpr int64_t kStoreVersion = 2;
constexpr int64_t kLadderStoreVersion = 1;

bool IsLowerHex(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

arrow::Result<std::optional<int64_t>> OptionalTime(const Json& obj, std::string_view field) {
  auto it = obj.find(std::string(field));
  if (it == obj.end() || it->is_null()) return std::optional<int64_t>();
  ARROW_ASSIGN_OR_RAISE(auto v, OptionalInt64(obj, field));
  return v;
}

}  // namespace

const char* KeyStateName(KeyState state) {
  switch (state) {
    case KeyState::kActive:
      return "active";
    case KeyState::kExpired:
      return "expired";
    case KeyState::kRevoked:
      return "revoked";
  }
  return "revoked";
}

KeyState StateOf(const catalog::ApiKeyRecord& key, int64_t now_ns) {
  if (key.revoked_at_ns) return KeyState::kRevoked;
  if (key.expires_at_ns && *key.expires_at_ns <= now_ns) return KeyState::kExpired;
  return KeyState::kActive;
}

std::string KeyRecordToStoreJson(const catalog::ApiKeyRecord& key) {
  OrderedJson j;
  j["v"] = kStoreVersion;
  j["fingerprint"] = key.fingerprint;
  j["token_hash"] = key.token_hash;
  j["salt"] = key.salt;
  j["permissions"] = Permissions::FromBits(key.permissions).ToString();
  j["description"] = key.description;
  j["created_at_ns"] = key.created_at_ns;
  j["expires_at_ns"] = key.expires_at_ns ? OrderedJson(*key.expires_at_ns) : OrderedJson(nullptr);
  j["revoked_at_ns"] = key.revoked_at_ns ? OrderedJson(*key.revoked_at_ns) : OrderedJson(nullptr);
  return j.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

arrow::Result<catalog::ApiKeyRecord> KeyRecordFromStoreJson(std::string_view text, std::string_view what) {
  auto in = [&](const arrow::Status& st) { return WithContext(st, std::string(what)); };
  auto parsed = ParseJsonObject(text, what);
  if (!parsed.ok()) return parsed.status();
  const Json& j = *parsed;
  auto version = RequireInt64(j, "v");
  if (!version.ok()) return in(version.status());
  if (*version != kStoreVersion && *version != kLadderStoreVersion) {
    return InvalidArgument(std::string(what) + ": unsupported API key record version " + std::to_string(*version));
  }
  catalog::ApiKeyRecord k;
  auto get = [&](const char* field, std::string* out) -> arrow::Status {
    auto v = RequireString(j, field);
    if (!v.ok()) return in(v.status());
    *out = *v;
    return arrow::Status::OK();
  };
  ARROW_RETURN_NOT_OK(get("fingerprint", &k.fingerprint));
  ARROW_RETURN_NOT_OK(get("token_hash", &k.token_hash));
  ARROW_RETURN_NOT_OK(get("salt", &k.salt));
  std::string permissions_text;
  ARROW_RETURN_NOT_OK(get(*version == kLadderStoreVersion ? "permission" : "permissions", &permissions_text));
  ARROW_RETURN_NOT_OK(get("description", &k.description));
  auto created = RequireInt64(j, "created_at_ns");
  if (!created.ok()) return in(created.status());
  k.created_at_ns = *created;
  auto expires = OptionalTime(j, "expires_at_ns");
  if (!expires.ok()) return in(expires.status());
  k.expires_at_ns = *expires;
  auto revoked = OptionalTime(j, "revoked_at_ns");
  if (!revoked.ok()) return in(revoked.status());
  k.revoked_at_ns = *revoked;

  if (!IsFingerprint(k.fingerprint)) return InvalidArgument(std::string(what) + ": 'fingerprint' is not 8 hex digits");
  if (!IsLowerHex(k.token_hash) || k.token_hash.size() != 64) {
    return InvalidArgument(std::string(what) + ": 'token_hash' is not 64 hex digits");
  }
  if (!IsLowerHex(k.salt) || k.salt.size() % 2 != 0) return InvalidArgument(std::string(what) + ": 'salt' is not hex");
  if (*version == kLadderStoreVersion) {
    auto flags = FromLadder(permissions_text);
    if (!flags) return InvalidArgument(std::string(what) + ": unknown 'permission' '" + permissions_text + "'");
    k.permissions = flags->bits();
  } else {
    auto flags = ParsePermissions(permissions_text, "permissions");
    if (!flags.ok()) return in(flags.status());
    k.permissions = flags->bits();
  }
  return k;
}

OrderedJson KeyRecordPublicJson(const catalog::ApiKeyRecord& key, int64_t now_ns) {
  OrderedJson j;
  j["fingerprint"] = key.fingerprint;
  j["permissions"] = Permissions::FromBits(key.permissions).ToString();
  j["description"] = key.description;
  j["status"] = KeyStateName(StateOf(key, now_ns));
  j["created_at_ns"] = key.created_at_ns;
  j["expires_at_ns"] = key.expires_at_ns ? OrderedJson(*key.expires_at_ns) : OrderedJson(nullptr);
  j["revoked_at_ns"] = key.revoked_at_ns ? OrderedJson(*key.revoked_at_ns) : OrderedJson(nullptr);
  return j;
}

}  // namespace mosaico::auth
