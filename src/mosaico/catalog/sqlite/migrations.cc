#include "mosaico/catalog/sqlite/migrations.h"

#include <string>
#include <vector>

#include "mosaico/catalog/sqlite/metadata_index.h"
#include "mosaico/core/clock.h"
#include "mosaico/core/errors.h"

namespace mosaico::catalog::sqlite {
namespace {

struct Migration {
  int64_t version;
  const char* description;
  const char* sql;
  arrow::Status (*fill)(Connection*) = nullptr;  // runs after `sql`, in the same transaction
};

// Version 1: the initial catalog. Child tables reference their parent with ON DELETE CASCADE, and every
// foreign-key column is indexed so that cascades never scan a whole table. AUTOINCREMENT keeps ids from being
// reused after a delete (a stale id held by an in-flight upload must never name a new row).
constexpr char kMigration1[] = R"sql(
CREATE TABLE sequences (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  name           TEXT    NOT NULL UNIQUE,
  user_metadata  TEXT    NOT NULL DEFAULT '{}',
  created_at_ns  INTEGER NOT NULL
);

CREATE TABLE sessions (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  sequence_id      INTEGER NOT NULL REFERENCES sequences(id) ON DELETE CASCADE,
  session_key      TEXT    NOT NULL,
  uuid             TEXT    NOT NULL UNIQUE,
  created_at_ns    INTEGER NOT NULL,
  completed_at_ns  INTEGER,
  locked           INTEGER NOT NULL DEFAULT 0,
  UNIQUE (sequence_id, session_key)
);
CREATE INDEX sessions_by_created ON sessions (sequence_id, created_at_ns, id);

CREATE TABLE topics (
  id                    INTEGER PRIMARY KEY AUTOINCREMENT,
  sequence_id           INTEGER NOT NULL REFERENCES sequences(id) ON DELETE CASCADE,
  session_id            INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  name                  TEXT    NOT NULL,
  uuid                  TEXT    NOT NULL UNIQUE,
  ontology_tag          TEXT    NOT NULL DEFAULT '',
  serialization_format  TEXT    NOT NULL DEFAULT '',
  user_metadata         TEXT    NOT NULL DEFAULT '{}',
  created_at_ns         INTEGER NOT NULL,
  completed_at_ns       INTEGER,
  locked                INTEGER NOT NULL DEFAULT 0,
  schema_ipc            BLOB,
  upload_id             TEXT,
  UNIQUE (sequence_id, name)
);
CREATE INDEX topics_by_session ON topics (session_id);

CREATE TABLE chunks (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  topic_id     INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
  idx          INTEGER NOT NULL,
  object_key   TEXT    NOT NULL,
  row_count    INTEGER NOT NULL,
  size_bytes   INTEGER NOT NULL,
  ts_min       INTEGER NOT NULL,
  ts_max       INTEGER NOT NULL,
  checksum     TEXT    NOT NULL DEFAULT '',
  UNIQUE (topic_id, idx)
);
CREATE INDEX chunks_by_topic_time ON chunks (topic_id, ts_min, idx);

CREATE TABLE chunk_column_stats (
  id           INTEGER PRIMARY KEY,
  chunk_id     INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
  column_path  TEXT    NOT NULL,
  kind         TEXT    NOT NULL CHECK (kind IN ('int', 'float', 'string', 'bool')),
  min_int      INTEGER,
  max_int      INTEGER,
  min_float    REAL,
  max_float    REAL,
  min_str      TEXT,
  max_str      TEXT,
  null_count   INTEGER NOT NULL DEFAULT 0,
  UNIQUE (chunk_id, column_path)
);

CREATE TABLE notifications (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  sequence_id        INTEGER NOT NULL REFERENCES sequences(id) ON DELETE CASCADE,
  topic_id           INTEGER REFERENCES topics(id) ON DELETE CASCADE,
  notification_type  TEXT    NOT NULL,
  msg                TEXT    NOT NULL,
  created_at_ns      INTEGER NOT NULL
);
CREATE INDEX notifications_by_sequence ON notifications (sequence_id, topic_id, created_at_ns, id);
CREATE INDEX notifications_by_topic ON notifications (topic_id);
)sql";

// Version 2: indexes for queries (FindTopics). Topics by (ontology_tag, sequence_id): a tag condition alone
// walks the tag's topics, and within one sequence (when sequence conditions drive the search) a tag is one
// probe. Chunks by (topic, ts_max), so that a topic's committed interval [min(ts_min), max(ts_max)] is two
// index probes (chunks_by_topic_time already serves min(ts_min)).
constexpr char kMigration2[] = R"sql(
CREATE INDEX topics_by_ontology_tag ON topics (ontology_tag, sequence_id);
CREATE INDEX chunks_by_topic_ts_max ON chunks (topic_id, ts_max);
)sql";

// Version 3: the event queue (catalog.h, JobRecord). States are text so an operator can read the table with the
// sqlite3 shell. dedup_key is NULL when the job has none; the partial unique index makes "at most one pending or
// running job per key" a property of the table itself, whatever process inserts. Claiming walks the pending jobs
// in (run_after_ns, id) order and the running ones by lease expiry, each through its own partial index; pruning
// walks the finished ones by age.
constexpr char kMigration3[] = R"sql(
CREATE TABLE jobs (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  kind              TEXT    NOT NULL,
  payload           TEXT    NOT NULL DEFAULT '{}',
  dedup_key         TEXT,
  state             TEXT    NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed')),
  attempts          INTEGER NOT NULL DEFAULT 0,
  run_after_ns      INTEGER NOT NULL,
  lease_owner       TEXT,
  lease_expires_ns  INTEGER,
  last_error        TEXT    NOT NULL DEFAULT '',
  created_at_ns     INTEGER NOT NULL,
  updated_at_ns     INTEGER NOT NULL
);
CREATE UNIQUE INDEX jobs_active_dedup ON jobs (dedup_key)
  WHERE dedup_key IS NOT NULL AND state IN ('pending', 'running');
CREATE INDEX jobs_pending_by_run_after ON jobs (run_after_ns, id) WHERE state = 'pending';
CREATE INDEX jobs_running_by_lease ON jobs (lease_expires_ns) WHERE state = 'running';
CREATE INDEX jobs_finished_by_updated ON jobs (updated_at_ns) WHERE state IN ('done', 'failed');
CREATE INDEX jobs_by_state ON jobs (state, id);
)sql";

// Version 4: API keys (catalog.h, ApiKeyRecord). The token itself is never stored: only its salted hash. The
// permission is text so an operator can read the table; times are ns since the epoch (NULL: never / not revoked).
constexpr char kMigration4[] = R"sql(
CREATE TABLE api_keys (
  fingerprint    TEXT    PRIMARY KEY,
  token_hash     TEXT    NOT NULL,
  salt           TEXT    NOT NULL,
  permission     TEXT    NOT NULL CHECK (permission IN ('read', 'write', 'delete', 'manage')),
  description    TEXT    NOT NULL DEFAULT '',
  created_at_ns  INTEGER NOT NULL,
  expires_at_ns  INTEGER,
  revoked_at_ns  INTEGER
);
)sql";

// Version 5: API-key permissions become independent flags, a bitmask read=1 write=2 delete=4 (auth/permission.h).
// Keys created under the ladder keep what it granted them: read -> read, write -> read|write,
// delete and manage -> read|write|delete. SQLite cannot change a CHECK constraint, so the table is rebuilt.
constexpr char kMigration5[] = R"sql(
CREATE TABLE api_keys_flags (
  fingerprint    TEXT    PRIMARY KEY,
  token_hash     TEXT    NOT NULL,
  salt           TEXT    NOT NULL,
  permissions    INTEGER NOT NULL CHECK (permissions BETWEEN 1 AND 7),
  description    TEXT    NOT NULL DEFAULT '',
  created_at_ns  INTEGER NOT NULL,
  expires_at_ns  INTEGER,
  revoked_at_ns  INTEGER
);
INSERT INTO api_keys_flags (fingerprint, token_hash, salt, permissions, description, created_at_ns, expires_at_ns,
                            revoked_at_ns)
  SELECT fingerprint, token_hash, salt, CASE permission WHEN 'read' THEN 1 WHEN 'write' THEN 3 ELSE 7 END,
         description, created_at_ns, expires_at_ns, revoked_at_ns
  FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_flags RENAME TO api_keys;
)sql";

// Version 6: the user-metadata index (sqlite/metadata_index.h): every non-null metadata value of a sequence or
// topic as (owner, path, kind, value), paths interned. The value column has no declared type (BLOB affinity),
// so integers, reals and texts are stored as given and compare by SQLite's rules (numbers numerically, texts
// by bytes); kinds keep them apart. WITHOUT ROWID: the primary key (owner first, for the cascade) is the row,
// and the value index carries the owner id, so a lookup never visits the table. Filled from the existing
// rows by BackfillMetadataIndex (progress logged). IF NOT EXISTS and the backfill's INSERT OR IGNORE make it
// safe to re-run (a test that rolls the recorded version back re-applies it).
constexpr char kMigration6[] = R"sql(
CREATE TABLE IF NOT EXISTS metadata_paths (
  id    INTEGER PRIMARY KEY,
  path  TEXT    NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS sequence_metadata_index (
  sequence_id  INTEGER NOT NULL REFERENCES sequences(id) ON DELETE CASCADE,
  path_id      INTEGER NOT NULL,
  kind         INTEGER NOT NULL,
  value        NOT NULL,
  PRIMARY KEY (sequence_id, path_id, kind, value)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sequence_metadata_by_value ON sequence_metadata_index (path_id, kind, value);
CREATE TABLE IF NOT EXISTS topic_metadata_index (
  topic_id     INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
  path_id      INTEGER NOT NULL,
  kind         INTEGER NOT NULL,
  value        NOT NULL,
  PRIMARY KEY (topic_id, path_id, kind, value)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS topic_metadata_by_value ON topic_metadata_index (path_id, kind, value);
)sql";

// Version 7: the daemon registry (server/peer_directory.h; PostgreSQL version 5): every daemon started with
// --advertise-uri beats here; readers spread stripes over the live ones, dead ones age out.
constexpr char kMigration7[] = R"sql(
CREATE TABLE IF NOT EXISTS daemons (
  uri            TEXT    PRIMARY KEY,
  started_at_ns  INTEGER NOT NULL,
  heartbeat_ns   INTEGER NOT NULL
);
)sql";

// Version 8: counts for monitoring (CatalogStats) kept by triggers in the transaction of every change, so that
// GetStats reads a few rows instead of counting a million topics or a long queue at every /metrics scrape:
// catalog_counts holds 'sequences' and 'topics', job_counts one row per (kind, state). Triggers fire for rows an
// ON DELETE CASCADE removes too (SQLite runs them for foreign-key actions), and in every process writing the file.
// Initialized from the tables (one count, at migration time).
constexpr char kMigration8[] = R"sql(
CREATE TABLE IF NOT EXISTS catalog_counts (
  name   TEXT    PRIMARY KEY,
  value  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR REPLACE INTO catalog_counts (name, value) SELECT 'sequences', count(*) FROM sequences;
INSERT OR REPLACE INTO catalog_counts (name, value) SELECT 'topics', count(*) FROM topics;
CREATE TABLE IF NOT EXISTS job_counts (
  kind   TEXT    NOT NULL,
  state  TEXT    NOT NULL,
  value  INTEGER NOT NULL,
  PRIMARY KEY (kind, state)
) WITHOUT ROWID;
DELETE FROM job_counts;
INSERT INTO job_counts (kind, state, value) SELECT kind, state, count(*) FROM jobs GROUP BY kind, state;
CREATE TRIGGER IF NOT EXISTS sequences_count_insert AFTER INSERT ON sequences BEGIN
  UPDATE catalog_counts SET value = value + 1 WHERE name = 'sequences';
END;
CREATE TRIGGER IF NOT EXISTS sequences_count_delete AFTER DELETE ON sequences BEGIN
  UPDATE catalog_counts SET value = value - 1 WHERE name = 'sequences';
END;
CREATE TRIGGER IF NOT EXISTS topics_count_insert AFTER INSERT ON topics BEGIN
  UPDATE catalog_counts SET value = value + 1 WHERE name = 'topics';
END;
CREATE TRIGGER IF NOT EXISTS topics_count_delete AFTER DELETE ON topics BEGIN
  UPDATE catalog_counts SET value = value - 1 WHERE name = 'topics';
END;
CREATE TRIGGER IF NOT EXISTS jobs_count_insert AFTER INSERT ON jobs BEGIN
  INSERT OR IGNORE INTO job_counts (kind, state, value) VALUES (NEW.kind, NEW.state, 0);
  UPDATE job_counts SET value = value + 1 WHERE kind = NEW.kind AND state = NEW.state;
END;
CREATE TRIGGER IF NOT EXISTS jobs_count_delete AFTER DELETE ON jobs BEGIN
  UPDATE job_counts SET value = value - 1 WHERE kind = OLD.kind AND state = OLD.state;
END;
CREATE TRIGGER IF NOT EXISTS jobs_count_update AFTER UPDATE OF kind, state ON jobs
  WHEN OLD.kind IS NOT NEW.kind OR OLD.state IS NOT NEW.state BEGIN
  UPDATE job_counts SET value = value - 1 WHERE kind = OLD.kind AND state = OLD.state;
  INSERT OR IGNORE INTO job_counts (kind, state, value) VALUES (NEW.kind, NEW.state, 0);
  UPDATE job_counts SET value = value + 1 WHERE kind = NEW.kind AND state = NEW.state;
END;
)sql";

// Version 9: what a `query` answer needs of a topic, read from index pages (issue 12 item 4; PostgreSQL version 10
// for the interval). A topic's committed data interval is kept on its row, data_ts_min = min of its chunks' ts_min,
// data_ts_max = max of their ts_max, NULL without chunks (sqlite/chunk_rows.h keeps them with the chunk rows),
// instead of two `chunks` probes per result topic (half of the SQL of a 200k-topic answer even with no chunks).
// And the answer's columns (id, name, ontology_tag, interval) are covered by the two indexes a query walks topics
// through: (sequence_id, name, ontology_tag, data_ts_min, data_ts_max) for a sequence's topics, and
// (ontology_tag, sequence_id, name, ...) for a tag (replacing (ontology_tag, sequence_id), which it serves as
// before), so a result topic is no longer a probe into the wide topics rows (user metadata, uuid, schema): at 1M
// topics a 200k-topic answer swept more of them than the page cache holds. ~50 B per topic. Re-runnable (tests
// re-run migrations from 6 on): the columns are added only when missing (SQLite has no ADD COLUMN IF NOT EXISTS).
constexpr char kMigration9[] = "DROP INDEX IF EXISTS topics_by_ontology_tag";

arrow::Status FillMigration9(Connection* conn) {
  ARROW_ASSIGN_OR_RAISE(std::string has,
                        conn->QueryText("SELECT count(*) FROM pragma_table_info('topics') WHERE name = 'data_ts_min'"));
  if (has == "0") {
    ARROW_RETURN_NOT_OK(conn->Exec("ALTER TABLE topics ADD COLUMN data_ts_min INTEGER"));
    ARROW_RETURN_NOT_OK(conn->Exec("ALTER TABLE topics ADD COLUMN data_ts_max INTEGER"));
  }
  ARROW_RETURN_NOT_OK(conn->Exec(
      "UPDATE topics SET data_ts_min = (SELECT min(c.ts_min) FROM chunks c WHERE c.topic_id = topics.id), "
      "data_ts_max = (SELECT max(c.ts_max) FROM chunks c WHERE c.topic_id = topics.id) "
      "WHERE id IN (SELECT DISTINCT topic_id FROM chunks)"));
  ARROW_RETURN_NOT_OK(conn->Exec("CREATE INDEX IF NOT EXISTS topics_by_sequence_answer ON topics "
                                 "(sequence_id, name, ontology_tag, data_ts_min, data_ts_max)"));
  return conn->Exec("CREATE INDEX IF NOT EXISTS topics_by_tag_answer ON topics "
                    "(ontology_tag, sequence_id, name, data_ts_min, data_ts_max)");
}

// Version 10: what a `query` answer needs of a sequence or a topic found by id, from narrow indexes (issue 12 item
// 4): a row whose sequence is read only for its name (sqlite/filter_sql.h) looks it up in (id, name), and a topic
// found by id from exact metadata candidates in (id, sequence_id, name, ontology_tag, data_ts_min, data_ts_max),
// instead of the tables' rows, which carry the user metadata (1M topics, 20k-topic answers: a lookup touches
// pages of a b-tree 8x smaller). ~2 B and ~32 B per topic.
constexpr char kMigration10[] = R"sql(
CREATE INDEX IF NOT EXISTS sequences_by_id_name ON sequences (id, name);
CREATE INDEX IF NOT EXISTS topics_by_id_answer ON topics
  (id, sequence_id, name, ontology_tag, data_ts_min, data_ts_max);
)sql";

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "initial catalog: sequences, sessions, topics, chunks, stats, notifications", kMigration1},
      {2, "query indexes: topics by ontology tag, chunks by topic and ts_max", kMigration2},
      {3, "event queue: jobs with dedup keys, leases and retries", kMigration3},
      {4, "api keys: salted token hashes, permissions, expiry, revocation", kMigration4},
      {5, "api keys: permissions as independent flags (read=1 write=2 delete=4), ladder keys migrated", kMigration5},
      {6, "user metadata index: (owner, path, kind, value) rows for sequences and topics", kMigration6,
       BackfillMetadataIndex},
      {7, "daemon registry: advertised uris and heartbeats", kMigration7},
      {8, "monitoring counts kept by triggers: sequences, topics, jobs by kind and state", kMigration8},
      {9, "query answers from index pages: topic data interval on the row, covering topic indexes", kMigration9,
       FillMigration9},
      {10, "query answers: sequences and topics by id from narrow covering indexes", kMigration10},
  };
  return kMigrations;
}

constexpr char kCreateMigrationsTable[] = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version        INTEGER PRIMARY KEY,
  description    TEXT    NOT NULL,
  applied_at_ns  INTEGER NOT NULL
)
)sql";

}  // namespace

int64_t LatestSchemaVersion() { return Migrations().back().version; }

arrow::Result<int64_t> CurrentSchemaVersion(Connection* conn) {
  ARROW_ASSIGN_OR_RAISE(
      std::string exists,
      conn->QueryText("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"));
  if (exists == "0") return 0;
  ARROW_ASSIGN_OR_RAISE(Statement stmt, conn->Prepare("SELECT coalesce(max(version), 0) FROM schema_migrations"));
  ARROW_ASSIGN_OR_RAISE(bool row, stmt.Step());
  return row ? stmt.Int64(0) : 0;
}

arrow::Status Migrate(Connection* conn) {
  ARROW_ASSIGN_OR_RAISE(Transaction txn, Transaction::Begin(conn, Transaction::Mode::kWrite));
  ARROW_RETURN_NOT_OK(conn->Exec(kCreateMigrationsTable));
  ARROW_ASSIGN_OR_RAISE(int64_t current, CurrentSchemaVersion(conn));
  if (current > LatestSchemaVersion()) {
    return FailedPrecondition("catalog schema version " + std::to_string(current) +
                              " is newer than this mosaicod supports (" + std::to_string(LatestSchemaVersion()) +
                              "); upgrade mosaicod");
  }
  for (const Migration& m : Migrations()) {
    if (m.version <= current) continue;
    ARROW_RETURN_NOT_OK(WithContext(conn->Exec(m.sql), "catalog migration " + std::to_string(m.version)));
    if (m.fill != nullptr) {
      ARROW_RETURN_NOT_OK(WithContext(m.fill(conn), "catalog migration " + std::to_string(m.version)));
    }
    ARROW_ASSIGN_OR_RAISE(
        Statement record,
        conn->Prepare("INSERT INTO schema_migrations (version, description, applied_at_ns) VALUES (?, ?, ?)"));
    ARROW_RETURN_NOT_OK(record.BindAll(m.version, m.description, NowNs()));
    ARROW_RETURN_NOT_OK(record.Run());
  }
  return txn.Commit();
}

}  // namespace mosaico::catalog::sqlite
