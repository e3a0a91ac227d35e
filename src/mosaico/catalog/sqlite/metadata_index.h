// The SQLite catalog's index of user metadata (schema version 6, sqlite/migrations.cc): every non-null value
// of a sequence's or topic's user_metadata as a row (owner id, path id, kind, value) of
// sequence_metadata_index / topic_metadata_index, paths interned in metadata_paths; served by an index on
// (path_id, kind, value). It lets FindTopics start from the entities whose metadata can match instead of
// parsing every row's JSON (catalog/metadata_paths.h for the flattening and the path encoding).
//
// Contract:
//  - WriteMetadataIndex is called in the transaction that inserts the entity (user_metadata never changes
//    afterwards); rows go away with the entity (ON DELETE CASCADE). An entity whose metadata cannot be
//    indexed (not a JSON object, too large: FlattenMetadata) gets one marker row (path_id 0, kind 0), and
//    every candidate set includes the marked entities.
//  - BackfillMetadataIndex fills the index for every existing entity (the migration that creates it), logging
//    progress (event=catalog_metadata_index_backfill) about every 5 s.
//  - MetadataCandidatesSql returns a compound SELECT of owner ids that is a SUPERSET of the entities whose
//    metadata satisfies all `predicates` (exactness stays with MetadataMatcher, which the caller still
//    applies), or nullopt when no predicate can be served by the index ($nex, `**`-only keys with $ex). It
//    intersects the predicates most likely to be selective (equalities, $in, ranges, prefix matches); others
//    are left to the matcher. Values are bound parameters; wildcard keys are matched against the (few)
//    interned paths by the SQL function mosaico_key_path(key, path) (sqlite/query_functions.h).
//    `exact` says the set is the answer itself apart from the marked entities: every predicate was served by a
//    condition that selects exactly the rows where core::Holds is true (Condition::exact in the .cc: equalities,
//    lists, inclusive numeric bounds, string bounds, $ex; not strict numeric bounds, $neq, $outside, $match), and
//    none was left out of the intersection. Then MetadataMatcher only needs to decide on the marked entities
//    (UnindexedOwnersSql), which saves reading and parsing every candidate's JSON.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/status.h>

#include "mosaico/catalog/sqlite/filter_sql.h"
#include "mosaico/catalog/sqlite/sqlite_util.h"
#include "mosaico/catalog/topic_filter.h"

namespace mosaico::catalog::sqlite {

enum class MetadataOwner { kSequence, kTopic };

arrow::Status WriteMetadataIndex(Connection* conn, MetadataOwner owner, int64_t id, std::string_view json);

arrow::Status BackfillMetadataIndex(Connection* conn);

struct MetadataCandidates {
  std::string sql;     // a compound SELECT of owner ids, the marked entities included
  std::string indexed_sql;  // the same without the marked entities (the parameters are the same)
  bool exact = false;  // see above
  bool selective = false;  // led by an equality or a short $in list (likely few candidates)
  // No owner id twice: an INTERSECT, or one equality on a literal key (the index's primary key holds one row per
  // (owner, path, kind, value)); the marked part never shares an owner. Such a set can drive a join from the
  // FROM clause, where `IN (...)` would first copy it into a temporary b-tree.
  bool distinct = false;
};

// `params` gets the statement's parameters in order; `keys` keeps the wildcard keys bound as pointers alive.
std::optional<MetadataCandidates> MetadataCandidatesSql(MetadataOwner owner,
                                                        const std::vector<MetadataPredicate>& predicates,
                                                        std::vector<SqlParam>* params,
                                                        std::vector<std::unique_ptr<std::vector<std::string>>>* keys);

// SELECT of the owner ids marked unindexed (no parameters).
std::string UnindexedOwnersSql(MetadataOwner owner);

}  // namespace mosaico::catalog::sqlite
