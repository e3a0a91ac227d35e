#include "mosaico/recovery/check.h"

#include <algorithm>
#include <map>
#include <set>

#include "mosaico/core/clock.h"
#include "mosaico/core/ids.h"
#include "mosaico/core/json.h"
#include "mosaico/lifecycle/deletion.h"
#include "mosaico/recovery/check_internal.h"
#include "mosaico/store/layout.h"

namespace mosaico::recovery {
namespace {

namespace layout = store::layout;
using Action = RepairAction;
using lifecycle::TombstoneState;

bool SameJson(const std::string& a, const std::string& b) {
  const Json ja = Json::parse(a, nullptr, false);
  const Json jb = Json::parse(b, nullptr, false);
  return !ja.is_discarded() && !jb.is_discarded() && ja == jb;
}

std::string Opt(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "none"; }
std::string Opt(const std::optional<std::string>& v) { return v ? *v : "none"; }
const char* Bool(bool b) { return b ? "true" : "false"; }

class Checker {
 public:
  Checker(catalog::Catalog& catalog, store::ObjectStore& store, const CheckOptions& options)
      : catalog_(catalog), store_(store), options_(options), now_(options.now_ns != 0 ? options.now_ns : NowNs()) {}

  arrow::Status Run(const StoreSnapshot& snapshot, CheckReport* report) {
    report_ = report;
    report_->chunks_verified = snapshot.chunks_verified;
    for (const auto& p : snapshot.problems) StoreProblem(p);
    ARROW_RETURN_NOT_OK(Deletions(snapshot));
    ARROW_ASSIGN_OR_RAISE(auto catalog_sequences, CatalogSequences());
    std::map<std::string, const SequenceSnapshot*> in_store;
    for (const auto& seq : snapshot.sequences) in_store[seq.record.name] = &seq;
    std::set<std::string> in_catalog;
    int64_t done = 0;
    const int64_t total = static_cast<int64_t>(catalog_sequences.size());
    for (const auto& seq : catalog_sequences) {
      in_catalog.insert(seq.name);
      if (skip_sequences_.count(seq.name)) continue;  // its tombstone finding covers it
      auto it = in_store.find(seq.name);
      if (it == in_store.end()) {
        ARROW_RETURN_NOT_OK(MissingManifest(layout::SequenceManifest(seq.name), seq.created_at_ns,
                                            {seq.name, "", ""}, seq.name, "the catalog lists this sequence"));
      } else {
        ARROW_RETURN_NOT_OK(CompareSequence(seq, *it->second));
      }
      ++report_->sequences_checked;
      if (options_.progress) options_.progress("compare", ++done, total);
    }
    for (const auto& [name, seq] : in_store) {
      if (!in_catalog.count(name) && !skip_sequences_.count(name)) {
        Add("missing_in_catalog", name, "the store holds this sequence; the catalog does not", Action::kRestoreSequence,
            {name, "", ""});
      }
    }
    std::stable_sort(report_->findings.begin(), report_->findings.end(),
                     [](const Finding& a, const Finding& b) { return a.subject < b.subject; });
    return arrow::Status::OK();
  }

 private:
  struct Target {
    std::string sequence, session_key, topic;
  };

  // The catalog's side, ordered by name: every sequence, or for a scoped check only the ones named, each looked
  // up by its key -- a scoped run (the recover_sequence job after every finalize and delete) must cost what its
  // sequences hold, never what the catalog holds.
  arrow::Result<std::vector<catalog::SequenceRecord>> CatalogSequences() {
    if (!options_.only_sequences) return catalog_.ListSequences();
    std::vector<catalog::SequenceRecord> out;
    for (const auto& name : *options_.only_sequences) {  // a std::set: by name
      auto seq = catalog_.GetSequence(name);
      if (seq.ok()) {
        out.push_back(std::move(*seq));
      } else if (!seq.status().IsKeyError()) {
        return seq.status();
      }
    }
    return out;
  }

  void Add(std::string kind, std::string subject, std::string detail, Action action = Action::kNone,
           Target target = {}) {
    Finding f{std::move(kind), std::move(subject), std::move(detail), action != Action::kNone, action,
              std::move(target.sequence), std::move(target.session_key), std::move(target.topic)};
    report_->findings.push_back(std::move(f));
  }

  void Mismatch(const std::string& subject, const std::string& field, const std::string& catalog_value,
                const std::string& store_value) {
    Add("field_mismatch", subject, field + ": catalog has '" + catalog_value + "', store has '" + store_value + "'");
  }

  bool OldEnough(std::optional<int64_t> created_ns) const {
    return created_ns && now_ - *created_ns >= options_.min_upload_age_ns;
  }

  bool UploadOldEnough(const std::string& upload_dir) const {
    const auto slash = upload_dir.rfind('/');
    return OldEnough(UlidTimeNs(upload_dir.substr(slash == std::string::npos ? 0 : slash + 1)));
  }

  void StoreProblem(const ScanProblem& p) {
    Action action = Action::kNone;
    std::string detail = p.detail;
    if (p.kind == ScanProblem::Kind::kInterruptedUpload || p.kind == ScanProblem::Kind::kSupersededUpload) {
      // A superseded upload is judged by the upload that replaced it: readers (and a compaction's grace period)
      // may still use the old data for a while after the swap, however old the old upload itself is.
      const bool old_enough = p.kind == ScanProblem::Kind::kSupersededUpload
                                  ? OldEnough(UlidTimeNs(p.newer_upload_id))
                                  : UploadOldEnough(p.key);
      if (old_enough) {
        action = Action::kDeleteUpload;
      } else {
        detail += " (younger than the minimum age: it may still be streaming)";
      }
    } else if (p.kind == ScanProblem::Kind::kUnlistedObject && p.key.find("/.tmp-") != std::string::npos) {
      action = Action::kDeleteObject;
    }
    Add(ScanProblemKindName(p.kind), p.key, detail, action, {layout::ParseKey(p.key).sequence, "", ""});
  }

  // Every tombstone, judged against the catalog; what a deletion covers is not compared any further.
  arrow::Status Deletions(const StoreSnapshot& snapshot) {
    using Entity = DeletionSnapshot::Entity;
    for (int round = 0; round < 2; ++round) {  // sequences first: a sequence deletion covers what lies below
      for (const auto& d : snapshot.deletions) {
        if ((d.entity == Entity::kSequence) != (round == 0) || (round == 1 && skip_sequences_.count(d.sequence))) {
          continue;
        }
        TombstoneState state;
        Target target{d.sequence, d.session_key, d.topic};
        std::string subject = d.sequence;
        if (d.entity == Entity::kSequence) {
          ARROW_ASSIGN_OR_RAISE(state, lifecycle::JudgeSequenceTombstone(catalog_, d.sequence, d.tombstone));
        } else if (d.entity == Entity::kSession) {
          subject += ":" + d.session_key;
          ARROW_ASSIGN_OR_RAISE(state,
                                lifecycle::JudgeSessionTombstone(catalog_, d.sequence, d.session_key, d.tombstone));
        } else {
          subject += "/" + d.topic;
          ARROW_ASSIGN_OR_RAISE(state, lifecycle::JudgeTopicTombstone(catalog_, d.sequence, d.topic, d.tombstone));
        }
        if (state == TombstoneState::kStale) {
          Add("stale_tombstone", subject, d.tombstone_key + " names an earlier " + d.tombstone.entity +
                                              " of this name, deleted already", Action::kDropStaleTombstone, target);
          continue;
        }
        Add("pending_deletion", subject,
            "a deletion of this " + d.tombstone.entity + " did not finish (" + lifecycle::TombstoneStateName(state) +
                ")", Action::kFinishDeletion, target);
        if (d.entity == Entity::kSequence) skip_sequences_.insert(d.sequence);
        if (d.entity == Entity::kSession) skip_sessions_.insert(d.sequence + ":" + d.session_key);
        if (d.entity == Entity::kTopic) skip_topics_.insert(d.sequence + "/" + d.topic);
      }
    }
    return arrow::Status::OK();
  }

  // A catalog entity the store has no manifest for. Repairable when the manifest object is really absent (a
  // create cut short), not merely unreadable.
  arrow::Status MissingManifest(const std::string& key, int64_t created_at_ns, Target target,
                                const std::string& subject, const std::string& what) {
    ARROW_ASSIGN_OR_RAISE(bool exists, store_.Exists(key));
    const bool repair = !exists && OldEnough(created_at_ns);
    Add("missing_in_store", subject,
        what + "; the store has " + (exists ? "an unreadable" : "no") + " manifest for it" +
            (!exists && !repair ? " (younger than the minimum age: its create may still be running)" : ""),
        repair ? Action::kWriteManifest : Action::kNone, std::move(target));
    return arrow::Status::OK();
  }

  arrow::Status CompareSequence(const catalog::SequenceRecord& seq, const SequenceSnapshot& stored) {
    const std::string& name = seq.name;
    if (seq.created_at_ns != stored.record.created_at_ns) {
      Mismatch(name, "created_at_ns", std::to_string(seq.created_at_ns), std::to_string(stored.record.created_at_ns));
    }
    if (!SameJson(seq.user_metadata_json, stored.record.user_metadata_json)) {
      Mismatch(name, "user_metadata", seq.user_metadata_json, stored.record.user_metadata_json);
    }
    ARROW_ASSIGN_OR_RAISE(auto sessions, catalog_.ListSessions(name));
    std::map<std::string, const SessionSnapshot*> stored_sessions;
    for (const auto& s : stored.sessions) stored_sessions[s.record.key] = &s;
    std::set<std::string> lock_fixed;  // sessions whose lock finding also covers their topics' lock
    for (const auto& s : sessions) {
      const std::string subject = name + ":" + s.key;
      auto it = stored_sessions.find(s.key);
      if (skip_sessions_.count(subject)) {
        if (it != stored_sessions.end()) stored_sessions.erase(it);
        continue;
      }
      if (it == stored_sessions.end()) {
        ARROW_RETURN_NOT_OK(MissingManifest(layout::SessionManifest(name, s.key), s.created_at_ns, {name, s.key, ""},
                                            subject, "session listed by the catalog"));
        lock_fixed.insert(s.key);
        continue;
      }
      const auto& r = it->second->record;
      if (s.uuid != r.uuid) Mismatch(subject, "uuid", s.uuid, r.uuid);
      if (s.created_at_ns != r.created_at_ns) {
        Mismatch(subject, "created_at_ns", std::to_string(s.created_at_ns), std::to_string(r.created_at_ns));
      }
      if (!s.locked && r.locked) {
        Add("unlocked_in_catalog", subject, "the store holds its finalize marker; the catalog never locked it",
            Action::kLockSession, {name, s.key, ""});
        lock_fixed.insert(s.key);
      } else if (s.locked && !r.locked) {
        Add("missing_in_store", subject, "locked in the catalog; the store has no finalize marker",
            Action::kWriteFinalizedMarker, {name, s.key, ""});
        lock_fixed.insert(s.key);
      } else if (s.completed_at_ns != r.completed_at_ns) {
        Mismatch(subject, "completed_at_ns", Opt(s.completed_at_ns), Opt(r.completed_at_ns));
      }
      stored_sessions.erase(it);
    }
    for (const auto& [key, s] : stored_sessions) {
      Add("missing_in_catalog", name + ":" + key, "session in the store is missing from the catalog");
    }
    // The whole sequence's notifications in one catalog query, whatever its topic count (one per topic was the
    // bulk of a recover_sequence job's round trips on PostgreSQL).
    NotesByResource notes;
    if (options_.compare_notifications) {
      ARROW_ASSIGN_OR_RAISE(auto all, catalog_.ListSequenceNotifications(name));
      for (auto& n : all) notes[n.topic_name].push_back(std::move(n));
    }
    ARROW_RETURN_NOT_OK(CompareTopics(name, stored, lock_fixed, notes));
    if (options_.compare_notifications) {
      CompareNotifications(name, {name, "", ""}, notes[std::nullopt], stored.notifications);
    }
    return arrow::Status::OK();
  }

  // A sequence's catalog notifications by resource: nullopt the sequence's own, else the topic's name.
  using NotesByResource = std::map<std::optional<std::string>, std::vector<catalog::NotificationRecord>>;

  arrow::Status CompareTopics(const std::string& seq, const SequenceSnapshot& stored,
                              const std::set<std::string>& lock_fixed, NotesByResource& notes) {
    ARROW_ASSIGN_OR_RAISE(auto topics, catalog_.ListTopics(seq));
    std::map<std::string, const TopicSnapshot*> stored_topics;
    for (const auto& t : stored.topics) stored_topics[t.record.name] = &t;
    for (const auto& t : topics) {
      const std::string subject = seq + "/" + t.name;
      const Target target{seq, t.session_key, t.name};
      auto it = stored_topics.find(t.name);
      if (skip_topics_.count(subject) || skip_sessions_.count(seq + ":" + t.session_key)) {
        if (it != stored_topics.end()) stored_topics.erase(it);
        continue;
      }
      if (it == stored_topics.end()) {
        ARROW_RETURN_NOT_OK(MissingManifest(layout::TopicManifest(seq, t.name), t.created_at_ns, target, subject,
                                            "topic listed by the catalog"));
        continue;
      }
      const TopicSnapshot& st = *it->second;
      const auto& r = st.record;
      if (t.uuid != r.uuid) Mismatch(subject, "uuid", t.uuid, r.uuid);
      if (t.session_key != r.session_key) Mismatch(subject, "session", t.session_key, r.session_key);
      if (t.ontology_tag != r.ontology_tag) Mismatch(subject, "ontology_tag", t.ontology_tag, r.ontology_tag);
      if (t.serialization_format != r.serialization_format) {
        Mismatch(subject, "serialization_format", t.serialization_format, r.serialization_format);
      }
      if (!SameJson(t.user_metadata_json, r.user_metadata_json)) {
        Mismatch(subject, "user_metadata", t.user_metadata_json, r.user_metadata_json);
      }
      if (t.created_at_ns != r.created_at_ns) {
        Mismatch(subject, "created_at_ns", std::to_string(t.created_at_ns), std::to_string(r.created_at_ns));
      }
      if (t.locked != r.locked && !lock_fixed.count(t.session_key)) Mismatch(subject, "locked", Bool(t.locked), Bool(r.locked));
      ARROW_RETURN_NOT_OK(CompareTopicData(subject, target, t, st));
      if (options_.compare_notifications) CompareNotifications(subject, target, notes[t.name], st.notifications);
      stored_topics.erase(it);
    }
    for (const auto& [name, t] : stored_topics) {
      Add("missing_in_catalog", seq + "/" + name, "topic in the store is missing from the catalog");
    }
    return arrow::Status::OK();
  }

  // Schema snapshot and committed upload of one topic.
  arrow::Status CompareTopicData(const std::string& subject, const Target& target, const catalog::TopicRecord& t,
                                 const TopicSnapshot& st) {
    const auto& r = st.record;
    const bool commit = !t.upload_id && r.upload_id;  // a store-committed upload the catalog lacks
    if (commit) {
      Add("uncommitted_upload", subject,
          "upload " + *r.upload_id + " is committed in the store (upload.json) but not in the catalog" +
              (t.locked ? "; the catalog topic is locked, so it cannot be added" : ""),
          t.locked ? Action::kNone : Action::kCommitUpload, target);
    } else if (t.upload_id != r.upload_id) {
      ARROW_ASSIGN_OR_RAISE(bool adopt, CompactionToAdopt(t, st));
      if (adopt) {
        Add("unadopted_upload", subject,
            "upload " + *r.upload_id + " (the same rows as the catalog's upload " + *t.upload_id +
                ", rewritten) is committed in the store; the catalog still serves the older one",
            Action::kAdoptUpload, target);
      } else {
        Mismatch(subject, "upload", Opt(t.upload_id), Opt(r.upload_id));
      }
    }
    if (!t.schema_ipc && r.schema_ipc) {
      if (!commit && !r.upload_id) {
        Add("orphan_schema", subject, "a schema snapshot without data that the catalog never recorded (an upload cut "
            "short before it did)", Action::kDropOrphanSchema, target);
      } else if (!commit || t.locked) {
        Mismatch(subject, "schema", "none", "set");
      }  // else: the commit records the schema too
    } else if (t.schema_ipc && !r.schema_ipc) {
      ARROW_ASSIGN_OR_RAISE(bool exists, store_.Exists(layout::TopicSchema(t.sequence_name, t.name)));
      Add("missing_in_store", subject, std::string("the catalog holds a schema snapshot; the store has ") +
                                           (exists ? "an unreadable one" : "none"),
          exists ? Action::kNone : Action::kWriteSchema, target);
    } else if (t.schema_ipc != r.schema_ipc) {
      Mismatch(subject, "schema", "set", "set (different)");
    }
    if (options_.compare_chunks && t.upload_id && t.upload_id == r.upload_id && st.committed_upload()) {
      ARROW_ASSIGN_OR_RAISE(auto chunks, catalog_.ListChunks(t.id, /*with_stats=*/true));
      CompareChunks(subject, chunks, st.committed_upload()->manifest->chunks);
    }
    return arrow::Status::OK();
  }

  // A compaction cut between its store commit and its catalog swap: the topic is locked (no DoPut can have made
  // the newer upload) and the store's newest upload holds the catalog's rows.
  arrow::Result<bool> CompactionToAdopt(const catalog::TopicRecord& t, const TopicSnapshot& st) {
    const auto* upload = st.committed_upload();
    if (!t.locked || !t.upload_id || !upload || !upload->manifest || upload->upload_id <= *t.upload_id) return false;
    ARROW_ASSIGN_OR_RAISE(auto summary, catalog_.SummarizeTopic(t.id));
    return internal::SameRowsAndRange(summary, *upload->manifest);
  }

  void CompareChunks(const std::string& subject, std::vector<catalog::ChunkRecord> in_catalog,
                     std::vector<catalog::ChunkRecord> in_store) {
    auto by_index = [](const catalog::ChunkRecord& a, const catalog::ChunkRecord& b) { return a.index < b.index; };
    std::sort(in_catalog.begin(), in_catalog.end(), by_index);
    std::sort(in_store.begin(), in_store.end(), by_index);
    if (in_catalog.size() != in_store.size()) {
      Mismatch(subject, "chunk count", std::to_string(in_catalog.size()), std::to_string(in_store.size()));
      return;
    }
    for (size_t i = 0; i < in_catalog.size(); ++i) {
      auto a = in_catalog[i];
      auto b = in_store[i];
      a.id = b.id = 0;
      a.topic_id = b.topic_id = 0;
      auto by_column = [](const catalog::ColumnStats& x, const catalog::ColumnStats& y) { return x.column < y.column; };
      std::sort(a.stats.begin(), a.stats.end(), by_column);
      std::sort(b.stats.begin(), b.stats.end(), by_column);
      if (a.object_key != b.object_key || a.row_count != b.row_count || a.size_bytes != b.size_bytes ||
          a.ts_min != b.ts_min || a.ts_max != b.ts_max || a.checksum != b.checksum || !(a.stats == b.stats)) {
        Add("field_mismatch", subject, "chunk " + std::to_string(a.index) + " (" + b.object_key +
                                           ") differs between catalog and upload.json");
      }
    }
  }

  void CompareNotifications(const std::string& subject, const Target& target,
                            const std::vector<catalog::NotificationRecord>& in_catalog,
                            const std::vector<lifecycle::ParsedNotification>& in_store) {
    const auto diff = internal::DiffNotifications(in_catalog, in_store);
    if (diff.empty()) return;
    bool settled = true;  // a store notification younger than the minimum age may still be on its way
    for (const auto& n : diff.store_only) settled = settled && OldEnough(n.created_at_ns);
    Add("notifications_mismatch", subject,
        std::to_string(diff.store_only.size()) + " notification(s) only in the store, " +
            std::to_string(diff.catalog_only.size()) + " only in the catalog" +
            (settled ? "" : " (some younger than the minimum age)"),
        settled ? Action::kSyncNotifications : Action::kNone, target);
  }

  catalog::Catalog& catalog_;
  store::ObjectStore& store_;
  const CheckOptions& options_;
  const int64_t now_;
  CheckReport* report_ = nullptr;
  std::set<std::string> skip_sequences_, skip_sessions_, skip_topics_;  // covered by a pending deletion
};

}  // namespace

namespace internal {

bool SameRowsAndRange(const catalog::TopicDataSummary& in_catalog, const ingest::UploadManifest& manifest) {
  int64_t rows = 0;
  std::optional<int64_t> lo, hi;
  for (const auto& c : manifest.chunks) {
    rows += c.row_count;
    if (c.row_count == 0) continue;
    lo = lo ? std::min(*lo, c.ts_min) : c.ts_min;
    hi = hi ? std::max(*hi, c.ts_max) : c.ts_max;
  }
  return rows == in_catalog.total_rows && manifest.row_count == rows && lo == in_catalog.ts_min &&
         hi == in_catalog.ts_max;
}

NotificationDiff DiffNotifications(const std::vector<catalog::NotificationRecord>& in_catalog,
                                   const std::vector<lifecycle::ParsedNotification>& in_store) {
  auto key = [](const catalog::NotificationRecord& n) {
    return std::to_string(n.created_at_ns) + "\x1f" + n.notification_type + "\x1f" + n.msg;
  };
  std::multimap<std::string, const catalog::NotificationRecord*> catalog_left;
  for (const auto& n : in_catalog) catalog_left.emplace(key(n), &n);
  NotificationDiff diff;
  for (const auto& n : in_store) {
    auto it = catalog_left.find(key(n.record));
    if (it == catalog_left.end()) {
      diff.store_only.push_back(n.record);
    } else {
      catalog_left.erase(it);
    }
  }
  for (const auto& [k, n] : catalog_left) diff.catalog_only.push_back(*n);
  return diff;
}

arrow::Status CheckWithSnapshot(catalog::Catalog& catalog, store::ObjectStore& store, const CheckOptions& options,
                                StoreSnapshot* snapshot, CheckReport* report) {
  ScanOptions scan;
  scan.verify_checksums = options.verify_checksums;
  scan.progress = options.progress;
  scan.only_sequences = options.only_sequences;
  ARROW_ASSIGN_OR_RAISE(*snapshot, ScanStore(store, scan));
  return Checker(catalog, store, options).Run(*snapshot, report);
}

}  // namespace internal

const char* RepairActionName(RepairAction action) {
  switch (action) {
    case Action::kNone: return "none";
    case Action::kFinishDeletion: return "finish_deletion";
    case Action::kDropStaleTombstone: return "drop_stale_tombstone";
    case Action::kRestoreSequence: return "restore_sequence";
    case Action::kWriteManifest: return "write_manifest";
    case Action::kWriteSchema: return "write_schema";
    case Action::kWriteFinalizedMarker: return "write_finalized_marker";
    case Action::kDropOrphanSchema: return "drop_orphan_schema";
    case Action::kCommitUpload: return "commit_upload";
    case Action::kAdoptUpload: return "adopt_upload";
    case Action::kLockSession: return "lock_session";
    case Action::kSyncNotifications: return "sync_notifications";
    case Action::kDeleteUpload: return "delete_upload";
    case Action::kDeleteObject: return "delete_object";
  }
  return "unknown";
}

arrow::Result<CheckReport> Check(catalog::Catalog& catalog, store::ObjectStore& store, const CheckOptions& options) {
  StoreSnapshot snapshot;
  CheckReport report;
  ARROW_RETURN_NOT_OK(internal::CheckWithSnapshot(catalog, store, options, &snapshot, &report));
  return report;
}

}  // namespace mosaico::recovery
