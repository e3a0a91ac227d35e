#include "mosaico/catalog/json_doc.h"

#include <charconv>
#include <cstdlib>

namespace mosaico::catalog {
namespace {

using Kind = JsonDoc::Kind;
using Node = JsonDoc::Node;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<Node>* nodes, std::vector<JsonDoc::OpenContainer>* open,
         std::deque<std::string>* decoded)
      : text_(text), nodes_(*nodes), open_(*open), decoded_(*decoded) {}

  bool Run() {
    std::vector<JsonDoc::OpenContainer>& open = open_;  // cleared by JsonDoc::Parse
    std::string_view key;  // key of the next value when inside an object
    bool expect_value = true;
    while (true) {
      SkipSpace();
      if (expect_value) {
        if (pos_ >= text_.size()) return false;
        const char c = text_[pos_];
        const auto index = static_cast<uint32_t>(nodes_.size());
        nodes_.emplace_back();
        nodes_[index].key = key;
        key = {};
        if (c == '{' || c == '[') {
          ++pos_;
          const bool object = c == '{';
          nodes_[index].kind = object ? Kind::kObject : Kind::kArray;
          SkipSpace();
          if (pos_ < text_.size() && text_[pos_] == (object ? '}' : ']')) {
            ++pos_;
            nodes_[index].end = index + 1;
            expect_value = false;
            continue;
          }
          open.push_back({index, {}, false});
          if (object && !ParseMemberKey(&key, &open.back().last_key, &open.back().has_key, index)) return false;
          continue;
        }
        if (!ParseScalar(index)) return false;
        nodes_[index].end = index + 1;
        expect_value = false;
        continue;
      }
      if (open.empty()) return pos_ == text_.size();
      if (pos_ >= text_.size()) return false;
      JsonDoc::OpenContainer& top = open.back();
      const bool object = nodes_[top.index].kind == Kind::kObject;
      const char c = text_[pos_];
      if (c == ',') {
        ++pos_;
        if (object && !ParseMemberKey(&key, &top.last_key, &top.has_key, top.index)) return false;
        expect_value = true;
      } else if (c == (object ? '}' : ']')) {
        ++pos_;
        nodes_[top.index].end = static_cast<uint32_t>(nodes_.size());
        open.pop_back();
      } else {
        return false;
      }
    }
  }

 private:
  void SkipSpace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++pos_;
    }
  }

  // `"key" :` inside object `object`; records whether keys stay strictly increasing.
  bool ParseMemberKey(std::string_view* key, std::string_view* last_key, bool* has_key, uint32_t object) {
    SkipSpace();
    if (!ParseString(key)) return false;
    SkipSpace();
    if (pos_ >= text_.size() || text_[pos_] != ':') return false;
    ++pos_;
    if (*has_key && !(*last_key < *key)) nodes_[object].keys_sorted_unique = false;
    *last_key = *key;
    *has_key = true;
    return true;
  }

  bool ParseScalar(uint32_t index) {
    Node& node = nodes_[index];
    const char c = text_[pos_];
    if (c == '"') {
      node.kind = Kind::kString;
      return ParseString(&node.text);
    }
    if (c == '-' || IsDigit(c)) return ParseNumber(&node);
    if (Literal("true")) {
      node.kind = Kind::kBool;
      node.boolean = true;
      return true;
    }
    if (Literal("false")) {
      node.kind = Kind::kBool;
      return true;
    }
    return Literal("null");  // node.kind is already kNull
  }

  bool Literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool ParseString(std::string_view* out) {
    if (pos_ >= text_.size() || text_[pos_] != '"') return false;
    const size_t start = ++pos_;
    while (pos_ < text_.size()) {
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        *out = text_.substr(start, pos_ - start);
        ++pos_;
        return true;
      }
      if (c == '\\') break;
      if (c < 0x20) return false;
      ++pos_;
    }
    if (pos_ >= text_.size()) return false;
    std::string& decoded = decoded_.emplace_back(text_.substr(start, pos_ - start));
    while (pos_ < text_.size()) {
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        *out = decoded;
        return true;
      }
      if (c < 0x20) return false;
      if (c != '\\') {
        decoded.push_back(static_cast<char>(c));
        ++pos_;
        continue;
      }
      if (++pos_ >= text_.size()) return false;
      const char e = text_[pos_++];
      switch (e) {
        case '"': decoded.push_back('"'); break;
        case '\\': decoded.push_back('\\'); break;
        case '/': decoded.push_back('/'); break;
        case 'b': decoded.push_back('\b'); break;
        case 'f': decoded.push_back('\f'); break;
        case 'n': decoded.push_back('\n'); break;
        case 'r': decoded.push_back('\r'); break;
        case 't': decoded.push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF && text_.substr(pos_, 2) == "\\u") {
            const size_t save = pos_;
            pos_ += 2;
            uint32_t low = 0;
            if (!Hex4(&low)) return false;
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              pos_ = save;  // not a pair: the high surrogate stands alone
            }
          }
          AppendUtf8(&decoded, cp);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  bool Hex4(uint32_t* out) {
    if (pos_ + 4 > text_.size()) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = HexValue(text_[pos_ + i]);
      if (h < 0) return false;
      v = (v << 4) | static_cast<uint32_t>(h);
    }
    pos_ += 4;
    *out = v;
    return true;
  }

  bool ParseNumber(Node* node) {
    const size_t start = pos_;
    if (text_[pos_] == '-') ++pos_;
    if (pos_ >= text_.size()) return false;
    if (text_[pos_] == '0') {
      ++pos_;
    } else if (IsDigit(text_[pos_])) {
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    } else {
      return false;
    }
    bool integral = true;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      integral = false;
      if (++pos_ >= text_.size() || !IsDigit(text_[pos_])) return false;
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (pos_ >= text_.size() || !IsDigit(text_[pos_])) return false;
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (integral) {
      auto [ptr, ec] = std::from_chars(first, last, node->integer);
      if (ec == std::errc() && ptr == last) {
        node->kind = Kind::kInt;
        return true;
      }
    }
    node->kind = Kind::kDouble;
    auto [ptr, ec] = std::from_chars(first, last, node->number);
    if (ec == std::errc() && ptr == last) return true;
    // Out of range: strtod gives +-HUGE_VAL (inf) or +-0 as appropriate.
    node->number = std::strtod(std::string(first, last).c_str(), nullptr);
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::vector<Node>& nodes_;
  std::vector<JsonDoc::OpenContainer>& open_;
  std::deque<std::string>& decoded_;
};

}  // namespace

bool JsonDoc::Parse(std::string_view text) {
  nodes_.clear();
  open_.clear();
  decoded_.clear();
  return Parser(text, &nodes_, &open_, &decoded_).Run();
}

uint32_t JsonDoc::FindMember(uint32_t object, std::string_view key) const {
  const Node& parent = nodes_[object];
  uint32_t found = 0;
  for (uint32_t child = object + 1; child < parent.end; child = nodes_[child].end) {
    const std::string_view member = nodes_[child].key;
    if (parent.keys_sorted_unique) {
      const int c = member.compare(key);
      if (c == 0) return child;
      if (c > 0) return 0;
    } else if (member == key) {
      found = child;
    }
  }
  return found;
}

bool JsonDoc::HasLaterDuplicate(uint32_t object, uint32_t child) const {
  const Node& parent = nodes_[object];
  for (uint32_t later = nodes_[child].end; later < parent.end; later = nodes_[later].end) {
    if (nodes_[later].key == nodes_[child].key) return true;
  }
  return false;
}

}  // namespace mosaico::catalog
