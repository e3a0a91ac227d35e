// Translates a TopicFilter (catalog/topic_filter.h) into the one SELECT that SqliteCatalog::FindTopics runs.
//
// Contract:
//  - Every query value is a bound parameter; the SQL text depends only on the filter's shape (fields, operators,
//    argument counts), never on its values.
//  - Field predicates whose arguments all have the column's type become plain SQL on the column (TEXT columns
//    compare with the BINARY collation = UTF-8 byte order; created_at_ns as INTEGER), so indexes apply. Any
//    other field predicate goes through mosaico_holds (exact core::Holds semantics, no SQL type affinity).
//    $match becomes mosaico_glob (or `=` when the pattern has no wildcard); long $in lists become mosaico_in.
//  - Metadata predicates of an entity become one mosaico_meta call (one JSON parse per row), and, when the
//    metadata index can serve some of them (sqlite/metadata_index.h), an `id IN (<candidates>)` condition in
//    front of it: sequences are then looked up by rowid from the candidates, topics too when they drive the
//    join (when sequences drive it, a topic's id is only tested against the candidate set, '+t.id'). The
//    candidates are a superset; mosaico_meta still decides, so results do not depend on the index. When the
//    index decides every predicate exactly (MetadataCandidates::exact), mosaico_meta runs only on the entities
//    marked unindexed, inside the candidate set (`<indexed> UNION ALL SELECT id ... WHERE id IN (<marked>) AND
//    mosaico_meta(...)`): the join never reads a candidate's JSON column.
//    Topics driving the join with metadata candidates from an equality or a short list: those drive it, the
//    ontology_tag condition gets a '+' (a tag is shared by every topic of its type); when those candidates name
//    each topic once (MetadataCandidates::distinct) they are the first table of the FROM clause instead of an
//    `IN (...)` (no temporary b-tree; their parameters come first).
//  - With sequence conditions the join is driven by sequences (CROSS JOIN), so sequence conditions are
//    evaluated once per sequence and topic conditions only on topics of surviving sequences, found through the
//    (sequence_id, name) index; without them topics drive it (using e.g. the ontology_tag index) and each
//    topic's sequence is a rowid lookup. The loop order never depends on the planner's (stat-less) guesses.
//  - A sequence read only for its name is looked up in the (id, name) index when sequences drive the join by
//    exact metadata candidates alone, or selective topic candidates drive it; and topics found by id from exact
//    driving candidates in the (id, sequence_id, name, ontology_tag, data_ts_min, data_ts_max) index when no
//    schema or created_at_ns is read (schema 10, INDEXED BY): narrow b-trees instead of the wide rows.
//  - Result columns: 0 sequence id, 1 sequence name, 2 topic id, 3 topic name, 4 ontology_tag, 5 schema_ipc,
//    6 data_ts_min, 7 data_ts_max (the topic's committed interval kept on its row, NULL without chunks). Without
//    schemas and topic metadata conditions these are index columns (schema 9's covering topic indexes). Rows come in no particular order: an
//    ORDER BY would either push every row (schema blobs included) through SQLite's sorter or push the planner
//    onto the name indexes instead of the most selective one, so the caller sorts (byte order, like BINARY).
//  - InvalidArgument for an ontology_tag predicate on sequences, an invalid $match pattern, or a bad metadata key.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <arrow/result.h>

#include "mosaico/catalog/metadata_matcher.h"
#include "mosaico/catalog/sqlite/query_functions.h"
#include "mosaico/catalog/topic_filter.h"

namespace mosaico::catalog::sqlite {

struct PointerParam {
  void* pointer = nullptr;
  const char* type = nullptr;  // one of the k*PointerType names of query_functions.h
};
using SqlParam = std::variant<int64_t, double, std::string, PointerParam>;

struct FindTopicsSql {
  std::string sql;
  std::vector<SqlParam> params;  // for the '?' placeholders, in order
  // What the PointerParams point to; keep alive until the statement is done.
  std::vector<std::unique_ptr<MetadataMatcher>> matchers;
  std::vector<std::unique_ptr<ScalarPredicate>> predicates;
  std::vector<std::unique_ptr<ValueSet>> value_sets;
  std::vector<std::unique_ptr<std::vector<std::string>>> keys;  // wildcard metadata keys (mosaico_key_path)
};

// Testing/measurement switch: false makes BuildFindTopicsSql ignore the metadata index (the plan before it).
// Starts false when the environment has MOSAICOD_NO_METADATA_INDEX=1 (bench/catalog_query_bench.py).
void SetUseMetadataIndex(bool use);

arrow::Result<FindTopicsSql> BuildFindTopicsSql(const TopicFilter& filter);

}  // namespace mosaico::catalog::sqlite
