// Opening the S3-compatible flavour of ObjectStore (internal to store/; callers use ObjectStore::Open).
#pragma once

#include <memory>
#include <string>

#include <arrow/result.h>

#include "mosaico/store/s3_settings.h"

namespace mosaico::store {

class ObjectStore;

// "s3://bucket[/prefix]" -> an ObjectStore rooted at bucket/prefix, after checking the bucket is reachable.
arrow::Result<std::shared_ptr<ObjectStore>> OpenS3Store(const std::string& uri, const S3Settings& settings);

// arrow::fs::FinalizeS3 when an S3 store was opened in this process; otherwise nothing.
void FinalizeS3Library();

}  // namespace mosaico::store
