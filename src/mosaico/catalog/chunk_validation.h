// ValidateChunks: the checks every catalog backend applies to a topic's chunk records before writing them
// (CommitTopicData, ReplaceTopicData), so that all backends reject the same input.
//  - InvalidArgument for duplicate chunk indexes, duplicate columns within a chunk, or stats whose set min/max
//    fields do not match their kind (kInt/kBool -> *_int, kFloat -> *_float, kString -> *_str; min and max set
//    together or not at all).
//  - Pure (no catalog access): call it before taking any lock or opening a transaction.
#pragma once

#include <string>
#include <vector>

#include <arrow/status.h>

#include "mosaico/catalog/catalog.h"

namespace mosaico::catalog {

arrow::Status ValidateChunks(const std::vector<ChunkRecord>& chunks);

// ReplaceTopicData's arguments: both upload ids set and different, then ValidateChunks; else InvalidArgument.
arrow::Status ValidateReplacement(const std::string& expected_upload_id, const std::string& new_upload_id,
                                  const std::vector<ChunkRecord>& chunks);

}  // namespace mosaico::catalog
