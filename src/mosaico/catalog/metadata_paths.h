// Metadata paths: the user_metadata of an entity flattened into (path, kind, value) entries, the rows of the
// catalog's metadata index (SQLite: sqlite/metadata_index.h), and the matching of a query key ("a.*.b",
// "**.fw") against such paths. The index only narrows a query to candidates; MetadataMatcher decides on each
// candidate's JSON (catalog/metadata_matcher.h), so an index must return a SUPERSET of the matches, never fewer.
//
// Contract:
//  - FlattenMetadata walks a JSON object the way MetadataMatcher does: objects are descended member by member
//    (duplicated keys: only the last occurrence, JsonDoc::ForEachMember), arrays are not. Every non-null node
//    below the root yields one entry: its path (the member names from the root) and its kind/value. Nulls yield
//    nothing (a null is absent). The root itself yields nothing.
//  - It returns false, with `out` cleared, when the text is not a JSON object or is too large to index (more
//    than kMaxIndexedNodes nodes or a path longer than kMaxIndexedPathBytes): such an entity must be treated as
//    a candidate for every indexed predicate (it is marked unindexed).
//  - Paths are encoded unambiguously as text: segments joined by '.', with '\' and '.' inside a segment
//    escaped as "\\" and "\.". EncodePath(segments) of a key without wildcards is the path of exactly the nodes
//    that key reaches by name.
//  - KeyMatchesPath(key, path) is true when `key` (segments, "*" = any one member, "**" = zero or more) reaches
//    the node at `path`; i.e. exactly the nodes MetadataMatcher resolves the key to, root excluded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mosaico::catalog {

inline constexpr uint32_t kMaxIndexedNodes = 4096;
inline constexpr size_t kMaxIndexedPathBytes = 1024;

// Kinds as stored in the index (integers, so they sort and compare cheaply). kNaN: a floating-point NaN
// (present, satisfies nothing but $ex). kOther: an object or an array (present, never equal to a scalar).
enum class MetadataKind : int { kUnindexed = 0, kBool = 1, kNumber = 2, kString = 3, kOther = 4, kNaN = 5 };

struct MetadataEntry {
  std::string path;  // encoded (see above)
  MetadataKind kind = MetadataKind::kOther;
  bool is_double = false;  // kNumber: `number` holds the value, else `integer`
  int64_t integer = 0;     // kBool: 0/1; kNumber int64
  double number = 0;
  std::string text;        // kString
};

bool FlattenMetadata(std::string_view json, std::vector<MetadataEntry>* out);

std::string EncodePathSegment(std::string_view segment);
std::string EncodePath(const std::vector<std::string>& segments);
// The decoded segments of an encoded path.
std::vector<std::string> DecodePath(std::string_view path);

bool KeyHasWildcard(const std::vector<std::string>& key);
// True when the key reaches the root itself (every segment is "**"): the index has no row for the root.
bool KeyReachesRoot(const std::vector<std::string>& key);
bool KeyMatchesPath(const std::vector<std::string>& key, const std::vector<std::string>& path_segments);

}  // namespace mosaico::catalog
