// SqliteCatalog: the embedded, single-file implementation of Catalog (see catalog/catalog.h for the contract).
//
// Guarantees beyond the interface:
//  - One sqlite connection serialized by a mutex: every method is thread-safe and sees the effects of every
//    method that returned before it was called. Other processes may open the same file; they serialize on
//    sqlite's file locks (WAL journal, busy_timeout of kBusyTimeoutMs).
//  - Durability: WAL with synchronous=NORMAL. A committed change survives a process crash; the last
//    transactions before an OS crash / power loss may be lost (the store stays the source of truth).
//  - Each public method is one transaction (writes take the write lock up front with BEGIN IMMEDIATE), so
//    checks such as "topic is locked" and the change they guard cannot interleave with another writer.
//  - Ids are never reused after a delete (AUTOINCREMENT).
//  - Stats: a NaN float min/max cannot be represented (sqlite stores NaN as NULL); callers must not pass NaN.
//
// Details the interface leaves open, decided here:
//  - CreateTopic: NotFound when the session does not exist, InvalidArgument when topic.sequence_id is not the
//    session's sequence, FailedPrecondition when the session is locked; the returned record is complete.
//  - CommitTopicData: InvalidArgument for an empty upload_id, duplicate chunk indexes or duplicate columns
//    within a chunk, or stats whose set min/max fields do not match their kind (kInt/kBool -> *_int,
//    kFloat -> *_float, kString -> *_str; min and max set together or not at all). ChunkRecord::id and
//    ::topic_id of the input are ignored.
//  - ReplaceTopicData: the same InvalidArgument checks (empty ids, or new == expected, included), made before the
//    upload check; a topic without committed data fails the upload check (FailedPrecondition).
//  - SetTopicSchema may replace an earlier snapshot while the topic is unlocked.
//  - DeleteTopic / DeleteSession are allowed on locked resources (deletion policy belongs to the caller).
//  - ListSessions / ListTopics / ListNotifications / PurgeNotifications / ListChunks / SummarizeTopic(s) return
//    NotFound for an unknown sequence, topic or id rather than an empty result.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mosaico/catalog/catalog.h"

namespace mosaico::catalog::sqlite {
class Connection;
}

namespace mosaico::catalog {

class SqliteCatalog final : public Catalog {
 public:
  static constexpr int kBusyTimeoutMs = 5000;
  static constexpr int kPageCacheKiB = 64 * 1024;  // sqlite page cache ceiling per connection
  // Reads of the database file through a memory map of up to this many bytes (PRAGMA mmap_size): address space,
  // not memory; the pages are the OS's page cache.
  static constexpr int64_t kMmapBytes = int64_t{2} << 30;

  // Opens the database file at `path` (created if missing; its directory must exist) and migrates it to the
  // latest schema version.
  static arrow::Result<std::shared_ptr<SqliteCatalog>> Open(const std::string& path);
  ~SqliteCatalog() override;

  const std::string& path() const { return path_; }

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
  SqliteCatalog(std::string path, std::unique_ptr<sqlite::Connection> conn);

  // Resolves (sequence, optional topic) to ids for the notification methods. REQUIRES: mu_ held.
  struct NotificationScope {
    int64_t sequence_id = 0;
    std::optional<int64_t> topic_id;
  };
  arrow::Result<NotificationScope> ResolveScopeLocked(const std::string& sequence_name,
                                                      const std::optional<std::string>& topic_name);

  const std::string path_;
  std::mutex mu_;
  std::unique_ptr<sqlite::Connection> conn_;  // guarded by mu_
  // Set by the first FindTopics: query functions registered (sqlite/query_functions.h) and page cache raised.
  bool query_functions_registered_ = false;  // guarded by mu_
};

}  // namespace mosaico::catalog
