// Query AST: what the query parser (query_parser.h) produces from the JSON bodies of the `query`,
// `topic_filter_clusterize` and `topic_filter_intersect` actions, and what the engine (query_engine.h) runs.
//
// Contract (docs/QUERY.md states the semantics):
//  - Everything here is already validated: operators have well-formed arguments of the right kind, ontology keys
//    were type-checked against the schemas of their tag, $match patterns compile, limits hold.
//  - The catalog half of a query is a catalog::TopicFilter (evaluated inside the catalog backend); the ontology
//    half is a list of conditions grouped by tag, each an access path into a topic's rows plus a ScalarPredicate.
//  - All conditions of one tag must hold on the same row.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mosaico/catalog/topic_filter.h"
#include "mosaico/core/scalar_predicate.h"

namespace mosaico::query {

// One step of an ontology access path: a struct field by name, or a list specifier.
struct PathStep {
  enum class Kind { kField, kIndex, kAny, kAll };  // name, [N], [?], [!]
  Kind kind = Kind::kField;
  std::string name;   // kField
  int64_t index = 0;  // kIndex, >= 0
  bool operator==(const PathStep&) const = default;
};

// One ontology condition: "<tag>.<path>": {op: arg}.
struct OntologyCondition {
  std::string key;              // the key as sent, for messages
  std::vector<PathStep> path;   // at least one kField step first
  ScalarPredicate predicate;
  // "a.b.c" when the path has no list specifier (the name of the leaf's column statistics), else empty.
  std::string StatsColumn() const;
};

// The conditions of one ontology tag, in request order.
struct TagConditions {
  std::string tag;
  std::vector<OntologyCondition> conditions;
};

// Ontology section: conditions grouped by tag, tags in first-appearance order.
struct OntologyFilter {
  std::vector<TagConditions> tags;
  bool empty() const { return tags.empty(); }
  // The conditions of `tag`, or nullptr when the section has none for it.
  const TagConditions* Find(const std::string& tag) const;
};

// Body of the `query` action.
struct QueryRequest {
  catalog::TopicFilter catalog;  // ontology_tags is set iff the ontology section is non-empty
  OntologyFilter ontology;       // empty: no ontology section (or an empty one)
};

// Inclusive time range over timestamp_ns (both ends belong to it).
struct TsRange {
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  bool Contains(int64_t ts) const { return ts >= start_ns && ts <= end_ns; }
  bool Overlaps(int64_t lo, int64_t hi) const { return hi >= start_ns && lo <= end_ns; }
  bool Covers(int64_t lo, int64_t hi) const { return lo >= start_ns && hi <= end_ns; }
};

// Body of `topic_filter_clusterize` (and one element of an intersect body).
struct ClusterizeRequest {
  std::string sequence;  // locator, split
  std::string topic;
  int64_t clustering_dt_ns = 0;  // >= 0
  OntologyFilter ontology;       // only the conditions of the topic's own tag apply
  std::optional<TsRange> ts_range;
};

// Body of `topic_filter_intersect`.
struct IntersectRequest {
  std::vector<ClusterizeRequest> topics;
  int64_t intersect_dt_ns = 0;  // >= 0
};

// A time window [start_ns, end_ns] (inclusive) of matching rows: clusters and intersections.
struct Window {
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  bool operator==(const Window&) const = default;
};

}  // namespace mosaico::query
