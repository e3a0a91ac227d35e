#include "mosaico/query/request_json.h"

#include <cstdint>
#include <string>
#include <vector>

#include "mosaico/core/errors.h"

namespace mosaico::query {
namespace {

constexpr std::uint64_t kOverflowSubtype = 0x6f;  // binary subtype of the marker ('o')

// The DOM builder of nlohmann, except for integer literals that did not fit 64 bits.
class StrictSax {
 public:
  explicit StrictSax(Json* out) : dom_(*out, /*allow_exceptions=*/false) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(Json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(Json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(Json::number_float_t v, const Json::string_t& literal) {
    if (literal.find_first_of(".eE") == std::string::npos) {  // an integer literal beyond 64 bits
      Json::binary_t marker(std::vector<std::uint8_t>(literal.begin(), literal.end()), kOverflowSubtype);
      return dom_.binary(marker);
    }
    return dom_.number_float(v, literal);
  }
  bool string(Json::string_t& v) { return dom_.string(v); }
  bool binary(Json::binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) { return dom_.start_object(n); }
  bool key(Json::string_t& k) { return dom_.key(k); }
  bool end_object() { return dom_.end_object(); }
  bool start_array(std::size_t n) { return dom_.start_array(n); }
  bool end_array() { return dom_.end_array(); }
  template <typename Exception>
  bool parse_error(std::size_t pos, const std::string& token, const Exception& ex) {
    return dom_.parse_error(pos, token, ex);
  }
  bool is_errored() const { return dom_.is_errored(); }

 private:
  nlohmann::detail::json_sax_dom_parser<Json> dom_;
};

}  // namespace

arrow::Result<Json> ParseRequestJson(std::string_view text, std::string_view what) {
  Json out;
  StrictSax sax(&out);
  const bool ok = Json::sax_parse(text.begin(), text.end(), &sax);
  if (!ok || sax.is_errored()) return InvalidArgument(std::string(what) + " is not valid JSON");
  if (!out.is_object()) return InvalidArgument(std::string(what) + " must be a JSON object");
  return out;
}

bool IsIntegerOverflow(const Json& value) {
  return value.is_binary() && value.get_binary().has_subtype() && value.get_binary().subtype() == kOverflowSubtype;
}

}  // namespace mosaico::query
