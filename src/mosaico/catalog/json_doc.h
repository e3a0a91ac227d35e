// JsonDoc: a small, allocation-light JSON reader for user_metadata documents, used by MetadataMatcher
// (metadata_matcher.h) in every catalog backend (one parse per row, however many predicates apply).
//
// Contract:
//  - Parse() accepts RFC 8259 JSON text (surrounding whitespace allowed) and returns false otherwise; bytes
//    inside strings are passed through without UTF-8 validation. It is iterative, so nesting depth is limited
//    only by memory.
//  - The document is a flat array of nodes in document order; a node's subtree is [index, end). Children of a
//    container start at index + 1 and follow each other via `end`. Members of an object carry their key.
//  - Numbers written without fraction or exponent that fit in int64 are kInt; every other number is kDouble
//    (integers beyond int64 become the nearest double; out-of-range exponents become +-inf or +-0).
//  - Strings and keys are decoded (escapes resolved; \u surrogate pairs combined, a lone surrogate encoded as
//    its 3-byte form). Views point into the parsed text or into storage owned by the JsonDoc; all are valid
//    until the next Parse() or the JsonDoc's destruction, and the parsed text must outlive them too.
//  - Objects whose member keys are strictly increasing in byte order (what nlohmann::json writes: sorted, no
//    duplicates) are flagged `keys_sorted_unique`; lookups use that to stop early and to skip duplicate checks.
//    For other objects a duplicated key means its last occurrence (as Python's json module and nlohmann do).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace mosaico::catalog {

class JsonDoc {
 public:
  enum class Kind : uint8_t { kNull, kBool, kInt, kDouble, kString, kArray, kObject };

  struct Node {
    Kind kind = Kind::kNull;
    bool boolean = false;
    bool keys_sorted_unique = true;  // objects only
    uint32_t end = 0;                // one past the last node of this subtree
    int64_t integer = 0;
    double number = 0;
    std::string_view key;   // set when the parent is an object
    std::string_view text;  // kString
  };

  bool Parse(std::string_view text);

  // The parser's stack of open containers (kept between Parse calls, so parsing a row allocates nothing).
  struct OpenContainer {
    uint32_t index = 0;
    std::string_view last_key;
    bool has_key = false;
  };

  const Node& node(uint32_t index) const { return nodes_[index]; }
  uint32_t size() const { return static_cast<uint32_t>(nodes_.size()); }

  // The member of object `object` named `key` (its last occurrence), or 0 when absent (0 is always the root,
  // never a member).
  uint32_t FindMember(uint32_t object, std::string_view key) const;
  // Calls fn(child) for each effective member of object `object` (duplicates: only the last occurrence).
  template <typename Fn>
  void ForEachMember(uint32_t object, Fn&& fn) const {
    const Node& parent = nodes_[object];
    for (uint32_t child = object + 1; child < parent.end; child = nodes_[child].end) {
      if (!parent.keys_sorted_unique && HasLaterDuplicate(object, child)) continue;
      fn(child);
    }
  }

 private:
  bool HasLaterDuplicate(uint32_t object, uint32_t child) const;

  std::vector<Node> nodes_;
  std::vector<OpenContainer> open_;
  std::deque<std::string> decoded_;  // strings that contained escapes (deque: stable addresses)
};

}  // namespace mosaico::catalog
