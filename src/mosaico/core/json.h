// JSON helpers for action bodies and descriptors (nlohmann::json).
//
// Every accessor returns INVALID_ARGUMENT naming the field when it is missing or has the wrong type, so
// handlers can write `ARROW_ASSIGN_OR_RAISE(auto name, RequireString(body, "locator"))`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <arrow/result.h>
#include <nlohmann/json.hpp>

namespace mosaico {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// Parses `text` as a JSON object. `what` names the payload in errors ("action 'topic_create' body").
// Integers are exact: a literal beyond the 64-bit range is INVALID_ARGUMENT, never a rounded double.
arrow::Result<Json> ParseJsonObject(std::string_view text, std::string_view what);

arrow::Result<std::string> RequireString(const Json& obj, std::string_view field);
arrow::Result<std::optional<std::string>> OptionalString(const Json& obj, std::string_view field);
arrow::Result<std::optional<int64_t>> OptionalInt64(const Json& obj, std::string_view field);
arrow::Result<int64_t> RequireInt64(const Json& obj, std::string_view field);
// An optional JSON object field; missing or null -> {}.
arrow::Result<Json> OptionalObject(const Json& obj, std::string_view field);

}  // namespace mosaico
