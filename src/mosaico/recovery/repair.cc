// Repair: applies the RepairAction of each repairable Finding (recovery/check.h). Every action re-reads the state
// it acts on right before acting and is idempotent, so a repair that is itself interrupted can simply run again.
#include <algorithm>
#include <map>
#include <set>

#include "mosaico/core/errors.h"
#include "mosaico/lifecycle/compaction_request.h"
#include "mosaico/lifecycle/deletion.h"
#include "mosaico/lifecycle/manifests.h"
#include "mosaico/recovery/check.h"
#include "mosaico/recovery/check_internal.h"
#include "mosaico/recovery/restore.h"
#include "mosaico/store/layout.h"

namespace mosaico::recovery {
namespace {

namespace layout = store::layout;
using Action = RepairAction;
using lifecycle::TombstoneState;

// Actions run in this order within a pass: deletions before anything could be rewritten into what they delete,
// manifests before the data that hangs off them, uploads committed before their session is locked.
int Phase(Action action) {
  switch (action) {
    case Action::kFinishDeletion:
    case Action::kDropStaleTombstone: return 0;
    case Action::kRestoreSequence:
    case Action::kWriteManifest: return 1;
    case Action::kWriteSchema:
    case Action::kWriteFinalizedMarker:
    case Action::kDropOrphanSchema: return 2;
    case Action::kCommitUpload:
    case Action::kAdoptUpload: return 3;
    case Action::kLockSession: return 4;
    case Action::kSyncNotifications: return 5;
    case Action::kDeleteUpload:
    case Action::kDeleteObject: return 6;
    case Action::kNone: return 7;
  }
  return 7;
}

class Repairer {
 public:
  Repairer(catalog::Catalog& catalog, store::ObjectStore& store, const StoreSnapshot& snapshot)
      : catalog_(catalog), store_(store), snapshot_(snapshot) {}

  arrow::Status Apply(const Finding& f) {
    switch (f.action) {
      case Action::kFinishDeletion:
      case Action::kDropStaleTombstone: return FinishDeletion(f);
      case Action::kRestoreSequence: {
        ARROW_ASSIGN_OR_RAISE(const auto* seq, Sequence(f.sequence));
        return RestoreSequence(*seq, catalog_).status();
      }
      case Action::kWriteManifest: return WriteManifest(f);
      case Action::kWriteSchema: {
        ARROW_ASSIGN_OR_RAISE(auto topic, catalog_.GetTopic(f.sequence, f.topic));
        if (!topic.schema_ipc) return arrow::Status::Invalid("the catalog no longer holds a schema");
        return PutIfAbsent(layout::TopicSchema(f.sequence, f.topic), *topic.schema_ipc);
      }
      case Action::kWriteFinalizedMarker: {
        ARROW_ASSIGN_OR_RAISE(auto session, catalog_.GetSession(f.sequence, f.session_key));
        if (!session.locked || !session.completed_at_ns) return arrow::Status::Invalid("no longer locked");
        return PutIfAbsent(layout::SessionFinalizedMarker(f.sequence, f.session_key),
                           lifecycle::SessionFinalizedJson(*session.completed_at_ns));
      }
      case Action::kDropOrphanSchema: {
        ARROW_ASSIGN_OR_RAISE(auto topic, catalog_.GetTopic(f.sequence, f.topic));
        if (topic.schema_ipc || topic.upload_id) return arrow::Status::Invalid("the catalog holds a schema now");
        return store_.Delete(layout::TopicSchema(f.sequence, f.topic));
      }
      case Action::kCommitUpload: return CommitUpload(f);
      case Action::kAdoptUpload: return AdoptUpload(f);
      case Action::kLockSession: return LockSession(f);
      case Action::kSyncNotifications: return SyncNotifications(f);
      case Action::kDeleteUpload: {
        ARROW_ASSIGN_OR_RAISE(bool referenced, Referenced(f));
        if (referenced) return arrow::Status::Invalid("the catalog still references this upload");
        return store_.DeletePrefix(f.subject);
      }
      case Action::kDeleteObject: return store_.Delete(f.subject);
      case Action::kNone: break;
    }
    return arrow::Status::Invalid("not repairable");
  }

 private:
  arrow::Result<const SequenceSnapshot*> Sequence(const std::string& name) {
    for (const auto& s : snapshot_.sequences) {
      if (s.record.name == name) return &s;
    }
    return arrow::Status::KeyError("sequence '", name, "' vanished from the store during repair");
  }

  arrow::Result<const TopicSnapshot*> Topic(const std::string& seq, const std::string& name) {
    ARROW_ASSIGN_OR_RAISE(const auto* s, Sequence(seq));
    for (const auto& t : s->topics) {
      if (t.record.name == name) return &t;
    }
    return arrow::Status::KeyError("topic '", seq, "/", name, "' vanished from the store during repair");
  }

  // Never overwrites: an object that appeared meanwhile (a create finishing on a live daemon) wins.
  arrow::Status PutIfAbsent(const std::string& key, const std::string& data) {
    ARROW_ASSIGN_OR_RAISE(bool exists, store_.Exists(key));
    return exists ? arrow::Status::OK() : store_.PutAtomic(key, data);
  }

  arrow::Status FinishDeletion(const Finding& f) {
    using Entity = DeletionSnapshot::Entity;
    for (const auto& d : snapshot_.deletions) {
      if (d.sequence != f.sequence || d.session_key != f.session_key || d.topic != f.topic) continue;
      if (d.entity == Entity::kSequence) {
        ARROW_ASSIGN_OR_RAISE(auto state, lifecycle::JudgeSequenceTombstone(catalog_, d.sequence, d.tombstone));
        return lifecycle::FinishSequenceDeletion(catalog_, store_, d.sequence, state);
      }
      if (d.entity == Entity::kSession) {
        ARROW_ASSIGN_OR_RAISE(auto state,
                              lifecycle::JudgeSessionTombstone(catalog_, d.sequence, d.session_key, d.tombstone));
        return lifecycle::FinishSessionDeletion(catalog_, store_, d.sequence, d.session_key, d.topics, state);
      }
      ARROW_ASSIGN_OR_RAISE(auto state, lifecycle::JudgeTopicTombstone(catalog_, d.sequence, d.topic, d.tombstone));
      return lifecycle::FinishTopicDeletion(catalog_, store_, d.sequence, d.topic, state);
    }
    return arrow::Status::KeyError("tombstone vanished during repair");
  }

  // The manifest of a catalog entity whose create was cut short, written from its row exactly as the create
  // would have (plus the schema snapshot and finalize marker the row implies).
  arrow::Status WriteManifest(const Finding& f) {
    if (!f.topic.empty()) {
      ARROW_ASSIGN_OR_RAISE(auto topic, catalog_.GetTopic(f.sequence, f.topic));
      if (topic.schema_ipc) ARROW_RETURN_NOT_OK(PutIfAbsent(layout::TopicSchema(f.sequence, f.topic), *topic.schema_ipc));
      return PutIfAbsent(layout::TopicManifest(f.sequence, f.topic), lifecycle::TopicManifestJson(topic));
    }
    if (!f.session_key.empty()) {
      ARROW_ASSIGN_OR_RAISE(auto session, catalog_.GetSession(f.sequence, f.session_key));
      if (session.locked && session.completed_at_ns) {
        ARROW_RETURN_NOT_OK(PutIfAbsent(layout::SessionFinalizedMarker(f.sequence, f.session_key),
                                        lifecycle::SessionFinalizedJson(*session.completed_at_ns)));
      }
      return PutIfAbsent(layout::SessionManifest(f.sequence, f.session_key), lifecycle::SessionManifestJson(session));
    }
    ARROW_ASSIGN_OR_RAISE(auto seq, catalog_.GetSequence(f.sequence));
    return PutIfAbsent(layout::SequenceManifest(f.sequence), lifecycle::SequenceManifestJson(seq));
  }

  arrow::Status CommitUpload(const Finding& f) {
    ARROW_ASSIGN_OR_RAISE(const auto* stored, Topic(f.sequence, f.topic));
    const UploadSnapshot* upload = stored->committed_upload();
    if (upload == nullptr) return arrow::Status::KeyError("the committed upload vanished during repair");
    ARROW_ASSIGN_OR_RAISE(auto topic, catalog_.GetTopic(f.sequence, f.topic));
    if (topic.upload_id == upload->upload_id) return arrow::Status::OK();  // committed meanwhile
    if (topic.locked) return FailedPrecondition("the catalog topic is locked");
    if (!topic.schema_ipc && stored->record.schema_ipc) {
      ARROW_RETURN_NOT_OK(catalog_.SetTopicSchema(topic.id, *stored->record.schema_ipc));
    }
    auto st = catalog_.CommitTopicData(topic.id, upload->upload_id, upload->manifest->chunks);
    if (!st.ok()) {  // the daemon that wrote it may have committed it itself meanwhile
      auto again = catalog_.GetTopic(f.sequence, f.topic);
      if (again.ok() && again->upload_id == upload->upload_id) return arrow::Status::OK();
    }
    return st;
  }

  // A compaction's upload committed in the store but not swapped into the catalog (re-checked right before).
  arrow::Status AdoptUpload(const Finding& f) {
    ARROW_ASSIGN_OR_RAISE(const auto* stored, Topic(f.sequence, f.topic));
    const UploadSnapshot* upload = stored->committed_upload();
    if (upload == nullptr || !upload->manifest) return arrow::Status::KeyError("the committed upload vanished");
    ARROW_ASSIGN_OR_RAISE(auto topic, catalog_.GetTopic(f.sequence, f.topic));
    if (topic.upload_id == upload->upload_id) return arrow::Status::OK();  // swapped meanwhile
    if (!topic.locked || !topic.upload_id || *topic.upload_id >= upload->upload_id) {
      return FailedPrecondition("the catalog topic changed meanwhile");
    }
    ARROW_ASSIGN_OR_RAISE(auto summary, catalog_.SummarizeTopic(topic.id));
    if (!internal::SameRowsAndRange(summary, *upload->manifest)) {
      return FailedPrecondition("the upload does not hold the catalog's rows");
    }
    auto st = catalog_.ReplaceTopicData(topic.id, *topic.upload_id, upload->upload_id, upload->manifest->chunks);
    if (!st.ok()) {  // the compaction itself may have swapped meanwhile
      auto again = catalog_.GetTopic(f.sequence, f.topic);
      if (again.ok() && again->upload_id == upload->upload_id) return arrow::Status::OK();
    }
    return st;
  }

  arrow::Status LockSession(const Finding& f) {
    ARROW_ASSIGN_OR_RAISE(const auto* seq, Sequence(f.sequence));
    auto stored = std::find_if(seq->sessions.begin(), seq->sessions.end(),
                               [&](const SessionSnapshot& s) { return s.record.key == f.session_key; });
    if (stored == seq->sessions.end() || !stored->record.completed_at_ns) {
      return arrow::Status::KeyError("the finalize marker vanished during repair");
    }
    ARROW_ASSIGN_OR_RAISE(auto session, catalog_.GetSession(f.sequence, f.session_key));
    if (session.locked) return arrow::Status::OK();  // locked meanwhile
    ARROW_RETURN_NOT_OK(catalog_.LockSession(session.id, *stored->record.completed_at_ns));
    // The finalize this completes would have asked for compaction; so does its completion.
    lifecycle::EnqueueCompactions(catalog_, f.sequence, f.session_key);
    return arrow::Status::OK();
  }

  // Realigns the catalog's notifications of one sequence or topic to the store's.
  arrow::Status SyncNotifications(const Finding& f) {
    ARROW_ASSIGN_OR_RAISE(const auto* seq, Sequence(f.sequence));
    const std::vector<lifecycle::ParsedNotification>* in_store = &seq->notifications;
    std::optional<std::string> topic;
    if (!f.topic.empty()) {
      ARROW_ASSIGN_OR_RAISE(const auto* t, Topic(f.sequence, f.topic));
      in_store = &t->notifications;
      topic = f.topic;
    }
    ARROW_ASSIGN_OR_RAISE(auto in_catalog, catalog_.ListNotifications(f.sequence, topic));
    auto diff = internal::DiffNotifications(in_catalog, *in_store);
    if (!diff.catalog_only.empty()) {  // no per-row delete in the catalog: purge and add the store's back
      ARROW_RETURN_NOT_OK(catalog_.PurgeNotifications(f.sequence, topic));
      diff.store_only.clear();
      for (const auto& n : *in_store) diff.store_only.push_back(n.record);
    }
    for (const auto& n : diff.store_only) ARROW_RETURN_NOT_OK(catalog_.AddNotification(n).status());
    return arrow::Status::OK();
  }

  // Whether the catalog serves the upload directory `f.subject` (never delete what it still references).
  arrow::Result<bool> Referenced(const Finding& f) {
    const auto ref = layout::ParseKey(f.subject + "/upload.json");
    auto topic = catalog_.GetTopic(ref.sequence, ref.topic);
    if (!topic.ok()) {
      if (topic.status().IsKeyError()) return false;
      return topic.status();
    }
    return topic->upload_id == ref.upload_id;
  }

  catalog::Catalog& catalog_;
  store::ObjectStore& store_;
  const StoreSnapshot& snapshot_;
};

std::string Key(const Finding& f) { return f.kind + "\x1f" + f.subject; }

}  // namespace

arrow::Result<RepairReport> Repair(catalog::Catalog& catalog, store::ObjectStore& store, const CheckOptions& options,
                                   const RepairOptions& repair) {
  auto wanted = [&](const Finding& f) {
    return f.repairable && (repair.only.empty() || repair.only.count(f.action)) && (!repair.accept || repair.accept(f));
  };
  RepairReport out;
  std::map<std::string, std::string> failures;  // of the last pass that attempted anything
  for (int pass = 0;; ++pass) {
    StoreSnapshot snapshot;
    CheckReport report;
    ARROW_RETURN_NOT_OK(internal::CheckWithSnapshot(catalog, store, options, &snapshot, &report));
    std::vector<Finding> todo;
    for (const auto& f : report.findings) {
      if (wanted(f) && !failures.count(Key(f))) todo.push_back(f);
    }
    if (todo.empty() || pass >= repair.max_passes) {
      for (auto& f : report.findings) {
        auto it = failures.find(Key(f));
        if (it != failures.end()) f.detail += " (repair failed: " + it->second + ")";
        out.left.push_back(std::move(f));
      }
      return out;
    }
    std::stable_sort(todo.begin(), todo.end(),
                     [](const Finding& a, const Finding& b) { return Phase(a.action) < Phase(b.action); });
    Repairer repairer(catalog, store, snapshot);
    for (auto& f : todo) {
      auto st = repairer.Apply(f);
      if (st.ok()) {
        ++out.repaired;
        out.done.push_back(std::move(f));
      } else {
        failures[Key(f)] = st.ToString();
      }
    }
  }
}

}  // namespace mosaico::recovery
