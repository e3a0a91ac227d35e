#include "mosaico/recovery/restore_api_keys.h"

#include <spdlog/spdlog.h>

#include "mosaico/auth/key_record.h"
#include "mosaico/store/layout.h"

namespace mosaico::recovery {

arrow::Result<ApiKeyRestoreCounts> RestoreApiKeys(store::ObjectStore& store, catalog::Catalog& catalog) {
  ApiKeyRestoreCounts counts;
  ARROW_ASSIGN_OR_RAISE(auto keys, store.List(store::layout::ApiKeysRoot()));
  for (const auto& key : keys) {
    const std::string fingerprint = store::layout::ParseApiKeyObject(key);
    if (fingerprint.empty()) continue;  // not a key record (e.g. a stray file)
    auto data = store.Get(key);
    if (!data.ok()) {
      spdlog::warn("event=api_key_restore_skipped key={} status=\"{}\"", key, data.status().ToString());
      ++counts.skipped;
      continue;
    }
    auto record = auth::KeyRecordFromStoreJson((*data)->ToString(), key);
    if (!record.ok() || record->fingerprint != fingerprint) {
      spdlog::warn("event=api_key_restore_skipped key={} status=\"{}\"", key,
                   record.ok() ? "fingerprint differs from the object name" : record.status().ToString());
      ++counts.skipped;
      continue;
    }
    auto st = catalog.CreateApiKey(*record);
    if (st.IsAlreadyExists()) {
      ++counts.skipped;
      continue;
    }
    ARROW_RETURN_NOT_OK(st);
    ++counts.restored;
  }
  spdlog::info("event=api_keys_restored restored={} skipped={}", counts.restored, counts.skipped);
  return counts;
}

}  // namespace mosaico::recovery
