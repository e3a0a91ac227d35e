#include "mosaico/core/locator.h"

#include <vector>

#include "mosaico/core/errors.h"

namespace mosaico {
namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Printable rendering of a rejected locator for error messages (control characters escaped).
std::string Quote(std::string_view text) {
  std::string out = "'";
  for (unsigned char c : text.substr(0, 200)) {
    if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > 200) out += "...";
  return out + "'";
}

arrow::Status Bad(std::string_view field, std::string_view text, const std::string& why) {
  return InvalidArgument("invalid " + std::string(field) + " " + Quote(text) + ": " + why);
}

// Validates one segment; returns an empty string when valid, else the reason.
std::string CheckSegment(std::string_view seg) {
  if (seg.empty()) return "empty path segment";
  if (!IsAlnum(seg[0])) {
    if (seg == "." || seg == "..") return "relative path segment '" + std::string(seg) + "' is not allowed";
    return "segment '" + std::string(seg) + "' must start with a letter or digit";
  }
  for (char c : seg) {
    if (IsAlnum(c) || c == '_' || c == '-' || c == '.') continue;
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return "control characters are not allowed";
    return std::string("character '") + c + "' is not allowed (use letters, digits, '_', '-', '.')";
  }
  return {};
}

std::string_view StripSlashes(std::string_view text) {
  while (!text.empty() && text.front() == '/') text.remove_prefix(1);
  while (!text.empty() && text.back() == '/') text.remove_suffix(1);
  return text;
}

arrow::Status CheckLength(std::string_view field, std::string_view text) {
  if (text.size() > kMaxLocatorLength) {
    return Bad(field, text, "longer than " + std::to_string(kMaxLocatorLength) + " bytes");
  }
  return arrow::Status::OK();
}

}  // namespace

size_t StoredTopicNameBytes(std::string_view topic_path) {
  size_t bytes = topic_path.size();
  for (char c : topic_path) {
    if (c == '/') bytes += 2;
  }
  return bytes;
}

arrow::Result<std::string> ParseSequenceName(std::string_view text, std::string_view field) {
  ARROW_RETURN_NOT_OK(CheckLength(field, text));
  std::string_view name = StripSlashes(text);
  if (name.empty()) return Bad(field, text, "empty sequence name");
  if (name.find('/') != std::string_view::npos) {
    return Bad(field, text, "a sequence name cannot contain '/'");
  }
  std::string why = CheckSegment(name);
  if (!why.empty()) return Bad(field, text, why);
  if (name.size() > kMaxStoredNameBytes) {
    return Bad(field, text, "the sequence name is " + std::to_string(name.size()) + " bytes, over the limit of " +
                                std::to_string(kMaxStoredNameBytes) + " bytes per name");
  }
  return std::string(name);
}

arrow::Result<std::string> ParseTopicPath(std::string_view text, std::string_view field) {
  ARROW_RETURN_NOT_OK(CheckLength(field, text));
  std::string_view path = StripSlashes(text);
  if (path.empty()) return Bad(field, text, "empty topic name");
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    std::string_view seg = path.substr(start, slash == std::string_view::npos ? path.npos : slash - start);
    std::string why = CheckSegment(seg);
    if (!why.empty()) return Bad(field, text, why);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (size_t stored = StoredTopicNameBytes(path); stored > kMaxStoredNameBytes) {
    return Bad(field, text, "the topic name takes " + std::to_string(stored) + " bytes in the store (each '/' as "
               "\"%2F\"), over the limit of " + std::to_string(kMaxStoredNameBytes) + " bytes per name");
  }
  return std::string(path);
}

arrow::Result<TopicLocator> ParseTopicLocator(std::string_view text, std::string_view field) {
  ARROW_RETURN_NOT_OK(CheckLength(field, text));
  std::string_view stripped = StripSlashes(text);
  size_t slash = stripped.find('/');
  if (slash == std::string_view::npos) {
    return Bad(field, text, "a topic locator has the form '<sequence>/<topic>'");
  }
  TopicLocator loc;
  auto seq = ParseSequenceName(stripped.substr(0, slash), field);
  if (!seq.ok()) return Bad(field, text, "bad sequence part: " + seq.status().message());
  loc.sequence = *seq;
  std::string_view rest = stripped.substr(slash + 1);
  if (rest.empty() || rest.front() == '/') return Bad(field, text, "empty path segment");
  auto topic = ParseTopicPath(rest, field);
  if (!topic.ok()) return topic.status();
  loc.topic = *topic;
  return loc;
}

arrow::Result<SessionLocator> ParseSessionLocator(std::string_view text, std::string_view field) {
  ARROW_RETURN_NOT_OK(CheckLength(field, text));
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return Bad(field, text, "a session locator has the form '<sequence>:<session id>'");
  }
  SessionLocator loc;
  ARROW_ASSIGN_OR_RAISE(loc.sequence, ParseSequenceName(text.substr(0, colon), field));
  std::string_view id = text.substr(colon + 1);
  if (id.empty()) return Bad(field, text, "empty session id");
  for (char c : id) {
    if (!IsAlnum(c)) return Bad(field, text, "session id must be letters and digits");
  }
  loc.id = std::string(id);
  return loc;
}

arrow::Result<ResourceLocator> ParseResourceLocator(std::string_view text, std::string_view field) {
  ARROW_RETURN_NOT_OK(CheckLength(field, text));
  std::string_view stripped = StripSlashes(text);
  ResourceLocator loc;
  if (stripped.find('/') == std::string_view::npos) {
    ARROW_ASSIGN_OR_RAISE(loc.sequence, ParseSequenceName(text, field));
    return loc;
  }
  ARROW_ASSIGN_OR_RAISE(auto topic, ParseTopicLocator(text, field));
  loc.sequence = std::move(topic.sequence);
  loc.topic = std::move(topic.topic);
  return loc;
}

}  // namespace mosaico
