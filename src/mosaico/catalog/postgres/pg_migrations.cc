#include "mosaico/catalog/postgres/pg_migrations.h"

#include <chrono>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "mosaico/catalog/postgres/pg_backfill.h"
#include "mosaico/catalog/postgres/pg_metadata_sql.h"
#include "mosaico/catalog/postgres/pg_topic_values_migration.h"
#include "mosaico/core/clock.h"
#include "mosaico/core/errors.h"

namespace mosaico::catalog::postgres {
namespace {

struct Migration {
  int64_t version;
  const char* description;
  const char* sql;
  // Run after `sql`, in the same transaction (backfills that log their progress); nullptr: none.
  arrow::Status (*after)(PgConnection*) = nullptr;
};

// Version 1: the initial catalog plus the query indexes and the event queue (SQLite versions 1-3 in one step:
// this backend starts at their sum). Constraint names are explicit: the catalog maps unique violations to
// AlreadyExists messages by constraint name. Identity columns never reuse ids after a delete.
constexpr char kMigration1[] = R"sql(
CREATE FUNCTION mosaico_try_jsonb(doc TEXT) RETURNS JSONB
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  RETURN doc::jsonb;
EXCEPTION WHEN others THEN
  RETURN NULL;
END;
$$;

CREATE TABLE sequences (
  id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name            TEXT   NOT NULL,
  user_metadata   TEXT   NOT NULL DEFAULT '{}',
  metadata_jsonb  JSONB  GENERATED ALWAYS AS (mosaico_try_jsonb(user_metadata)) STORED,
  created_at_ns   BIGINT NOT NULL,
  CONSTRAINT sequences_name_unique UNIQUE (name)
);
CREATE INDEX sequences_metadata ON sequences USING GIN (metadata_jsonb jsonb_path_ops);

CREATE TABLE sessions (
  id               BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sequence_id      BIGINT  NOT NULL REFERENCES sequences(id) ON DELETE CASCADE,
  session_key      TEXT    NOT NULL,
  uuid             TEXT    NOT NULL,
  created_at_ns    BIGINT  NOT NULL,
  completed_at_ns  BIGINT,
  locked           BOOLEAN NOT NULL DEFAULT FALSE,
  CONSTRAINT sessions_uuid_unique UNIQUE (uuid),
  CONSTRAINT sessions_sequence_key_unique UNIQUE (sequence_id, session_key)
);
CREATE INDEX sessions_by_created ON sessions (sequence_id, created_at_ns, id);

CREATE TABLE topics (
  id                    BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sequence_id           BIGINT  NOT NULL REFERENCES sequences(id) ON DELETE CASCADE,
  session_id            BIGINT  NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  name                  TEXT    NOT NULL,
  uuid                  TEXT    NOT NULL,
  ontology_tag          TEXT    NOT NULL DEFAULT '',
  serialization_format  TEXT    NOT NULL DEFAULT '',
  user_metadata         TEXT    NOT NULL DEFAULT '{}',
  metadata_jsonb        JSONB   GENERATED ALWAYS AS (mosaico_try_jsonb(user_metadata)) STORED,
  created_at_ns         BIGINT  NOT NULL,
  completed_at_ns       BIGINT,
  locked                BOOLEAN NOT NULL DEFAULT FALSE,
  schema_ipc            BYTEA,
  upload_id             TEXT,
  CONSTRAINT topics_uuid_unique UNIQUE (uuid),
  CONSTRAINT topics_sequence_name_unique UNIQUE (sequence_id, name)
);
CREATE INDEX topics_by_session ON topics (session_id);
CREATE INDEX topics_by_ontology_tag ON topics (ontology_tag, sequence_id);
CREATE INDEX topics_metadata ON topics USING GIN (metadata_jsonb jsonb_path_ops);

CREATE TABLE chunks (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic_id     BIGINT NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
  idx          BIGINT NOT NULL,
  object_key   TEXT   NOT NULL,
  row_count    BIGINT NOT NULL,
  size_bytes   BIGINT NOT NULL,
  ts_min       BIGINT NOT NULL,
  ts_max       BIGINT NOT NULL,
  checksum     TEXT   NOT NULL DEFAULT '',
  CONSTRAINT chunks_topic_idx_unique UNIQUE (topic_id, idx)
);
CREATE INDEX chunks_by_topic_time ON chunks (topic_id, ts_min, idx);
CREATE INDEX chunks_by_topic_ts_max ON chunks (topic_id, ts_max);

CREATE TABLE chunk_column_stats (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  chunk_id     BIGINT NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
  column_path  TEXT   NOT NULL,
  kind         TEXT   NOT NULL CHECK (kind IN ('int', 'float', 'string', 'bool')),
  min_int      BIGINT,
  max_int      BIGINT,
  min_float    DOUBLE PRECISION,
  max_float    DOUBLE PRECISION,
  min_str      TEXT,
  max_str      TEXT,
  null_count   BIGINT NOT NULL DEFAULT 0,
  CONSTRAINT stats_chunk_column_unique UNIQUE (chunk_id, column_path)
);

CREATE TABLE notifications (
  id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sequence_id        BIGINT NOT NULL REFERENCES sequences(id) ON DELETE CASCADE,
  topic_id           BIGINT REFERENCES topics(id) ON DELETE CASCADE,
  notification_type  TEXT   NOT NULL,
  msg                TEXT   NOT NULL,
  created_at_ns      BIGINT NOT NULL
);
CREATE INDEX notifications_by_sequence ON notifications (sequence_id, topic_id, created_at_ns, id);
CREATE INDEX notifications_by_topic ON notifications (topic_id);

CREATE TABLE jobs (
  id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind              TEXT   NOT NULL,
  payload           TEXT   NOT NULL DEFAULT '{}',
  dedup_key         TEXT,
  state             TEXT   NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed')),
  attempts          BIGINT NOT NULL DEFAULT 0,
  run_after_ns      BIGINT NOT NULL,
  lease_owner       TEXT,
  lease_expires_ns  BIGINT,
  last_error        TEXT   NOT NULL DEFAULT '',
  created_at_ns     BIGINT NOT NULL,
  updated_at_ns     BIGINT NOT NULL
);
CREATE UNIQUE INDEX jobs_active_dedup ON jobs (dedup_key)
  WHERE dedup_key IS NOT NULL AND state IN ('pending', 'running');
CREATE INDEX jobs_pending_by_run_after ON jobs (run_after_ns, id) WHERE state = 'pending';
CREATE INDEX jobs_running_by_lease ON jobs (lease_expires_ns) WHERE state = 'running';
CREATE INDEX jobs_finished_by_updated ON jobs (updated_at_ns) WHERE state IN ('done', 'failed');
CREATE INDEX jobs_by_state ON jobs (state, id);
)sql";

// Version 2: API keys (catalog.h, ApiKeyRecord; SQLite version 4). Only the token's salted hash is stored.
constexpr char kMigration2[] = R"sql(
CREATE TABLE api_keys (
  fingerprint    TEXT   PRIMARY KEY,
  token_hash     TEXT   NOT NULL,
  salt           TEXT   NOT NULL,
  permission     TEXT   NOT NULL CHECK (permission IN ('read', 'write', 'delete', 'manage')),
  description    TEXT   NOT NULL DEFAULT '',
  created_at_ns  BIGINT NOT NULL,
  expires_at_ns  BIGINT,
  revoked_at_ns  BIGINT
);
)sql";

// Version 3: API-key permissions become independent flags (SQLite version 5): a bitmask read=1 write=2 delete=4;
// ladder keys keep what they were granted (read -> 1, write -> 3, delete/manage -> 7).
constexpr char kMigration3[] = R"sql(
ALTER TABLE api_keys ADD COLUMN permissions SMALLINT;
UPDATE api_keys SET permissions = CASE permission WHEN 'read' THEN 1 WHEN 'write' THEN 3 ELSE 7 END;
ALTER TABLE api_keys ALTER COLUMN permissions SET NOT NULL;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_permissions_flags CHECK (permissions BETWEEN 1 AND 7);
ALTER TABLE api_keys DROP COLUMN permission;
)sql";

// Version 4: metadata queries pushed into SQL (postgres/pg_metadata_sql.h). Sequence names get a C-collated
// index, which serves the LIKE prefix of a name $match (byte order; the unique index has the database's collation);
// two partial indexes find at once the rows whose JSONB copy is NULL or not an object (user_metadata text that
// PostgreSQL cannot parse), which FindTopics must keep for the exact evaluation; fresh statistics for the planner.
constexpr char kMigration4[] = R"sql(
CREATE INDEX IF NOT EXISTS sequences_name_c ON sequences (name COLLATE "C");
CREATE INDEX IF NOT EXISTS sequences_metadata_unparsed ON sequences (id)
  WHERE metadata_jsonb IS NULL OR jsonb_typeof(metadata_jsonb) <> 'object';
CREATE INDEX IF NOT EXISTS topics_metadata_unparsed ON topics (id)
  WHERE metadata_jsonb IS NULL OR jsonb_typeof(metadata_jsonb) <> 'object';
ANALYZE sequences;
ANALYZE topics;
)sql";

// Version 5: the daemon registry (server/peer_directory.h; SQLite version 7): every daemon started with
// --advertise-uri beats here; readers spread stripes over the live ones, dead ones age out.
constexpr char kMigration5[] = R"sql(
CREATE TABLE IF NOT EXISTS daemons (
  uri            TEXT   PRIMARY KEY,
  started_at_ns  BIGINT NOT NULL,
  heartbeat_ns   BIGINT NOT NULL
);
)sql";

// Version 6: counts for monitoring kept by triggers (SQLite version 8), so GetStats reads a few rows instead of
// counting a million topics or a long queue at every /metrics scrape. Each count is split over 16 rows (shard =
// the writing transaction's id mod 16) so concurrent transactions rarely wait on the same row; GetStats sums
// them. Row triggers also fire for rows an ON DELETE CASCADE removes. The tables are locked while the initial
// counts are taken, so no write slips between the count and its trigger.
constexpr char kMigration6[] = R"sql(
CREATE TABLE IF NOT EXISTS catalog_counts (
  name   TEXT     NOT NULL,
  shard  SMALLINT NOT NULL,
  value  BIGINT   NOT NULL,
  PRIMARY KEY (name, shard)
);
CREATE TABLE IF NOT EXISTS job_counts (
  kind   TEXT     NOT NULL,
  state  TEXT     NOT NULL,
  shard  SMALLINT NOT NULL,
  value  BIGINT   NOT NULL,
  PRIMARY KEY (kind, state, shard)
);
LOCK TABLE sequences, topics, jobs IN SHARE ROW EXCLUSIVE MODE;
DELETE FROM catalog_counts;
DELETE FROM job_counts;
INSERT INTO catalog_counts (name, shard, value) SELECT 'sequences', 0, count(*) FROM sequences;
INSERT INTO catalog_counts (name, shard, value) SELECT 'topics', 0, count(*) FROM topics;
INSERT INTO job_counts (kind, state, shard, value) SELECT kind, state, 0, count(*) FROM jobs GROUP BY kind, state;
CREATE OR REPLACE FUNCTION mosaico_count_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta BIGINT := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END;
BEGIN
  INSERT INTO catalog_counts (name, shard, value) VALUES (TG_ARGV[0], (txid_current() % 16)::smallint, delta)
    ON CONFLICT (name, shard) DO UPDATE SET value = catalog_counts.value + EXCLUDED.value;
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION mosaico_count_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  s SMALLINT := (txid_current() % 16)::smallint;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO job_counts (kind, state, shard, value) VALUES (OLD.kind, OLD.state, s, -1)
      ON CONFLICT (kind, state, shard) DO UPDATE SET value = job_counts.value - 1;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO job_counts (kind, state, shard, value) VALUES (NEW.kind, NEW.state, s, 1)
      ON CONFLICT (kind, state, shard) DO UPDATE SET value = job_counts.value + 1;
  END IF;
  RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER sequences_count AFTER INSERT OR DELETE ON sequences
  FOR EACH ROW EXECUTE FUNCTION mosaico_count_rows('sequences');
CREATE OR REPLACE TRIGGER topics_count AFTER INSERT OR DELETE ON topics
  FOR EACH ROW EXECUTE FUNCTION mosaico_count_rows('topics');
CREATE OR REPLACE TRIGGER jobs_count_insert_delete AFTER INSERT OR DELETE ON jobs
  FOR EACH ROW EXECUTE FUNCTION mosaico_count_jobs();
CREATE OR REPLACE TRIGGER jobs_count_update AFTER UPDATE OF kind, state ON jobs
  FOR EACH ROW WHEN (OLD.kind IS DISTINCT FROM NEW.kind OR OLD.state IS DISTINCT FROM NEW.state)
  EXECUTE FUNCTION mosaico_count_jobs();
)sql";

// Version 7: statistics on the JSON type of the metadata copies. Without them the planner estimated that
// "metadata_jsonb IS NULL OR jsonb_typeof(metadata_jsonb) <> 'object'" holds for 99.5% of the rows, so the probe
// FindTopics runs before pushing metadata predicates (are there unparsed rows?) scanned every topic (0.45 s at 1M
// topics) instead of the empty partial indexes of version 4 (0.06 ms).
constexpr char kMigration7[] = R"sql(
CREATE STATISTICS IF NOT EXISTS sequences_metadata_type ON (jsonb_typeof(metadata_jsonb)) FROM sequences;
CREATE STATISTICS IF NOT EXISTS topics_metadata_type ON (jsonb_typeof(metadata_jsonb)) FROM topics;
ANALYZE sequences;
ANALYZE topics;
)sql";

// Version 8: a GIN expression index per table on the string and boolean members, at any depth, of the metadata
// copy (pg_metadata_sql.h, kMetadataMembersPath), so that equalities on wildcard keys ("**.fw", "a.*.b") start from
// the index instead of evaluating a JSONPath on every row (1M topics: 260 ms for 1% of the sequences, 3.4x SQLite's
// metadata index). The index is maintained with the rows (metadata_jsonb is a stored generated column) and dropped
// with them; building it over an existing catalog is the backfill (PgMigrate logs its start and end).
const std::string& Migration8() {
  static const std::string sql =
      std::string("CREATE INDEX IF NOT EXISTS sequences_metadata_members ON sequences USING GIN ((") +
      MetadataMembersSql("metadata_jsonb") + ") jsonb_path_ops);\n" +
      "CREATE INDEX IF NOT EXISTS topics_metadata_members ON topics USING GIN ((" +
      MetadataMembersSql("metadata_jsonb") + ") jsonb_path_ops);\n";
  return sql;
}

// Version 9: the sequence metadata values table (pg_metadata_sql.h, MetadataValuesSql): every non-null member, at
// any depth, of a sequence's metadata copy as a row (sequence_id, path, num_value, text_value), written by a trigger
// in the transaction that writes the sequence (any writer: the catalog, `mosaicod rebuild`, a bulk copy), removed
// with it (ON DELETE CASCADE), rewritten when user_metadata changes. Numeric ranges and wildcard keys ("**.fw") start
// from its btree indexes instead of a JSONPath over every sequence. Strings keep their first 200 characters (a
// superset for equality, bounded index entries); metadata with a path too long for an index entry gets one marker
// row (path '{}') and is a candidate of every such condition. The function runs with jit = off: its recursive CTE
// is estimated at a million rows, and JIT-compiling it cost ~40 ms per sequence written. The writers are locked out while the table is filled
// (BackfillMetadataValues: by id ranges, progress logged); the indexes are built after the rows. The (path,
// num_value) index holds only numbers and the marker rows (what its conditions and the marker probe ask for). Run again (schema
// version rolled back by hand), it rebuilds the table from scratch. Inserts are indexed once per statement (a
// transition table), so a bulk copy costs one pass; updates of user_metadata (none today) row by row.
constexpr char kMigration9[] = R"sql(
LOCK TABLE sequences IN SHARE ROW EXCLUSIVE MODE;
DROP TABLE IF EXISTS sequence_metadata_values;
CREATE OR REPLACE FUNCTION mosaico_metadata_values(doc JSONB)
  RETURNS TABLE (path TEXT[], num_value NUMERIC, text_value TEXT)
  LANGUAGE sql IMMUTABLE PARALLEL SAFE ROWS 20 SET jit = off AS $$
  WITH RECURSIVE node(path, value) AS (
    SELECT ARRAY[e.key], e.value
      FROM jsonb_each(CASE WHEN jsonb_typeof(doc) = 'object' THEN doc ELSE '{}'::jsonb END) e
    UNION ALL
    SELECT n.path || e.key, e.value
      FROM node n
      CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(n.value) = 'object' THEN n.value ELSE '{}'::jsonb END) e
  ), too_long AS (
    SELECT EXISTS (SELECT 1 FROM node
                    WHERE octet_length(array_to_string(node.path, '')) + 8 * cardinality(node.path) > 1024) AS yes
  )
  SELECT node.path,
         CASE WHEN jsonb_typeof(node.value) = 'number' THEN node.value::numeric END,
         CASE jsonb_typeof(node.value) WHEN 'string' THEN left(node.value #>> '{}', 200)
                                       WHEN 'boolean' THEN node.value::text END
    FROM node, too_long
   WHERE NOT too_long.yes AND jsonb_typeof(node.value) <> 'null'
  UNION ALL
  SELECT '{}'::text[], NULL::numeric, NULL::text FROM too_long WHERE too_long.yes
$$;
CREATE TABLE sequence_metadata_values (
  sequence_id  BIGINT  NOT NULL,
  path         TEXT[]  NOT NULL,
  num_value    NUMERIC,
  text_value   TEXT
);
CREATE OR REPLACE FUNCTION mosaico_sequence_metadata_values() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM sequence_metadata_values WHERE sequence_id = OLD.id;
    INSERT INTO sequence_metadata_values (sequence_id, path, num_value, text_value)
      SELECT NEW.id, v.path, v.num_value, v.text_value FROM mosaico_metadata_values(NEW.metadata_jsonb) v;
  ELSE
    INSERT INTO sequence_metadata_values (sequence_id, path, num_value, text_value)
      SELECT s.id, v.path, v.num_value, v.text_value
        FROM new_sequences s, LATERAL mosaico_metadata_values(s.metadata_jsonb) v;
  END IF;
  RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER sequences_metadata_values AFTER INSERT ON sequences
  REFERENCING NEW TABLE AS new_sequences FOR EACH STATEMENT EXECUTE FUNCTION mosaico_sequence_metadata_values();
CREATE OR REPLACE TRIGGER sequences_metadata_values_update AFTER UPDATE OF user_metadata ON sequences
  FOR EACH ROW EXECUTE FUNCTION mosaico_sequence_metadata_values();
)sql";

arrow::Status BackfillMetadataValues(PgConnection* conn) {
  ARROW_RETURN_NOT_OK(BackfillByIdRanges(
      conn, "sequences", 10000, "catalog_metadata_values_backfill",
      "INSERT INTO sequence_metadata_values (sequence_id, path, num_value, text_value) "
      "SELECT s.id, v.path, v.num_value, v.text_value FROM sequences s, "
      "LATERAL mosaico_metadata_values(s.metadata_jsonb) v WHERE s.id BETWEEN $1 AND $2"));
  ARROW_RETURN_NOT_OK(conn->ExecScript(
      "ALTER TABLE sequence_metadata_values ADD CONSTRAINT sequence_metadata_values_sequence "
      "  FOREIGN KEY (sequence_id) REFERENCES sequences(id) ON DELETE CASCADE;\n"
      "CREATE INDEX IF NOT EXISTS sequence_metadata_values_by_sequence ON sequence_metadata_values (sequence_id);\n"
      "CREATE INDEX IF NOT EXISTS sequence_metadata_values_by_number ON sequence_metadata_values (path, num_value) "
      "  WHERE num_value IS NOT NULL OR path = '{}';\n"
      "CREATE INDEX IF NOT EXISTS sequence_metadata_values_by_name ON sequence_metadata_values "
      "  ((path[cardinality(path)]), text_value);\n"
      "ANALYZE sequence_metadata_values;"));
  return arrow::Status::OK();
}

// Version 10: each topic's data interval on its row (data_ts_min = min of its chunks' ts_min, data_ts_max = max of
// their ts_max; NULL without chunks), kept by InsertChunkRows/DeleteChunkRows (pg_queries.h) in the transaction that
// writes the chunks. FindTopics read it with two index probes of `chunks` per result topic (~4.5 us each with
// chunks present: 40 ms for a 4600-topic answer); now it is two columns of the row. Adding nullable columns is
// instant; the backfill (BackfillTopicIntervals) walks topics by id ranges, logging its progress, and touches only
// topics that have chunks. Chunk writers wait for the migration (the lock below).
constexpr char kMigration10[] = R"sql(
LOCK TABLE topics, chunks IN SHARE ROW EXCLUSIVE MODE;
ALTER TABLE topics ADD COLUMN IF NOT EXISTS data_ts_min BIGINT, ADD COLUMN IF NOT EXISTS data_ts_max BIGINT;
)sql";

arrow::Status BackfillTopicIntervals(PgConnection* conn) {
  return BackfillByIdRanges(conn, "topics", 20000, "catalog_topic_interval_backfill",
                            "UPDATE topics t SET data_ts_min = c.lo, data_ts_max = c.hi "
                            "FROM (SELECT topic_id, min(ts_min) AS lo, max(ts_max) AS hi FROM chunks "
                            "      WHERE topic_id BETWEEN $1 AND $2 GROUP BY topic_id) c "
                            "WHERE t.id = c.topic_id AND (t.data_ts_min IS DISTINCT FROM c.lo OR "
                            "                             t.data_ts_max IS DISTINCT FROM c.hi)");
}

// Version 11: FindTopics' answer columns covered by the topic indexes it walks, so a large answer is an index-only
// scan (as SQLite's migration 9): (sequence_id, name) beside the unique constraint, and the tag index widened
// (it replaces (ontology_tag, sequence_id)). 100k topics, a 50k-topic name-range answer: the topics side of the
// join read 4348 heap pages -> 904 index pages, the statement 59 -> 47 ms in psql. Index-only scans need the
// visibility map, which (auto)vacuum keeps; until then the plan reads the heap as before. IF [NOT] EXISTS: re-runnable.
constexpr char kMigration11[] = R"sql(
CREATE INDEX IF NOT EXISTS topics_by_sequence_covering ON topics (sequence_id, name)
  INCLUDE (id, ontology_tag, data_ts_min, data_ts_max, created_at_ns);
CREATE INDEX IF NOT EXISTS topics_by_ontology_tag_covering ON topics (ontology_tag, sequence_id)
  INCLUDE (name, id, data_ts_min, data_ts_max, created_at_ns);
DROP INDEX IF EXISTS topics_by_ontology_tag;
)sql";

// Version 12: a sequence's name beside its id, so FindTopics joins a topic-driven answer (topic metadata, tags) to its
// sequences by index-only probes instead of one heap page of the wide sequences table per row. 1M topics, a 19880-
// topic answer (topic metadata equality + tag): the statement 145-165 -> 80-95 ms in psql. IF NOT EXISTS: re-runnable.
constexpr char kMigration12[] = R"sql(
CREATE INDEX IF NOT EXISTS sequences_id_name ON sequences (id) INCLUDE (name);
)sql";

// Version 13: the sequence ids beside the (path, num_value) entries of the metadata values table, so a numeric
// range is answered by an index-only scan instead of one heap page per matching member (1M topics, env.temp_c
// between 30 and 35, 11400 members on 7639 heap pages: 32 -> 4-10 ms in psql, once the visibility map is set by
// (auto)vacuum). Same partial predicate as migration 9's index, which it replaces (the marker rows, path '{}').
constexpr char kMigration13[] = R"sql(
CREATE INDEX IF NOT EXISTS sequence_metadata_values_by_number_covering ON sequence_metadata_values (path, num_value)
  INCLUDE (sequence_id) WHERE num_value IS NOT NULL OR path = '{}';
DROP INDEX IF EXISTS sequence_metadata_values_by_number;
)sql";

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "initial catalog: sequences, sessions, topics, chunks, stats, notifications, query indexes, jobs",
       kMigration1},
      {2, "api keys: salted token hashes, permissions, expiry, revocation", kMigration2},
      {3, "api keys: permissions as independent flags (read=1 write=2 delete=4), ladder keys migrated", kMigration3},
      {4, "metadata queries in SQL: C-collated sequence name index, partial indexes of unparsed metadata",
       kMigration4},
      {5, "daemon registry: advertised uris and heartbeats", kMigration5},
      {6, "monitoring counts kept by triggers: sequences, topics, jobs by kind and state (16 shards)", kMigration6},
      {7, "statistics on the JSON type of metadata copies (the unparsed-rows probe uses its partial indexes)",
       kMigration7},
      {8, "metadata members index: string/boolean members at any depth (wildcard-key equalities)",
       Migration8().c_str()},
      {9, "sequence metadata values: (sequence, path, number, text) rows kept by a trigger, btree-indexed",
       kMigration9, BackfillMetadataValues},
      {10, "topic data interval on the topic row (min ts_min / max ts_max of its chunks)", kMigration10,
       BackfillTopicIntervals},
      {11, "covering topic indexes: FindTopics answers by index-only scans", kMigration11},
      {12, "covering sequence index (id) INCLUDE (name): topic-driven answers join by index-only scans",
       kMigration12},
      {13, "covering metadata values index (path, num_value) INCLUDE (sequence_id): numeric ranges by index-only scans",
       kMigration13},
      {14, "topic metadata values: (topic, path, number) rows kept by triggers, numeric ranges by index-only scans",
       kTopicValuesMigrationSql, BackfillTopicMetadataValues},
  };
  return kMigrations;
}

// Any constant shared by every mosaicod: the advisory lock that serializes migrations of one database.
constexpr int64_t kMigrationLockKey = 0x6d6f7361696361;

}  // namespace

int64_t PgLatestSchemaVersion() { return Migrations().back().version; }

arrow::Status PgMigrate(PgConnection* conn) {
  ARROW_ASSIGN_OR_RAISE(PgTransaction txn, PgTransaction::Begin(conn));
  ARROW_RETURN_NOT_OK(conn->Exec("SELECT pg_advisory_xact_lock($1)", PgParams::Of(kMigrationLockKey)).status());
  ARROW_RETURN_NOT_OK(conn->ExecScript(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, "
      "applied_at_ns BIGINT NOT NULL)"));
  ARROW_ASSIGN_OR_RAISE(PgResult cur, conn->Exec("SELECT coalesce(max(version), 0) FROM schema_migrations"));
  const int64_t current = cur.Int64(0, 0);
  if (current > PgLatestSchemaVersion()) {
    return FailedPrecondition("catalog schema version " + std::to_string(current) +
                              " is newer than this mosaicod supports (" + std::to_string(PgLatestSchemaVersion()) +
                              "); upgrade mosaicod");
  }
  for (const Migration& m : Migrations()) {
    if (m.version <= current) continue;
    // Index builds over an existing catalog can take a while (version 8: ~1 min at 1M topics): say so.
    const bool existing = current > 0;
    const auto started = std::chrono::steady_clock::now();
    if (existing) spdlog::info("event=catalog_migration backend=postgres version={} started=true", m.version);
    ARROW_RETURN_NOT_OK(WithContext(conn->ExecScript(m.sql), "catalog migration " + std::to_string(m.version)));
    if (m.after != nullptr) {
      ARROW_RETURN_NOT_OK(WithContext(m.after(conn), "catalog migration " + std::to_string(m.version)));
    }
    if (existing) {
      spdlog::info("event=catalog_migration backend=postgres version={} done=true seconds={:.1f}", m.version,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    ARROW_RETURN_NOT_OK(conn->Exec("INSERT INTO schema_migrations (version, description, applied_at_ns) "
                                   "VALUES ($1, $2, $3)",
                                   PgParams::Of(m.version, m.description, NowNs()))
                            .status());
  }
  return txn.Commit();
}

}  // namespace mosaico::catalog::postgres
