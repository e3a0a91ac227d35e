#include "mosaico/core/json.h"

#include "mosaico/core/errors.h"

namespace mosaico {
namespace {
std::string Field(std::string_view f) { return "'" + std::string(f) + "'"; }

// The DOM builder of nlohmann::json, except that an integer literal too large for 64 bits (which nlohmann would
// silently turn into an approximate double) is an error: every integer a client sends is taken exactly or refused.
class ExactIntegerDomParser : public nlohmann::detail::json_sax_dom_parser<Json> {
 public:
  explicit ExactIntegerDomParser(Json& root) : json_sax_dom_parser(root, /*allow_exceptions=*/false) {}

  bool number_float(Json::number_float_t value, const Json::string_t& literal) {
    if (literal.find_first_of(".eE") == Json::string_t::npos) {
      oversized_integer_ = literal.substr(0, 40);
      return false;
    }
    return json_sax_dom_parser::number_float(value, literal);
  }

  const std::string& oversized_integer() const { return oversized_integer_; }

 private:
  std::string oversized_integer_;
};
}  // namespace

arrow::Result<Json> ParseJsonObject(std::string_view text, std::string_view what) {
  Json j;
  ExactIntegerDomParser builder(j);
  const bool ok = Json::sax_parse(text.begin(), text.end(), &builder, nlohmann::detail::input_format_t::json,
                                  /*strict=*/true, /*ignore_comments=*/false);
  if (!builder.oversized_integer().empty()) {
    return InvalidArgument(std::string(what) + ": integer " + builder.oversized_integer() +
                           " does not fit in 64 bits");
  }
  if (!ok || builder.is_errored() || j.is_discarded()) return InvalidArgument(std::string(what) + " is not valid JSON");
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
