// Lifecycle: every state change of sequences, sessions, topics and notifications, keeping store and catalog
// in step. The Flight action handlers call this; it knows nothing about Flight.
//
// Write protocol (see docs/STORE_LAYOUT.md, "Crash safety", for what each crash window leaves and who fixes it):
//  - create: the catalog insert comes first and acts as the uniqueness check (ALREADY_EXISTS, even between
//    daemons sharing a catalog); then the manifest is written to the store; if that fails the catalog row is
//    removed again and the error returned. A crash in between leaves a catalog row without manifest, which the
//    start-up recovery completes (writes the manifest from the row).
//  - finalize: the store commit marker (finalized.json) is written first, then the catalog locks session and
//    topics in one transaction. A crash in between leaves a marker the start-up recovery (and a rebuild) honours.
//    Then a "compact_topic" job is enqueued (Catalog::EnqueueJob) for each of the session's topics with two or
//    more chunks; an enqueue failure is logged only (compaction is an optimisation).
//  - delete: lifecycle/deletion.h: tombstone, store objects, catalog rows, tombstone removal. A failure part-way
//    leaves the resource visible with its tombstone; the delete can be retried, and the start-up recovery
//    finishes it after a crash. On a full disk a delete still works: a local store keeps a space reserve that a
//    delete failing for lack of space releases before it runs again (store/space_reserve.h).
//  - notify: store object, then catalog row; purge: objects, then rows. Both enqueue the resource's
//    sync_notifications mark first, whose job realigns the rows a crash left out of step.
//  - finalize and the deletes enqueue a recover_sequence mark before their first step (lifecycle/recovery_marks.h):
//    start-up recovery and any daemon's workers find what a crash left there without scanning the store. Creates
//    and uploads need none: they happen in unlocked sessions, which start-up always looks at.
//  - Several daemons may share catalog and store. Uniqueness is the catalog's; the open-stream slot
//    (UploadRegistry) is per daemon, so a finalize or delete through another daemon does not wait for a stream
//    here: that stream then fails at its catalog commit and removes its upload.
// Lifecycle rules: an unlocked (in-progress) session and its topics may be written and deleted; a finalized
// one is locked: no new topics, no uploads, no topic delete (FAILED_PRECONDITION). session_delete removes a session
// with its topics, finalized or not (not while one of its uploads is streaming); sequence_delete removes a whole
// sequence, locked or not. Both need the delete permission.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/core/locator.h"
#include "mosaico/lifecycle/upload_registry.h"
#include "mosaico/store/object_store.h"
#include "mosaico/store/space_reserve.h"

namespace mosaico::lifecycle {

struct CreateTopicRequest {
  std::string session_uuid;
  TopicLocator locator;
  std::string serialization_format;  // "default" | "ragged" | "image"
  std::string ontology_tag;
  std::string user_metadata_json = "{}";
};

// What a DoPut needs once admitted: the topic and a guard that keeps the topic's stream slot.
struct AdmittedUpload {
  catalog::TopicRecord topic;
  std::unique_ptr<UploadRegistry::Guard> guard;
};

class Lifecycle {
 public:
  Lifecycle(std::shared_ptr<catalog::Catalog> catalog, std::shared_ptr<store::ObjectStore> store);

  arrow::Result<catalog::SequenceRecord> CreateSequence(const std::string& name, const std::string& user_metadata_json);
  arrow::Result<catalog::SessionRecord> CreateSession(const std::string& sequence);
  arrow::Result<catalog::TopicRecord> CreateTopic(const CreateTopicRequest& request);
  arrow::Status FinalizeSession(const std::string& session_uuid);

  arrow::Status DeleteSequence(const std::string& name);
  arrow::Status DeleteSession(const SessionLocator& locator);
  arrow::Status DeleteTopic(const TopicLocator& locator);

  // Admits a DoPut: the topic exists, `topic_uuid` is its write token, its session is unlocked, it has no
  // committed data yet and no other open stream.
  arrow::Result<AdmittedUpload> AdmitUpload(const TopicLocator& locator, const std::string& topic_uuid);

  arrow::Result<catalog::NotificationRecord> Notify(const std::string& sequence,
                                                    const std::optional<std::string>& topic,
                                                    const std::string& type, const std::string& msg);
  arrow::Result<std::vector<catalog::NotificationRecord>> ListNotifications(const std::string& sequence,
                                                                            const std::optional<std::string>& topic);
  arrow::Status PurgeNotifications(const std::string& sequence, const std::optional<std::string>& topic);

  const std::shared_ptr<catalog::Catalog>& catalog() const { return catalog_; }
  const std::shared_ptr<store::ObjectStore>& store() const { return store_; }
  UploadRegistry& uploads() { return uploads_; }

 private:
  // Runs a delete; when it fails for lack of disk space, releases the store's space reserve
  // (store/space_reserve.h) and runs it once more (every delete step is idempotent), then takes the reserve back.
  arrow::Status FreeingSpace(const std::string& what, const std::function<arrow::Status()>& op);
  arrow::Status DeleteSequenceOnce(const std::string& name);
  arrow::Status DeleteSessionOnce(const SessionLocator& locator);
  arrow::Status DeleteTopicOnce(const TopicLocator& locator);

  std::shared_ptr<catalog::Catalog> catalog_;
  std::shared_ptr<store::ObjectStore> store_;
  std::shared_ptr<store::SpaceReserve> reserve_;  // null: not a local store
  UploadRegistry uploads_;
};

}  // namespace mosaico::lifecycle
