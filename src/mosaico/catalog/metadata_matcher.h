// MetadataMatcher: the user_metadata predicates of one entity (a sequence or a topic), compiled once per query
// and evaluated on each row's user_metadata JSON text with a single parse, however many predicates there are.
//
// Semantics (catalog/topic_filter.h): every predicate must hold. A key resolves to the set of values reached by
// its segments ("*" = any one member, "**" = zero or more levels; only objects are descended, never arrays);
// JSON nulls are dropped. kNotExists holds when that set is empty, kExists when it is not, every other operator
// when at least one reached scalar satisfies it (core::Holds). Objects and arrays count as present but never
// satisfy a comparison. A "**" key visits each (node, segment) pair at most once, so no key can blow up.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <arrow/result.h>

#include "mosaico/catalog/json_doc.h"
#include "mosaico/catalog/topic_filter.h"
#include "mosaico/core/glob.h"

namespace mosaico::catalog {

class MetadataMatcher {
 public:
  // InvalidArgument for an empty key, an empty key segment or an invalid $match pattern.
  static arrow::Result<std::unique_ptr<MetadataMatcher>> Make(const std::vector<MetadataPredicate>& predicates);

  enum class Outcome { kMatch, kNoMatch, kNotAnObject };
  // kNotAnObject when the text is not a JSON object. Not thread-safe: reuses its parse buffers.
  Outcome Evaluate(std::string_view user_metadata_json);

 private:
  enum class Segment : uint8_t { kName, kAnyMember, kAnyDepth };
  struct Compiled {
    std::vector<std::string> names;   // segment text (kName)
    std::vector<Segment> segments;
    bool any_depth = false;           // has a "**" segment
    ScalarPredicate predicate;
    std::optional<Glob> glob;         // kMatch with a string pattern
    // kIn with many arguments: the same membership test by binary search instead of a linear scan.
    struct InSet {
      std::vector<ScalarValue> numbers;  // int64 and double, ordered by CompareNumbers, no NaN
      std::vector<std::string> strings;  // byte order
      bool has_true = false, has_false = false;
    };
    std::optional<InSet> in_set;
  };

  MetadataMatcher() = default;
  bool PredicateHolds(const Compiled& c);
  bool Satisfies(const Compiled& c, const JsonDoc::Node& node) const;
  // True when `accept` returns true for some node reached by c's key (stops at the first).
  template <typename Accept>
  bool AnyReached(const Compiled& c, Accept&& accept);

  std::vector<Compiled> compiled_;
  JsonDoc doc_;
  std::vector<std::pair<uint32_t, uint32_t>> stack_;  // (node, segment) still to visit
  std::vector<uint8_t> visited_;                      // any_depth keys: node * (segments + 1) + segment
};

}  // namespace mosaico::catalog
