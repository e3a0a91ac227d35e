// Query parser: the JSON bodies of `query`, `topic_filter_clusterize` and `topic_filter_intersect` -> AST
// (query_ast.h), with every validation of docs/QUERY.md.
//
// Contract:
//  - Every invalid request is INVALID_ARGUMENT naming the section / key and the reason; limits are those of
//    query_limits.h. Any JSON value is safe to pass (wrong types, huge numbers, deep nesting: the parser only
//    looks at the levels the grammar allows and never recurses into arguments).
//  - query: sections `sequence` (name, created_at_ns, user_metadata), `topic` (name, ontology_tag,
//    created_at_ns, user_metadata), `ontology` ("<tag>.<path>" keys); unknown sections or fields are errors; a
//    section is an object, an empty one is no condition. topic.name string arguments and $match patterns lose one
//    leading '/'.
//  - Ontology keys are type-checked against the schemas of their tag (`schemas(tag)`): a tag without any schema
//    matches nothing and is not checked; otherwise at least one schema must resolve the path to a scalar leaf
//    whose kind accepts the condition, else the first schema's reason is reported.
//  - clusterize: {locator, clustering_dt_ns (integer >= 0), ontology (object; absent or null: empty),
//    timestamp_range ({start_ns, end_ns} integers with start_ns <= end_ns; absent or null: none)}; intersect:
//    {topics: [clusterize bodies], intersect_dt_ns (integer >= 0)}; other fields of these bodies are ignored.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <arrow/result.h>
#include <arrow/type_fwd.h>

#include "mosaico/core/json.h"
#include "mosaico/query/query_ast.h"

namespace mosaico::query {

// The schema snapshots of the topics of one ontology tag (empty: no topic of that tag has a schema yet).
using SchemaLookup =
    std::function<arrow::Result<std::vector<std::shared_ptr<arrow::Schema>>>(const std::string& ontology_tag)>;

arrow::Result<QueryRequest> ParseQuery(const Json& body, const SchemaLookup& schemas);
arrow::Result<ClusterizeRequest> ParseClusterize(const Json& body, const SchemaLookup& schemas);
arrow::Result<IntersectRequest> ParseIntersect(const Json& body, const SchemaLookup& schemas);

}  // namespace mosaico::query
