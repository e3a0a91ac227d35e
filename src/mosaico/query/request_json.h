// JSON text of the query actions' bodies -> nlohmann::json, keeping one fact that plain parsing loses.
//
// nlohmann turns an integer literal too large for int64/uint64 (e.g. 1180591620717411303424 = 2^70) into a double,
// after which it looks like any float. docs/QUERY.md (and the reference evaluator) make such integers an error, so
// ParseRequestJson keeps them as a marker value (IsIntegerOverflow) that every accessor refuses as a non-number:
// the condition parser reports "integer argument out of the int64 range", json.h's integer accessors "must be an
// integer", both naming the key. Everything else is exactly Json::parse: iterative (no recursion on deep nesting),
// strict UTF-8, INVALID_ARGUMENT for text that is not a JSON object.
#pragma once

#include <string_view>

#include <arrow/result.h>

#include "mosaico/core/json.h"

namespace mosaico::query {

arrow::Result<Json> ParseRequestJson(std::string_view text, std::string_view what);

bool IsIntegerOverflow(const Json& value);

}  // namespace mosaico::query
