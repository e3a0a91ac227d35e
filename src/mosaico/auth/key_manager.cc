#include "mosaico/auth/key_manager.h"

#include <spdlog/spdlog.h>

#include "mosaico/auth/key_hash.h"
#include "mosaico/auth/key_record.h"
#include "mosaico/auth/token.h"
#include "mosaico/core/errors.h"
#include "mosaico/store/layout.h"

namespace mosaico::auth {
namespace {

constexpr int kMaxFingerprintDraws = 16;  // a 32-bit fingerprint collides rarely; 16 draws in a row never do

// True when `fingerprint` names no key in the catalog nor in the store.
arrow::Result<bool> FingerprintFree(catalog::Catalog& catalog, store::ObjectStore& store,
                                    const std::string& fingerprint) {
  auto existing = catalog.GetApiKey(fingerprint);
  if (existing.ok()) return false;
  if (!existing.status().IsKeyError()) return existing.status();
  ARROW_ASSIGN_OR_RAISE(bool in_store, store.Exists(store::layout::ApiKeyObject(fingerprint)));
  return !in_store;
}

}  // namespace

arrow::Result<CreatedKey> ApiKeyManager::Create(Permissions permissions, const std::string& description,
                                                std::optional<int64_t> expires_at_ns, int64_t now_ns) {
  if (permissions.empty()) return InvalidArgument("an API key needs at least one permission (read, write, delete)");
  if (description.size() > kMaxDescriptionBytes) {
    return InvalidArgument("'description' is " + std::to_string(description.size()) + " bytes; the limit is " +
                           std::to_string(kMaxDescriptionBytes));
  }
  if (expires_at_ns && *expires_at_ns <= now_ns) {
    return InvalidArgument("'expires_at_ns' (" + std::to_string(*expires_at_ns) + ") is not in the future (now " +
                           std::to_string(now_ns) + ")");
  }
  for (int draw = 0; draw < kMaxFingerprintDraws; ++draw) {
    ARROW_ASSIGN_OR_RAISE(ApiKeyToken token, GenerateToken());
    ARROW_ASSIGN_OR_RAISE(bool free, FingerprintFree(*catalog_, *store_, token.fingerprint));
    if (!free) continue;
    CreatedKey created;
    created.token = token.text();
    catalog::ApiKeyRecord& r = created.record;
    r.fingerprint = token.fingerprint;
    ARROW_ASSIGN_OR_RAISE(r.salt, GenerateSalt());
    ARROW_ASSIGN_OR_RAISE(r.token_hash, HashToken(created.token, r.salt));
    r.permissions = permissions.bits();
    r.description = description;
    r.created_at_ns = now_ns;
    r.expires_at_ns = expires_at_ns;
    // Store first: a key the catalog knows is always in the store (a rebuild restores it).
    ARROW_RETURN_NOT_OK(store_->PutAtomic(store::layout::ApiKeyObject(r.fingerprint), KeyRecordToStoreJson(r)));
    auto st = catalog_->CreateApiKey(r);
    if (st.IsAlreadyExists()) continue;  // a concurrent creator drew the same fingerprint: draw again
    ARROW_RETURN_NOT_OK(st);
    return created;
  }
  return arrow::Status::IOError("could not draw an unused API key fingerprint in ", kMaxFingerprintDraws,
                                " attempts");
}

arrow::Result<std::vector<catalog::ApiKeyRecord>> ApiKeyManager::List() { return catalog_->ListApiKeys(); }

arrow::Result<catalog::ApiKeyRecord> ApiKeyManager::Get(const std::string& fingerprint) {
  ARROW_RETURN_NOT_OK(CheckFingerprint(fingerprint, "api_key_fingerprint"));
  return catalog_->GetApiKey(fingerprint);
}

arrow::Result<catalog::ApiKeyRecord> ApiKeyManager::Revoke(const std::string& fingerprint, int64_t now_ns) {
  ARROW_ASSIGN_OR_RAISE(catalog::ApiKeyRecord key, Get(fingerprint));
  if (key.revoked_at_ns) return key;
  key.revoked_at_ns = now_ns;
  ARROW_RETURN_NOT_OK(store_->PutAtomic(store::layout::ApiKeyObject(key.fingerprint), KeyRecordToStoreJson(key)));
  return catalog_->RevokeApiKey(fingerprint, now_ns);
}

arrow::Result<std::vector<catalog::ApiKeyRecord>> ApiKeyManager::Purge(int64_t now_ns) {
  ARROW_ASSIGN_OR_RAISE(auto keys, catalog_->ListApiKeys());
  std::vector<catalog::ApiKeyRecord> purged;
  for (auto& key : keys) {
    if (StateOf(key, now_ns) == KeyState::kActive) continue;
    // Store first: a crash in between leaves a revoked/expired catalog row, which is harmless and purged next time.
    ARROW_RETURN_NOT_OK(store_->Delete(store::layout::ApiKeyObject(key.fingerprint)));
    auto st = catalog_->DeleteApiKey(key.fingerprint);
    if (!st.ok() && !st.IsKeyError()) return st;  // KeyError: a concurrent purge removed it
    purged.push_back(std::move(key));
  }
  return purged;
}

arrow::Result<int64_t> ApiKeyManager::CountActive(int64_t now_ns) {
  ARROW_ASSIGN_OR_RAISE(auto keys, catalog_->ListApiKeys());
  int64_t n = 0;
  for (const auto& key : keys) n += StateOf(key, now_ns) == KeyState::kActive ? 1 : 0;
  return n;
}

arrow::Result<int64_t> ApiKeyManager::UpgradeStoreRecords() {
  int64_t rewritten = 0;
  ARROW_ASSIGN_OR_RAISE(auto objects, store_->List(store::layout::ApiKeysRoot()));
  for (const auto& object : objects) {
    if (store::layout::ParseApiKeyObject(object).empty()) continue;
    ARROW_ASSIGN_OR_RAISE(auto data, store_->Get(object));
    const std::string text = data->ToString();
    auto record = KeyRecordFromStoreJson(text, object);
    if (!record.ok()) {
      spdlog::warn("event=api_key_upgrade_skipped key={} status=\"{}\"", object, record.status().ToString());
      continue;
    }
    const std::string current = KeyRecordToStoreJson(*record);
    if (current == text) continue;
    ARROW_RETURN_NOT_OK(store_->PutAtomic(object, current));
    spdlog::info("event=api_key_record_upgraded fingerprint={} permissions={}", record->fingerprint,
                 Permissions::FromBits(record->permissions).ToString());
    ++rewritten;
  }
  return rewritten;
}

}  // namespace mosaico::auth
