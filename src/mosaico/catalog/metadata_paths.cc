#include "mosaico/catalog/metadata_paths.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "mosaico/catalog/json_doc.h"

namespace mosaico::catalog {
namespace {

using Kind = JsonDoc::Kind;

bool EntryOf(const JsonDoc::Node& node, std::string path, MetadataEntry* e) {
  e->path = std::move(path);
  switch (node.kind) {
    case Kind::kNull:
      return false;
    case Kind::kBool:
      e->kind = MetadataKind::kBool;
      e->integer = node.boolean ? 1 : 0;
      return true;
    case Kind::kInt:
      e->kind = MetadataKind::kNumber;
      e->integer = node.integer;
      return true;
    case Kind::kDouble:
      e->kind = std::isnan(node.number) ? MetadataKind::kNaN : MetadataKind::kNumber;
      e->is_double = true;
      e->number = node.number;
      return true;
    case Kind::kString:
      e->kind = MetadataKind::kString;
      e->text = std::string(node.text);
      return true;
    case Kind::kArray:
    case Kind::kObject:
      e->kind = MetadataKind::kOther;
      return true;
  }
  return false;
}

}  // namespace

std::string EncodePathSegment(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (char c : segment) {
    if (c == '\\' || c == '.') out += '\\';
    out += c;
  }
  return out;
}

std::string EncodePath(const std::vector<std::string>& segments) {
  std::string out;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += '.';
    out += EncodePathSegment(segments[i]);
  }
  return out;
}

std::vector<std::string> DecodePath(std::string_view path) {
  std::vector<std::string> out(1);
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '\\' && i + 1 < path.size()) {
      out.back() += path[++i];
    } else if (path[i] == '.') {
      out.emplace_back();
    } else {
      out.back() += path[i];
    }
  }
  return out;
}

bool FlattenMetadata(std::string_view json, std::vector<MetadataEntry>* out) {
  out->clear();
  JsonDoc doc;
  if (!doc.Parse(json) || doc.node(0).kind != Kind::kObject || doc.size() > kMaxIndexedNodes) return false;
  // (object node, its encoded path; "" for the root)
  std::vector<std::pair<uint32_t, std::string>> stack;
  stack.emplace_back(0, std::string());
  while (!stack.empty()) {
    auto [object, prefix] = std::move(stack.back());
    stack.pop_back();
    bool too_long = false;
    doc.ForEachMember(object, [&](uint32_t child) {
      const JsonDoc::Node& node = doc.node(child);
      std::string path = object == 0 ? EncodePathSegment(node.key) : prefix + "." + EncodePathSegment(node.key);
      if (path.size() > kMaxIndexedPathBytes) too_long = true;
      if (node.kind == Kind::kObject) stack.emplace_back(child, path);
      MetadataEntry e;
      if (EntryOf(node, std::move(path), &e)) out->push_back(std::move(e));
    });
    if (too_long) {
      out->clear();
      return false;
    }
  }
  return true;
}

bool KeyHasWildcard(const std::vector<std::string>& key) {
  for (const std::string& s : key) {
    if (s == "*" || s == "**") return true;
  }
  return false;
}

bool KeyReachesRoot(const std::vector<std::string>& key) {
  for (const std::string& s : key) {
    if (s != "**") return false;
  }
  return true;
}

bool KeyMatchesPath(const std::vector<std::string>& key, const std::vector<std::string>& path) {
  // reach[j]: the first i key segments can consume the first j path segments.
  const size_t n = path.size();
  std::vector<char> reach(n + 1, 0), next(n + 1, 0);
  reach[0] = 1;
  for (const std::string& segment : key) {
    std::fill(next.begin(), next.end(), 0);
    if (segment == "**") {
      char any = 0;
      for (size_t j = 0; j <= n; ++j) {
        any = any || reach[j];
        next[j] = any;
      }
    } else {
      const bool star = segment == "*";
      for (size_t j = 0; j < n; ++j) {
        if (reach[j] && (star || path[j] == segment)) next[j + 1] = 1;
      }
    }
    reach.swap(next);
  }
  return reach[n] != 0;
}

}  // namespace mosaico::catalog
