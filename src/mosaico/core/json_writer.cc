#include "mosaico/core/json_writer.h"

#include <charconv>

#include <nlohmann/json.hpp>

namespace mosaico {
namespace {

// 0: copied as is; 1: needs an escape; 2: not ASCII (nlohmann decides).
constexpr uint8_t Kind(unsigned char c) {
  if (c >= 0x80) return 2;
  if (c < 0x20 || c == '"' || c == '\\') return 1;
  return 0;
}

bool AllAscii(std::string_view s, bool* plain) {
  bool p = true;
  for (unsigned char c : s) {
    const uint8_t k = Kind(c);
    if (k == 2) return false;
    if (k == 1) p = false;
  }
  *plain = p;
  return true;
}

void AppendEscapedAscii(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\t': out->append("\\t"); break;
      case '\n': out->append("\\n"); break;
      case '\f': out->append("\\f"); break;
      case '\r': out->append("\\r"); break;
      default:
        if (c < 0x20) {
          const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
          out->append(esc, sizeof esc);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
}

void AppendViaNlohmann(std::string* out, std::string s) {
  out->append(nlohmann::json(std::move(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view s) {
  bool plain = true;
  if (!AllAscii(s, &plain)) return AppendViaNlohmann(out, std::string(s));
  out->push_back('"');
  if (plain) {
    out->append(s);
  } else {
    AppendEscapedAscii(out, s);
  }
  out->push_back('"');
}

void AppendJsonString(std::string* out, std::string_view a, std::string_view b, std::string_view c) {
  bool pa = true, pb = true, pc = true;
  if (!AllAscii(a, &pa) || !AllAscii(b, &pb) || !AllAscii(c, &pc)) {
    std::string joined;
    joined.reserve(a.size() + b.size() + c.size());
    joined.append(a).append(b).append(c);
    return AppendViaNlohmann(out, std::move(joined));
  }
  out->push_back('"');
  for (auto [part, plain] : {std::pair{a, pa}, std::pair{b, pb}, std::pair{c, pc}}) {
    if (plain) {
      out->append(part);
    } else {
      AppendEscapedAscii(out, part);
    }
  }
  out->push_back('"');
}

void AppendJsonInt(std::string* out, int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

}  // namespace mosaico
