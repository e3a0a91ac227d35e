// Modification times of store objects, for the age guards of the background jobs (gc.h, abandoned_sessions.h):
// an object written recently may belong to work in flight, in this daemon or another one sharing the store.
//
// Contract: times are ns since the Unix epoch as the store's filesystem reports them (a local file's mtime, an S3
// object's Last-Modified); nullopt when there is no such object or the store does not report a time. Keys are
// store keys (store/layout.h); the object's path is ObjectStore::root() + "/" + key, as everywhere in ObjectStore.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <arrow/result.h>

#include "mosaico/store/object_store.h"

namespace mosaico::jobs {

// The time of one object.
arrow::Result<std::optional<int64_t>> ObjectTimeNs(store::ObjectStore& store, const std::string& key);
// The newest time among the objects under `prefix`, recursively (temporary objects included).
arrow::Result<std::optional<int64_t>> NewestObjectTimeNs(store::ObjectStore& store, const std::string& prefix);

}  // namespace mosaico::jobs
