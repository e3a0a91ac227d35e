// The rule for keys of stored user metadata (sequence_create / topic_create `user_metadata`), as mosaicolabs
// 0.7.0's reference daemon enforces it: at every nesting level (objects, and objects inside arrays) a key is
// non-empty, made only of ASCII letters, digits, space, '_' and '-', and never contains "--".
//
// Metadata keys become query paths (`user_metadata.a.b`, docs/QUERY.md), so characters with a meaning there
// ('.', '[', ']', '$', ...) or in a SQL LIKE / JSON path never reach the catalog.
#pragma once

#include <string_view>

#include <arrow/status.h>

#include "mosaico/core/json.h"

namespace mosaico {

// True when `key` follows the rule above.
bool IsValidMetadataKey(std::string_view key);

// OK when every key of `metadata` follows the rule; else INVALID_ARGUMENT "invalid json key '<key>' in
// '<field>' at <path>: ..." (the key shown at most 64 bytes). Nesting deeper than 64 levels is refused too.
arrow::Status ValidateMetadataKeys(const Json& metadata, std::string_view field);

}  // namespace mosaico
