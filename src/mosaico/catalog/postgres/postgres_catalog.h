// PostgresCatalog: the server-backed implementation of Catalog (catalog/catalog.h states the contract), selected
// by a postgresql:// URL. Several mosaicod daemons may share one database.
//
// Guarantees beyond the interface:
//  - A pool of at most `pool_size` libpq connections (database.max_connections, default 10), opened as needed;
//    every method borrows one for its duration, so up to pool_size calls run in parallel and more wait for one. Each public method is one transaction (READ COMMITTED); checks and the change
//    they guard lock the checked row (SELECT ... FOR UPDATE), so they cannot interleave with another writer, in
//    this process or another.
//  - The same errors and messages as SqliteCatalog (see sqlite_catalog.h, "Details the interface leaves open"):
//    unique violations (SQLSTATE 23505) become AlreadyExists with the SQLite backend's message, picked by the
//    violated constraint's name.
//  - Event queue: ClaimJob picks its job with SELECT ... FOR UPDATE SKIP LOCKED, so concurrent claimers (threads
//    or daemons) never wait on each other's candidate and never claim the same job twice.
//  - FindTopics: field predicates run as SQL (text compared byte-wise with COLLATE "C", like SQLite's BINARY);
//    metadata predicates are pushed into SQL as superset conditions on the JSONB copy of user_metadata
//    (postgres/pg_metadata_sql.h; the GIN index serves equalities) and the rows that pass are evaluated exactly
//    by MetadataMatcher (a backend-neutral class) on the verbatim text, so both backends agree.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mosaico/catalog/catalog.h"

namespace mosaico::catalog::postgres {
class PgPool;
}

namespace mosaico::catalog {

class PostgresCatalog final : public Catalog {
 public:
  // Connects to `url` (a libpq URI, postgresql://user@host:port/db) and migrates the schema; at most `pool_size`
  // (>= 1) connections are open at once.
  static arrow::Result<std::shared_ptr<PostgresCatalog>> Open(const std::string& url,
                                                              size_t pool_size = kDefaultCatalogConnections);
  ~PostgresCatalog() override;

  arrow::Result<SequenceRecord> CreateSequence(const std::string& name, const std::string& user_metadata_json,
                                               int64_t created_at_ns) override;
  arrow::Result<SequenceRecord> GetSequence(const std::string& name) override;
  arrow::Result<std::vector<SequenceRecord>> ListSequences() override;
  arrow::Result<std::vector<SequenceRecord>> ListSequencesPage(const std::string& after, int64_t limit) override;
  arrow::Status DeleteSequence(const std::string& name) override;
  arrow::Result<std::vector<std::string>> ListOpenSequences() override;

  arrow::Result<SessionRecord> CreateSession(const std::string& sequence_name, const std::string& key,
                                             const std::string& uuid, int64_t created_at_ns) override;
  arrow::Result<SessionRecord> GetSessionByUuid(const std::string& uuid) override;
  arrow::Result<SessionRecord> GetSession(const std::string& sequence_name, const std::string& key) override;
  arrow::Result<std::vector<SessionRecord>> ListSessions(const std::string& sequence_name) override;
  arrow::Status LockSession(int64_t session_id, int64_t completed_at_ns) override;
  arrow::Status DeleteSession(int64_t session_id) override;

  arrow::Result<TopicRecord> CreateTopic(const TopicRecord& topic) override;
  arrow::Result<TopicRecord> GetTopic(const std::string& sequence_name, const std::string& topic_name) override;
  arrow::Result<TopicRecord> GetTopicByUuid(const std::string& uuid) override;
  arrow::Result<std::vector<TopicRecord>> ListTopics(const std::string& sequence_name) override;
  arrow::Status DeleteTopic(int64_t topic_id) override;
  arrow::Status SetTopicSchema(int64_t topic_id, const std::string& schema_ipc) override;

  arrow::Status CommitTopicData(int64_t topic_id, const std::string& upload_id,
                                const std::vector<ChunkRecord>& chunks) override;
  arrow::Result<std::vector<ChunkRecord>> ListChunks(int64_t topic_id, bool with_stats) override;
  arrow::Result<TopicDataSummary> SummarizeTopic(int64_t topic_id) override;
  arrow::Result<std::vector<TopicDataSummary>> SummarizeTopics(const std::vector<int64_t>& topic_ids) override;

  arrow::Result<std::vector<TopicMatch>> FindTopics(const TopicFilter& filter) override;
  arrow::Result<std::vector<std::string>> SchemasOfOntologyTag(const std::string& ontology_tag) override;

  arrow::Status ReplaceTopicData(int64_t topic_id, const std::string& expected_upload_id,
                                 const std::string& new_upload_id, const std::vector<ChunkRecord>& chunks) override;

  arrow::Result<JobRecord> EnqueueJob(const std::string& kind, const std::string& payload_json,
                                      const std::string& dedup_key, int64_t run_after_ns, int64_t now_ns) override;
  arrow::Result<std::optional<JobRecord>> ClaimJob(const std::string& owner, int64_t now_ns,
                                                   int64_t lease_ns) override;
  arrow::Result<std::optional<JobRecord>> ClaimJobByKey(const std::string& dedup_key, const std::string& owner,
                                                        int64_t now_ns, int64_t lease_ns) override;
  arrow::Status CompleteJob(int64_t job_id, const std::string& owner, int64_t now_ns) override;
  arrow::Status FailJob(int64_t job_id, const std::string& owner, const std::string& error, int64_t retry_at_ns,
                        bool give_up, int64_t now_ns) override;
  arrow::Status RenewJobLease(int64_t job_id, const std::string& owner, int64_t lease_expires_ns,
                              int64_t now_ns) override;
  arrow::Result<std::vector<JobRecord>> ListJobs(std::optional<JobRecord::State> state, int64_t limit) override;
  arrow::Result<int64_t> PruneJobs(int64_t finished_before_ns) override;

  arrow::Result<CatalogStats> GetStats() override;

  arrow::Result<NotificationRecord> AddNotification(const NotificationRecord& n) override;
  arrow::Result<std::vector<NotificationRecord>> ListNotifications(
      const std::string& sequence_name, const std::optional<std::string>& topic_name) override;
  arrow::Status PurgeNotifications(const std::string& sequence_name,
                                   const std::optional<std::string>& topic_name) override;
  arrow::Result<std::vector<NotificationRecord>> ListSequenceNotifications(const std::string& sequence_name) override;

  arrow::Status CreateApiKey(const ApiKeyRecord& key) override;
  arrow::Result<ApiKeyRecord> GetApiKey(const std::string& fingerprint) override;
  arrow::Result<std::vector<ApiKeyRecord>> ListApiKeys() override;
  arrow::Result<ApiKeyRecord> RevokeApiKey(const std::string& fingerprint, int64_t revoked_at_ns) override;
  arrow::Status DeleteApiKey(const std::string& fingerprint) override;

  arrow::Status HeartbeatDaemon(const std::string& uri, int64_t started_at_ns, int64_t now_ns) override;
  arrow::Result<std::vector<DaemonRecord>> ListLiveDaemons(int64_t since_ns) override;
  arrow::Result<int64_t> RemoveDaemons(const std::optional<std::string>& uri, int64_t before_ns) override;

 private:
  explicit PostgresCatalog(std::unique_ptr<postgres::PgPool> pool);

  std::unique_ptr<postgres::PgPool> pool_;
};

}  // namespace mosaico::catalog
