// Restores the API keys of the store (api_keys/<fingerprint>.json, auth/key_record.h) into a catalog: the part of
// `mosaicod rebuild` that makes keys survive the loss of the catalog. Revoked and expired keys are restored as they
// are (a purge removes them). A record that cannot be read or parsed is skipped with a warning and counted, a key
// the catalog already has is left alone; other catalog failures stop the restore.
#pragma once

#include <cstdint>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/store/object_store.h"

namespace mosaico::recovery {

struct ApiKeyRestoreCounts {
  int64_t restored = 0;
  int64_t skipped = 0;  // unreadable or invalid records, and keys the catalog already had
};

arrow::Result<ApiKeyRestoreCounts> RestoreApiKeys(store::ObjectStore& store, catalog::Catalog& catalog);

}  // namespace mosaico::recovery
