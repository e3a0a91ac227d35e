#include "mosaico/core/metadata_keys.h"

#include <string>

#include "mosaico/core/errors.h"

namespace mosaico {
namespace {

constexpr int kMaxDepth = 64;
constexpr size_t kShownKeyBytes = 64;

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' || c == '_' ||
         c == '-';
}

// `path` names where `value` sits, for the message: "" at the top, then "a", "a.b", "a.b[3]".
arrow::Status Walk(const Json& value, std::string_view field, const std::string& path, int depth) {
  if (depth > kMaxDepth) {
    return InvalidArgument("'" + std::string(field) + "' nests deeper than " + std::to_string(kMaxDepth) +
                           " levels at " + (path.empty() ? std::string("the top") : path));
  }
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      if (!IsValidMetadataKey(key)) {
        std::string shown = key.substr(0, kShownKeyBytes);
        return InvalidArgument("invalid json key '" + shown + "' in '" + std::string(field) + "'" +
                               (path.empty() ? std::string() : " at " + path) +
                               ": a key must be non-empty, use only ASCII letters, digits, space, '_' and '-', and "
                               "not contain '--'");
      }
      ARROW_RETURN_NOT_OK(Walk(child, field, path.empty() ? key : path + "." + key, depth + 1));
    }
  } else if (value.is_array()) {
    size_t i = 0;
    for (const auto& child : value) {
      ARROW_RETURN_NOT_OK(Walk(child, field, path + "[" + std::to_string(i++) + "]", depth + 1));
    }
  }
  return arrow::Status::OK();
}

}  // namespace

bool IsValidMetadataKey(std::string_view key) {
  if (key.empty() || key.find("--") != std::string_view::npos) return false;
  for (char c : key) {
    if (!IsKeyChar(c)) return false;
  }
  return true;
}

arrow::Status ValidateMetadataKeys(const Json& metadata, std::string_view field) {
  return Walk(metadata, field, "", 0);
}

}  // namespace mosaico
