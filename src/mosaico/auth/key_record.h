// API key records (catalog::ApiKeyRecord) seen from auth/: their state at a given time, their object in the store,
// and the public view that replies and the CLI show.
//
// Store object (store/layout.h ApiKeyObject, "api_keys/<fingerprint>.json"), version 1:
//   {"v":1,"fingerprint":"<8 hex>","token_hash":"<64 hex>","salt":"<32 hex>","permission":"read|write|delete|manage",
//    "description":"...","created_at_ns":N,"expires_at_ns":N|null,"revoked_at_ns":N|null}
// It holds everything the catalog row holds (a rebuild restores the row from it) and never the token.
// Public view (no hash, no salt):
//   {"fingerprint","permission","description","status":"active|expired|revoked","created_at_ns",
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
