// Catalog: the metadata database of mosaicod (sequences, sessions, topics, chunks with column statistics,
// notifications, jobs, API keys). It is a fast index over the object store, which stays the source of truth.
//
// Contract (every backend):
//  - Thread-safe: any method may be called from any gRPC thread concurrently.
//  - Names are already validated by core/locator; the catalog stores them verbatim. Topic names are relative
//    paths without a leading '/' ("front/imu").
//  - Errors: unknown resource -> NotFound (arrow KeyError) naming it; duplicate -> AlreadyExists; lifecycle
//    violation -> FailedPrecondition (core/errors.h); backend failure -> IOError with the backend's message.
//  - Multi-row changes (LockSession, CommitTopicData, Delete*) are atomic: all or nothing.
//  - No backend type leaks through this interface (no SQL, no sqlite3*), so PostgreSQL can implement it too.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/result.h>
#include <arrow/status.h>

#include "mosaico/catalog/topic_filter.h"

namespace mosaico::catalog {

struct SequenceRecord {
  int64_t id = 0;
  std::string name;
  std::string user_metadata_json = "{}";  // JSON object text, as received
  int64_t created_at_ns = 0;
};

struct SessionRecord {
  int64_t id = 0;
  int64_t sequence_id = 0;
  std::string sequence_name;
  std::string key;   // public session id (ULID); locator is "<sequence>:<key>"
  std::string uuid;  // secret write token handed to the creator
  int64_t created_at_ns = 0;
  std::optional<int64_t> completed_at_ns;  // set when finalized
  bool locked = false;
};

struct TopicRecord {
  int64_t id = 0;
  int64_t sequence_id = 0;
  int64_t session_id = 0;
  std::string sequence_name;
  std::string session_key;  // key of the session that created the topic
  std::string name;         // relative path, no leading '/'
  std::string uuid;         // secret write token (DoPut must present it)
  std::string ontology_tag;
  std::string serialization_format;
  std::string user_metadata_json = "{}";
  int64_t created_at_ns = 0;
  std::optional<int64_t> completed_at_ns;
  bool locked = false;
  std::optional<std::string> schema_ipc;  // Arrow IPC-serialized schema snapshot, once a DoPut opened
  std::optional<std::string> upload_id;   // id of the committed upload, once its data is committed
};

// Statistics of one leaf column inside one chunk. `column` is the dotted path of the leaf
// ("acceleration.x"). Exactly one of the typed min/max pairs is set, according to `kind`; both stay unset
// when every value is null.
struct ColumnStats {
  enum class Kind { kInt, kFloat, kString, kBool };
  std::string column;
  Kind kind = Kind::kInt;
  std::optional<int64_t> min_int, max_int;  // integers, booleans (0/1), timestamps
  std::optional<double> min_float, max_float;
  std::optional<std::string> min_str, max_str;
  int64_t null_count = 0;
  bool operator==(const ColumnStats&) const = default;
};

// Stable names of ColumnStats kinds ("int", "float", "string", "bool"), used by every serialized form
// (catalog rows, upload manifests).
const char* ColumnStatsKindName(ColumnStats::Kind kind);
std::optional<ColumnStats::Kind> ParseColumnStatsKind(const std::string& name);

struct ChunkRecord {
  int64_t id = 0;
  int64_t topic_id = 0;
  int32_t index = 0;       // position inside the upload, 0-based
  std::string object_key;  // store key of the Parquet object
  int64_t row_count = 0;
  int64_t size_bytes = 0;  // Parquet object size
  int64_t ts_min = 0;      // min/max of timestamp_ns inside the chunk
  int64_t ts_max = 0;
  std::string checksum;    // hex digest of the object bytes (see store/checksum.h)
  std::vector<ColumnStats> stats;
};

struct TopicDataSummary {
  int64_t total_bytes = 0;
  int64_t total_chunks = 0;
  int64_t total_rows = 0;
  std::optional<int64_t> ts_min, ts_max;  // unset when the topic has no rows
};

struct NotificationRecord {
  int64_t id = 0;
  std::string sequence_name;
  std::optional<std::string> topic_name;  // relative path when topic-level
  std::string notification_type;          // "error", ...
  std::string msg;
  int64_t created_at_ns = 0;
};

// One job of the event queue (background work shared by every daemon on this catalog). At-least-once: a job
// whose worker died is claimed again once its lease expires; handlers must be idempotent.
struct JobRecord {
  enum class State { kPending, kRunning, kDone, kFailed };
  int64_t id = 0;
  std::string kind;           // "compact_topic", "delete_upload", "sweep_abandoned_sessions", "gc_store", ...
  std::string payload_json = "{}";
  std::string dedup_key;      // non-empty: at most one pending/running job per key
  State state = State::kPending;
  int32_t attempts = 0;       // claims so far
  int64_t run_after_ns = 0;   // not claimable before
  std::string lease_owner;    // worker id while running
  int64_t lease_expires_ns = 0;
  std::string last_error;
  int64_t created_at_ns = 0;
  int64_t updated_at_ns = 0;
};

// Stable names of job states ("pending", "running", "done", "failed") used by every backend's storage;
// an unknown name parses as pending.
const char* JobStateName(JobRecord::State state);
JobRecord::State ParseJobState(const std::string& name);

// One API key (auth/). Never the token: only what verifies a presented token (salted hash) and what the key may do.
// The store holds the same record (store/layout.h ApiKeyObject) so that a rebuild restores it.
struct ApiKeyRecord {
  std::string fingerprint;   // 8 lowercase hex digits, unique: the key's public name
  std::string token_hash;    // hex HMAC-SHA256 of the token keyed with `salt` (auth/key_hash.h)
  std::string salt;          // hex
  uint8_t permissions = 0;   // bitmask read=1 write=2 delete=4, 1..7 (auth/permission.h)
  std::string description;
  int64_t created_at_ns = 0;
  std::optional<int64_t> expires_at_ns;  // unset: never expires
  std::optional<int64_t> revoked_at_ns;  // set once revoked
  bool operator==(const ApiKeyRecord&) const = default;
};

// OK for a record a backend may store: fingerprint, hash and salt set, permissions 1..7; else INVALID_ARGUMENT.
arrow::Status ValidateApiKeyRecord(const ApiKeyRecord& key);

// Figures for monitoring (server/monitoring.h): record counts and the event queue, by job kind and state.
struct CatalogStats {
  int64_t sequences = 0;
  int64_t topics = 0;
  struct JobCount {
    std::string kind;
    JobRecord::State state = JobRecord::State::kPending;
    int64_t count = 0;
  };
  std::vector<JobCount> jobs;  // pending, running and failed jobs only (done jobs are history)
};

// One daemon serving this catalog, as clients should reach it (its --advertise-uri), and its last heartbeat
// (server/peer_directory.h).
struct DaemonRecord {
  std::string uri;
  int64_t started_at_ns = 0;
  int64_t heartbeat_ns = 0;
  bool operator==(const DaemonRecord&) const = default;
};

// What the default API-key methods of Catalog return.
inline arrow::Status ApiKeysUnsupported() { return arrow::Status::NotImplemented("this catalog has no API keys"); }

class Catalog {
 public:
  virtual ~Catalog() = default;

  // --- sequences ---
  virtual arrow::Result<SequenceRecord> CreateSequence(const std::string& name, const std::string& user_metadata_json,
                                                       int64_t created_at_ns) = 0;
  virtual arrow::Result<SequenceRecord> GetSequence(const std::string& name) = 0;
  virtual arrow::Result<std::vector<SequenceRecord>> ListSequences() = 0;  // ordered by name
  // One page of that listing: at most `limit` sequences whose name sorts after `after` (from the first when
  // empty), ordered by name like ListSequences. Lets a caller walk the catalog without holding all of it
  // (ListFlights); pages read at different times see the catalog as it is then. The default pages ListSequences;
  // the backends answer from the name index, at a cost that follows the page, not the catalog.
  virtual arrow::Result<std::vector<SequenceRecord>> ListSequencesPage(const std::string& after, int64_t limit) {
    ARROW_ASSIGN_OR_RAISE(auto all, ListSequences());
    std::vector<SequenceRecord> out;
    for (auto& seq : all) {
      if (static_cast<int64_t>(out.size()) >= limit) break;
      if (seq.name > after) out.push_back(std::move(seq));
    }
    return out;
  }
  // Removes the sequence with its sessions, topics, chunks, stats and notifications.
  virtual arrow::Status DeleteSequence(const std::string& name) = 0;
  // Names (ordered) of the sequences with an unlocked session or with no session at all: where a create, an
  // upload or a finalize can be in progress or cut short (recovery/startup_recovery.h). The default asks
  // ListSequences/ListSessions; the backends answer with one query.
  virtual arrow::Result<std::vector<std::string>> ListOpenSequences() {
    ARROW_ASSIGN_OR_RAISE(auto sequences, ListSequences());
    std::vector<std::string> out;
    for (const auto& seq : sequences) {
      ARROW_ASSIGN_OR_RAISE(auto sessions, ListSessions(seq.name));
      bool open = sessions.empty();
      for (const auto& s : sessions) open = open || !s.locked;
      if (open) out.push_back(seq.name);
    }
    return out;
  }

  // --- sessions ---
  virtual arrow::Result<SessionRecord> CreateSession(const std::string& sequence_name, const std::string& key,
                                                     const std::string& uuid, int64_t created_at_ns) = 0;
  virtual arrow::Result<SessionRecord> GetSessionByUuid(const std::string& uuid) = 0;
  virtual arrow::Result<SessionRecord> GetSession(const std::string& sequence_name, const std::string& key) = 0;
  virtual arrow::Result<std::vector<SessionRecord>> ListSessions(const std::string& sequence_name) = 0;  // by created
  // Locks the session and all its topics, setting completed_at_ns on each. FailedPrecondition if already locked.
  virtual arrow::Status LockSession(int64_t session_id, int64_t completed_at_ns) = 0;
  // Removes the session with its topics, chunks, stats and topic notifications.
  virtual arrow::Status DeleteSession(int64_t session_id) = 0;

  // --- topics ---
  // Fields used: sequence_id, session_id, name, uuid, ontology_tag, serialization_format, user_metadata_json,
  // created_at_ns. AlreadyExists when (sequence, name) is taken.
  virtual arrow::Result<TopicRecord> CreateTopic(const TopicRecord& topic) = 0;
  virtual arrow::Result<TopicRecord> GetTopic(const std::string& sequence_name, const std::string& topic_name) = 0;
  virtual arrow::Result<TopicRecord> GetTopicByUuid(const std::string& uuid) = 0;
  virtual arrow::Result<std::vector<TopicRecord>> ListTopics(const std::string& sequence_name) = 0;  // by name
  virtual arrow::Status DeleteTopic(int64_t topic_id) = 0;
  // Records the schema snapshot (first DoPut). FailedPrecondition if the topic is locked.
  virtual arrow::Status SetTopicSchema(int64_t topic_id, const std::string& schema_ipc) = 0;

  // --- data ---
  // Atomically records the chunks of a finished upload and sets topic.upload_id. FailedPrecondition if the topic
  // is locked or already has committed data (one upload per topic).
  virtual arrow::Status CommitTopicData(int64_t topic_id, const std::string& upload_id,
                                        const std::vector<ChunkRecord>& chunks) = 0;
  // Chunks ordered by (ts_min, index); stats filled only when with_stats.
  virtual arrow::Result<std::vector<ChunkRecord>> ListChunks(int64_t topic_id, bool with_stats) = 0;
  virtual arrow::Result<TopicDataSummary> SummarizeTopic(int64_t topic_id) = 0;
  // Summaries of several topics at once (GetFlightInfo of a sequence): out[i] summarizes topic_ids[i]; NotFound
  // naming the first missing topic, as SummarizeTopic. The backends answer in one statement (PostgreSQL: one round
  // trip instead of one per topic) or one read transaction (SQLite); this default calls SummarizeTopic per id.
  virtual arrow::Result<std::vector<TopicDataSummary>> SummarizeTopics(const std::vector<int64_t>& topic_ids) {
    std::vector<TopicDataSummary> out;
    out.reserve(topic_ids.size());
    for (int64_t id : topic_ids) {
      ARROW_ASSIGN_OR_RAISE(TopicDataSummary s, SummarizeTopic(id));
      out.push_back(std::move(s));
    }
    return out;
  }

  // --- queries (catalog/topic_filter.h states the semantics) ---
  // Topics passing `filter`, ordered by (sequence_name, topic_name), evaluated inside the backend.
  virtual arrow::Result<std::vector<TopicMatch>> FindTopics(const TopicFilter& filter) = 0;
  // The distinct schema snapshots (Arrow IPC) recorded by topics of `ontology_tag`, in no particular order;
  // empty when no topic of that tag has a schema yet. The query parser type-checks ontology keys against them.
  virtual arrow::Result<std::vector<std::string>> SchemasOfOntologyTag(const std::string& ontology_tag) = 0;

  // Atomically swaps the committed data of a topic (locked or not) from upload `expected_upload_id` to
  // `new_upload_id` with `chunks` (compaction). FailedPrecondition when the topic's upload is no longer
  // `expected_upload_id` (someone else swapped or deleted it); NotFound for an unknown topic.
  virtual arrow::Status ReplaceTopicData(int64_t topic_id, const std::string& expected_upload_id,
                                         const std::string& new_upload_id, const std::vector<ChunkRecord>& chunks) = 0;

  // --- event queue (JobRecord) ---
  // Adds a job; with a non-empty dedup_key already held by a pending or running job, returns that job instead.
  virtual arrow::Result<JobRecord> EnqueueJob(const std::string& kind, const std::string& payload_json,
                                              const std::string& dedup_key, int64_t run_after_ns,
                                              int64_t now_ns) = 0;
  // Atomically claims the runnable job with the smallest (run_after_ns, id) — pending with run_after_ns <= now, or
  // running with lease_expires_ns <= now (its worker died) — marking it running for `owner` until now + lease_ns
  // and counting the attempt. nullopt when none is runnable. Safe against concurrent claimers (several daemons).
  virtual arrow::Result<std::optional<JobRecord>> ClaimJob(const std::string& owner, int64_t now_ns,
                                                           int64_t lease_ns) = 0;
  // Claims the active job holding `dedup_key` (pending, even if not yet due, or running with an expired lease) like
  // ClaimJob; nullopt when there is none or another worker holds it. Lets a caller run one particular job now
  // (start-up recovery, recovery/startup_recovery.h). Backends without it: NotImplemented.
  virtual arrow::Result<std::optional<JobRecord>> ClaimJobByKey(const std::string& dedup_key, const std::string& owner,
                                                                int64_t now_ns, int64_t lease_ns) {
    (void)dedup_key, (void)owner, (void)now_ns, (void)lease_ns;
    return arrow::Status::NotImplemented("this catalog cannot claim a job by key");
  }
  // The owner finished the job: state done. FailedPrecondition if `owner` no longer holds the lease.
  virtual arrow::Status CompleteJob(int64_t job_id, const std::string& owner, int64_t now_ns) = 0;
  // The owner failed: back to pending at retry_at_ns with last_error, or state failed when give_up.
  // FailedPrecondition if `owner` no longer holds the lease.
  virtual arrow::Status FailJob(int64_t job_id, const std::string& owner, const std::string& error,
                                int64_t retry_at_ns, bool give_up, int64_t now_ns) = 0;
  // The owner is still working on the job: its lease now ends at lease_expires_ns (heartbeat of long jobs).
  // FailedPrecondition if `owner` no longer holds the lease.
  virtual arrow::Status RenewJobLease(int64_t job_id, const std::string& owner, int64_t lease_expires_ns,
                                      int64_t now_ns) = 0;
  // Jobs, newest first; `state` filters when set; at most `limit`.
  virtual arrow::Result<std::vector<JobRecord>> ListJobs(std::optional<JobRecord::State> state, int64_t limit) = 0;
  // Removes done and failed jobs last updated before `finished_before_ns`; returns how many.
  virtual arrow::Result<int64_t> PruneJobs(int64_t finished_before_ns) = 0;

  // --- monitoring (server/monitoring.h) ---
  // A round trip to the backend (readiness probe): OK when it answers a query. The default lists one job.
  virtual arrow::Status Ping() { return ListJobs(std::nullopt, 1).status(); }
  // CatalogStats, cheaply: counts the backend answers from an index (no row is decoded) and pending/running/failed
  // jobs through the job-state index (the queue, plus failed jobs until the GC prunes them). Callers still cache
  // it (a count walks an index). Backends without it: NotImplemented.
  virtual arrow::Result<CatalogStats> GetStats() {
    return arrow::Status::NotImplemented("this catalog reports no statistics");
  }

  // --- notifications ---
  virtual arrow::Result<NotificationRecord> AddNotification(const NotificationRecord& n) = 0;
  // topic_name unset -> sequence-level notifications only; set -> that topic's notifications. Oldest first.
  virtual arrow::Result<std::vector<NotificationRecord>> ListNotifications(
      const std::string& sequence_name, const std::optional<std::string>& topic_name) = 0;
  virtual arrow::Status PurgeNotifications(const std::string& sequence_name,
                                           const std::optional<std::string>& topic_name) = 0;
  // Every notification of one sequence in one answer: its own (topic_name unset) and each of its topics' (set),
  // oldest first within each resource, the resources in no fixed order. NotFound for an unknown sequence. Lets the
  // recover_sequence job compare a whole sequence's notifications at a cost of one query, whatever its topic count
  // (recovery/check.h). The default asks ListNotifications per resource; the backends answer with one query.
  virtual arrow::Result<std::vector<NotificationRecord>> ListSequenceNotifications(const std::string& sequence_name) {
    ARROW_ASSIGN_OR_RAISE(auto out, ListNotifications(sequence_name, std::nullopt));
    ARROW_ASSIGN_OR_RAISE(auto topics, ListTopics(sequence_name));
    for (const auto& t : topics) {
      auto notes = ListNotifications(sequence_name, t.name);
      if (!notes.ok() && notes.status().IsKeyError()) continue;  // deleted meanwhile
      ARROW_RETURN_NOT_OK(notes.status());
      for (auto& n : *notes) out.push_back(std::move(n));
    }
    return out;
  }

  // --- daemons (DaemonRecord) ---
  // Both backends implement these; the defaults (NotImplemented) only serve test doubles.
  // Records `uri` as alive at now_ns (inserted, or its heartbeat and started_at_ns replaced).
  virtual arrow::Status HeartbeatDaemon(const std::string& uri, int64_t started_at_ns, int64_t now_ns) {
    return arrow::Status::NotImplemented("this catalog has no daemon registry");
  }
  // The daemons whose last heartbeat is at or after since_ns, ordered by uri.
  virtual arrow::Result<std::vector<DaemonRecord>> ListLiveDaemons(int64_t since_ns) {
    return arrow::Status::NotImplemented("this catalog has no daemon registry");
  }
  // Removes `uri` when given (a clean shutdown), and every daemon whose last heartbeat is before before_ns (dead
  // ones age out); returns how many rows went.
  virtual arrow::Result<int64_t> RemoveDaemons(const std::optional<std::string>& uri, int64_t before_ns) {
    return arrow::Status::NotImplemented("this catalog has no daemon registry");
  }

  // --- API keys (ApiKeyRecord) ---
  // Both backends implement these; the defaults (NotImplemented) only serve test doubles.
  // Stores the record as given (a rebuild restores revoked and expired keys too). AlreadyExists when the
  // fingerprint is taken.
  virtual arrow::Status CreateApiKey(const ApiKeyRecord& key) { return ApiKeysUnsupported(); }
  // NotFound naming the fingerprint when there is no such key.
  virtual arrow::Result<ApiKeyRecord> GetApiKey(const std::string& fingerprint) { return ApiKeysUnsupported(); }
  // Every key, ordered by (created_at_ns, fingerprint).
  virtual arrow::Result<std::vector<ApiKeyRecord>> ListApiKeys() { return ApiKeysUnsupported(); }
  // Sets revoked_at_ns unless the key is already revoked (then the first revocation time stays); returns the
  // record as stored. NotFound for an unknown fingerprint.
  virtual arrow::Result<ApiKeyRecord> RevokeApiKey(const std::string& fingerprint, int64_t revoked_at_ns) {
    return ApiKeysUnsupported();
  }
  // Removes the key. NotFound for an unknown fingerprint.
  virtual arrow::Status DeleteApiKey(const std::string& fingerprint) { return ApiKeysUnsupported(); }
};

// The reference mosaicod's default for database.max_connections (MOSAICOD_MAX_DB_CONNECTIONS).
inline constexpr int kDefaultCatalogConnections = 10;

// How a catalog is opened, beyond its URL.
struct CatalogOptions {
  // PostgreSQL: at most this many connections, opened as needed, so at most this many catalog calls at once (each
  // call borrows one for its duration; more wait). SQLite ignores it (one connection, calls serialized).
  int pool_size = kDefaultCatalogConnections;
};

// Opens (creating and migrating as needed) the catalog named by `url`:
//   sqlite:///abs/path/catalog.db  or a plain filesystem path (SQLite);
//   postgresql://user@host:port/db (PostgreSQL, catalog/postgres/postgres_catalog.h).
arrow::Result<std::shared_ptr<Catalog>> OpenCatalog(const std::string& url, const CatalogOptions& options = {});

}  // namespace mosaico::catalog
