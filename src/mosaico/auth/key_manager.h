// ApiKeyManager: the operations on API keys, shared by the CLI (`mosaicod api-key ...`) and the api_key_* actions.
//
// The store is the source of truth: every key record is written to the store (api_keys/<fingerprint>.json,
// auth/key_record.h) BEFORE the catalog, so a rebuild from the store restores every key the catalog had
// (recovery/restore_api_keys.h). The token is returned once by Create and stored nowhere.
//
//  - Create: a fresh token (auth/token.h) whose fingerprint is unused in the catalog and the store (drawn again
//    otherwise), a fresh salt and hash (auth/key_hash.h). INVALID_ARGUMENT for a description over
//    kMaxDescriptionBytes or an expiry not after `now_ns`.
//  - Revoke: idempotent (revoking a revoked key returns it unchanged); NotFound for an unknown fingerprint.
//  - Purge: removes every revoked or expired key (store object first, then the catalog row) and returns them.
//  - UpgradeStoreRecords: rewrites every key object of an older version (auth/key_record.h: version 1, ladder
//    permissions) in the current version, with the flags its permission granted; returns how many it rewrote.
//    Idempotent; objects that do not parse are left alone (and logged). Costs one read per key.
// Thread-safe as far as the catalog and the store are (both are).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/result.h>

#include "mosaico/auth/permission.h"
#include "mosaico/catalog/catalog.h"
#include "mosaico/store/object_store.h"

namespace mosaico::auth {

struct CreatedKey {
  std::string token;  // shown once, never stored
  catalog::ApiKeyRecord record;
};

class ApiKeyManager {
 public:
  ApiKeyManager(std::shared_ptr<catalog::Catalog> catalog, std::shared_ptr<store::ObjectStore> store)
      : catalog_(std::move(catalog)), store_(std::move(store)) {}

  arrow::Result<CreatedKey> Create(Permissions permissions, const std::string& description,
                                   std::optional<int64_t> expires_at_ns, int64_t now_ns);
  arrow::Result<std::vector<catalog::ApiKeyRecord>> List();
  // INVALID_ARGUMENT for a malformed fingerprint, NotFound for an unknown one.
  arrow::Result<catalog::ApiKeyRecord> Get(const std::string& fingerprint);
  arrow::Result<catalog::ApiKeyRecord> Revoke(const std::string& fingerprint, int64_t now_ns);
  arrow::Result<std::vector<catalog::ApiKeyRecord>> Purge(int64_t now_ns);
  arrow::Result<int64_t> UpgradeStoreRecords();
  // How many keys are active at `now_ns`.
  arrow::Result<int64_t> CountActive(int64_t now_ns);

 private:
  std::shared_ptr<catalog::Catalog> catalog_;
  std::shared_ptr<store::ObjectStore> store_;
};

}  // namespace mosaico::auth
