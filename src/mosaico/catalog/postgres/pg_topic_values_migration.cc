#include "mosaico/catalog/postgres/pg_topic_values_migration.h"

#include "mosaico/catalog/postgres/pg_backfill.h"

namespace mosaico::catalog::postgres {

// The rows of mosaico_metadata_values that topic_metadata_values keeps (header): numbers and the marker.
#define MOSAICO_TOPIC_VALUES_KEPT "(v.num_value IS NOT NULL OR v.path = '{}')"

// Inserts walk the new topics' documents in the trigger's own statement (the walk of mosaico_metadata_values, migration
// 9, written out over the transition table) rather than calling that SQL function per topic: the function's body is
// planned again at every call, and a single-row INSERT of a topic cost ~630 us instead of ~460 us (without the
// trigger ~270 us; psql, 4000 single-row INSERTs, 2026-12-08). The backfill and updates call the function; the test
// MigrationBackfillEqualsLiveMaintenance holds the two to the same rows.
const char kTopicValuesMigrationSql[] = R"sql(
LOCK TABLE topics IN SHARE ROW EXCLUSIVE MODE;
DROP TABLE IF EXISTS topic_metadata_values;
CREATE TABLE topic_metadata_values (
  topic_id    BIGINT  NOT NULL,
  path        TEXT[]  NOT NULL,
  num_value   NUMERIC,
  text_value  TEXT
);
CREATE OR REPLACE FUNCTION mosaico_topic_metadata_values() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM topic_metadata_values WHERE topic_id = OLD.id;
    INSERT INTO topic_metadata_values (topic_id, path, num_value, text_value)
      SELECT NEW.id, v.path, v.num_value, NULL FROM mosaico_metadata_values(NEW.metadata_jsonb) v
       WHERE )sql" MOSAICO_TOPIC_VALUES_KEPT R"sql(;
  ELSE
    INSERT INTO topic_metadata_values (topic_id, path, num_value, text_value)
    WITH RECURSIVE node(id, path, value) AS (
      SELECT t.id, ARRAY[e.key], e.value
        FROM new_topics t
        CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(t.metadata_jsonb) = 'object' THEN t.metadata_jsonb
                                           ELSE '{}'::jsonb END) e
      UNION ALL
      SELECT n.id, n.path || e.key, e.value
        FROM node n
        CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(n.value) = 'object' THEN n.value ELSE '{}'::jsonb END) e
    ), too_long AS (
      SELECT DISTINCT node.id FROM node
       WHERE octet_length(array_to_string(node.path, '')) + 8 * cardinality(node.path) > 1024
    )
    SELECT node.id, node.path, node.value::numeric, NULL FROM node
     WHERE jsonb_typeof(node.value) = 'number' AND node.id NOT IN (SELECT too_long.id FROM too_long)
    UNION ALL
    SELECT too_long.id, '{}'::text[], NULL::numeric, NULL::text FROM too_long;
  END IF;
  RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER topics_metadata_values AFTER INSERT ON topics
  REFERENCING NEW TABLE AS new_topics FOR EACH STATEMENT EXECUTE FUNCTION mosaico_topic_metadata_values();
CREATE OR REPLACE TRIGGER topics_metadata_values_update AFTER UPDATE OF user_metadata ON topics
  FOR EACH ROW EXECUTE FUNCTION mosaico_topic_metadata_values();
)sql";

arrow::Status BackfillTopicMetadataValues(PgConnection* conn) {
  ARROW_RETURN_NOT_OK(BackfillByIdRanges(
      conn, "topics", 20000, "catalog_topic_metadata_values_backfill",
      "INSERT INTO topic_metadata_values (topic_id, path, num_value, text_value) "
      "SELECT t.id, v.path, v.num_value, NULL FROM topics t, LATERAL mosaico_metadata_values(t.metadata_jsonb) v "
      "WHERE t.id BETWEEN $1 AND $2 AND " MOSAICO_TOPIC_VALUES_KEPT));
  return conn->ExecScript(
      "ALTER TABLE topic_metadata_values ADD CONSTRAINT topic_metadata_values_topic "
      "  FOREIGN KEY (topic_id) REFERENCES topics(id) ON DELETE CASCADE;\n"
      "CREATE INDEX IF NOT EXISTS topic_metadata_values_by_topic ON topic_metadata_values (topic_id);\n"
      "CREATE INDEX IF NOT EXISTS topic_metadata_values_by_number_covering ON topic_metadata_values "
      "  (path, num_value) INCLUDE (topic_id) WHERE num_value IS NOT NULL OR path = '{}';\n"
      "ANALYZE topic_metadata_values;");
}

#undef MOSAICO_TOPIC_VALUES_KEPT

}  // namespace mosaico::catalog::postgres
