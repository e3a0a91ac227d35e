// SQL functions that the SQLite catalog registers on its connection for queries (FindTopics). Each returns
// 1 or 0; C++ objects reach them as pointer parameters (sqlite3_bind_pointer with the type names below), so no
// query value is ever pasted into SQL text.
//
//   mosaico_glob(pattern, text)      text matches the core::Glob `pattern` (anchored). The compiled pattern is
//                                    cached per statement with sqlite3_set_auxdata. NULL text -> 0; an invalid
//                                    pattern is an SQL error (FindTopics validates patterns before running).
//   mosaico_meta(json, matcher)      MetadataMatcher::Evaluate on a user_metadata text (NULL reads as {}); a text
//                                    that is not a JSON object is an SQL error naming the problem.
//   mosaico_holds(value, predicate)  core::Holds of a ScalarPredicate on a column value (INTEGER -> int64,
//                                    REAL -> double, TEXT -> string, NULL -> null). Used for field predicates
//                                    whose arguments are not of the column's type (exact, no SQL affinity).
//   mosaico_in(value, set)           value is in a ValueSet (binary search); for long $in lists.
//   mosaico_key_path(key, path)      a user_metadata query key (std::vector<std::string> of segments, "*" and
//                                    "**" wildcards) reaches the encoded path of metadata_paths
//                                    (catalog/metadata_paths.h, KeyMatchesPath).
// The functions are SQLITE_DIRECTONLY (not usable from schema objects) and deterministic.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <arrow/status.h>

struct sqlite3;

namespace mosaico::catalog::sqlite {

inline constexpr char kMetadataMatcherPointerType[] = "mosaico.metadata_matcher";
inline constexpr char kScalarPredicatePointerType[] = "mosaico.scalar_predicate";
inline constexpr char kValueSetPointerType[] = "mosaico.value_set";
inline constexpr char kMetadataKeyPointerType[] = "mosaico.metadata_key";

// Sorted, deduplicated integers and strings (byte order) for mosaico_in.
struct ValueSet {
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  void Seal();  // sorts and deduplicates; call once after filling
};

// Registers the functions above on `db` (idempotent: re-registering replaces them).
arrow::Status RegisterQueryFunctions(sqlite3* db);

}  // namespace mosaico::catalog::sqlite
