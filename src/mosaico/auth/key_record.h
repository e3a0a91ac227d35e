// API key records (catalog::ApiKeyRecord) seen from auth/: their state at a given time, their object in the store,
// and the public view that replies and the CLI show.
//
// Store object (store/layout.h ApiKeyObject, "api_keys/<fingerprint>.json"), version 2:
//   {"v":2,"fingerprint":"<8 hex>","token_hash":"<64 hex>","salt":"<32 hex>","permissions":"read|write" (any
//    non-empty combination of read, write, delete; auth/permission.h),
//    "description":"...","created_at_ns":N,"expires_at_ns":N|null,"revoked_at_ns":N|null}
// It holds everything the catalog row holds (a rebuild restores the row from it) and never the token.
// Version 1 objects (written while permissions were a ladder: "permission":"read|write|delete|manage", one name)
// are still parsed; their permission becomes the flags it granted (auth/permission.h FromLadder).
// Public view (no hash, no salt):
//   {"fingerprint","permissions","description","status":"active|expired|revoked","created_at_ns",
//    "expires_at_ns":N|null,"revoked_at_ns":N|null}
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/core/json.h"

namespace mosaico::auth {

inline constexpr size_t kMaxDescriptionBytes = 1024;

enum class KeyState { kActive, kExpired, kRevoked };

// "active", "expired", "revoked".
const char* KeyStateName(KeyState state);
// Revoked wins over expired; a key expires at expires_at_ns (it is expired from that instant on).
KeyState StateOf(const catalog::ApiKeyRecord& key, int64_t now_ns);

std::string KeyRecordToStoreJson(const catalog::ApiKeyRecord& key);
// Parses and validates a store object; INVALID_ARGUMENT naming `what` and the bad field.
arrow::Result<catalog::ApiKeyRecord> KeyRecordFromStoreJson(std::string_view text, std::string_view what);

OrderedJson KeyRecordPublicJson(const catalog::ApiKeyRecord& key, int64_t now_ns);

}  // namespace mosaico::auth
