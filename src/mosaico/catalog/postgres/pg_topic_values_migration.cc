#include "mosaico/catalog/postgres/pg_topic_values_migration.h"

#include "mosaico/catalog/postgres/pg_backfill.h"

namespace mosaico::catalog::postgres {

// The rows of mosaico_metadata_values that topic_metadata_values keeps (header): numbers and the marker.
#define MOSAICO_TOPIC_VALUES_KEPT "(v.num_value IS NOT NULL OR v.path = '{}')"

const char kTopicValuesMigrationSql[] = R"sql(
LOCK TABLE topics IN SHARE ROW EXCLUSIVE MODE;
DROP TABLE IF EXISTS topic_metadata_values;
CREATE TABLE topic_metadata_values (
  topic_id    BIGINT  NOT NULL,
  path        TEXT[]  NOT NULL,
  num_value   NUMERIC,
  text_value  TEXT
);
CREATE OR REPLACE FUNCTION mosaico_topic_metadata_values() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM topic_metadata_values WHERE topic_id = OLD.id;
    INSERT INTO topic_metadata_values (topic_id, path, num_value, text_value)
      SELECT NEW.id, v.path, v.num_value, NULL FROM mosaico_metadata_values(NEW.metadata_jsonb) v
       WHERE )sql" MOSAICO_TOPIC_VALUES_KEPT R"sql(;
  ELSE
    INSERT INTO topic_metadata_values (topic_id, path, num_value, text_value)
      SELECT t.id, v.path, v.num_value, NULL FROM new_topics t, LATERAL mosaico_metadata_values(t.metadata_jsonb) v
       WHERE )sql" MOSAICO_TOPIC_VALUES_KEPT R"sql(;
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
