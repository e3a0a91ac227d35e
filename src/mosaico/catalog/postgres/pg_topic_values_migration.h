// PostgreSQL catalog migration 14: the topic metadata values table (pg_metadata_sql.h, MetadataValuesSql with
// MetadataOwner::kTopic), so that a numeric range on a topic metadata key ("sensor.rate_hz" >= 1000) starts from an
// index-only scan of the topics whose member is in range instead of rechecking every topic the GIN index finds by the
// key's path alone (1M topics: 499190 candidates on 43482 heap pages for a 124790-topic answer).
//
// Contract:
//  - topic_metadata_values (topic_id, path TEXT[], num_value NUMERIC, text_value TEXT) holds, for every topic, the
//    rows of mosaico_metadata_values(metadata_jsonb) (migration 9: every non-null member at any depth, arrays not
//    descended; one marker row, path '{}', for metadata with a path too long for an index entry) that have a
//    number or are the marker: only those serve (numeric $eq/$in/ranges on plain keys; no wildcard keys, which
//    would need every string member and the (path[cardinality(path)], text_value) index: ~5 rows per topic instead
//    of ~1 for the bench's topics, and the members GIN of migration 8 already serves string equalities on them).
//    text_value is always NULL for now (same columns as sequence_metadata_values, so MetadataValuesSql writes one
//    SQL text for both).
//  - Written by triggers in the transaction that writes the topic, whatever writes it (the catalog, `mosaicod
//    rebuild`, a bulk copy): inserts once per statement (a transition table, the walk written out in the trigger's
//    statement: ~+190 us per single-row INSERT, 1.7x the bare INSERT), updates of user_metadata row by row;
//    removed with the topic (ON DELETE CASCADE).
//  - Over an existing catalog the topic writers are locked out while BackfillTopicMetadataValues fills the table by
//    topic id ranges (progress logged as event=catalog_topic_metadata_values_backfill), then the foreign key and the
//    indexes are built. Run again (schema version rolled back by hand), it rebuilds the table from scratch.
#pragma once

#include <arrow/status.h>

#include "mosaico/catalog/postgres/pg_conn.h"

namespace mosaico::catalog::postgres {

extern const char kTopicValuesMigrationSql[];
arrow::Status BackfillTopicMetadataValues(PgConnection* conn);

}  // namespace mosaico::catalog::postgres
