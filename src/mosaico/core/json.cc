#include "mosaico/core/json.h"

#include "mosaico/core/errors.h"

namespace mosaico {
namespace {
std::string Field(std::string_view f) { return "'" + std::string(f) + "'"; }
}  // namespace

arrow::Result<Json> ParseJsonObject(std::string_view text, std::string_view what) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument(std::string(what) + " is not valid JSON");
  if (!j.is_object()) return InvalidArgument(std::string(what) + " must be a JSON object");
  return j;
}

arrow::Result<std::string> RequireString(const Json& obj, std::string_view field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return InvalidArgument("missing field " + Field(field));
  if (!it->is_string()) return InvalidArgument("field " + Field(field) + " must be a string");
  return it->get<std::string>();
}

arrow::Result<std::optional<std::string>> OptionalString(const Json& obj, std::string_view field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) return InvalidArgument("field " + Field(field) + " must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

arrow::Result<std::optional<int64_t>> OptionalInt64(const Json& obj, std::string_view field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::optional<int64_t>{};
  if (it->is_number_integer()) return std::optional<int64_t>(it->get<int64_t>());
  if (it->is_number_unsigned()) {
    uint64_t v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(INT64_MAX)) return InvalidArgument("field " + Field(field) + " is out of range");
    return std::optional<int64_t>(static_cast<int64_t>(v));
  }
  return InvalidArgument("field " + Field(field) + " must be an integer");
}

arrow::Result<int64_t> RequireInt64(const Json& obj, std::string_view field) {
  ARROW_ASSIGN_OR_RAISE(auto v, OptionalInt64(obj, field));
  if (!v) return InvalidArgument("missing field " + Field(field));
  return *v;
}

arrow::Result<Json> OptionalObject(const Json& obj, std::string_view field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return Json::object();
  if (!it->is_object()) return InvalidArgument("field " + Field(field) + " must be a JSON object");
  return *it;
}

}  // namespace mosaico
