#include "mosaico/lifecycle/deletion.h"

#include <set>

#include <spdlog/spdlog.h>

#include "mosaico/core/clock.h"
#include "mosaico/core/crash_point.h"
#include "mosaico/core/errors.h"
#include "mosaico/store/layout.h"

namespace mosaico::lifecycle {
namespace {

namespace layout = store::layout;

arrow::Status IgnoreNotFound(const arrow::Status& st) { return st.IsKeyError() ? arrow::Status::OK() : st; }

// Step 2 for one entity directory: the sub-trees `bulk` (whole prefixes, fast), then every other object except
// `keep` (its tombstone), the manifest last.
arrow::Status DeleteObjects(store::ObjectStore& store, const std::string& dir, const std::vector<std::string>& bulk,
                            const std::string& keep, const std::string& manifest) {
  for (const auto& sub : bulk) ARROW_RETURN_NOT_OK(store.DeletePrefix(dir + "/" + sub));
  ARROW_ASSIGN_OR_RAISE(auto keys, store.List(dir, /*include_temporaries=*/true));
  for (const auto& key : keys) {
    if (key != keep && key != manifest) ARROW_RETURN_NOT_OK(store.Delete(key));
  }
  return store.Delete(manifest);
}

void Prune(store::ObjectStore& store, const std::string& dir) {
  auto st = store.PruneEmptyDirs(dir);
  if (!st.ok()) spdlog::warn("event=prune_failed dir={} status=\"{}\"", dir, st.ToString());
}

Tombstone Make(const char* entity, int64_t created_at_ns, const std::string& uuid, int64_t now_ns) {
  Tombstone t;
  t.entity = entity;
  t.created_at_ns = created_at_ns;
  t.uuid = uuid;
  t.requested_at_ns = now_ns;
  return t;
}

}  // namespace

const char* TombstoneStateName(TombstoneState state) {
  switch (state) {
    case TombstoneState::kInProgress: return "in_progress";
    case TombstoneState::kCatalogDone: return "catalog_done";
    case TombstoneState::kStale: return "stale";
  }
  return "unknown";
}

Tombstone TombstoneOf(const catalog::SequenceRecord& seq, int64_t now_ns) {
  return Make("sequence", seq.created_at_ns, "", now_ns);
}
Tombstone TombstoneOf(const catalog::SessionRecord& session, int64_t now_ns) {
  return Make("session", session.created_at_ns, session.uuid, now_ns);
}
Tombstone TombstoneOf(const catalog::TopicRecord& topic, int64_t now_ns) {
  return Make("topic", topic.created_at_ns, topic.uuid, now_ns);
}

arrow::Result<TombstoneState> JudgeSequenceTombstone(catalog::Catalog& catalog, const std::string& sequence,
                                                     const Tombstone& tombstone) {
  auto seq = catalog.GetSequence(sequence);
  if (!seq.ok()) {
    if (seq.status().IsKeyError()) return TombstoneState::kCatalogDone;
    return seq.status();
  }
  return tombstone.Names(seq->created_at_ns, "") ? TombstoneState::kInProgress : TombstoneState::kStale;
}

arrow::Result<TombstoneState> JudgeSessionTombstone(catalog::Catalog& catalog, const std::string& sequence,
                                                    const std::string& session_key, const Tombstone& tombstone) {
  auto session = catalog.GetSession(sequence, session_key);
  if (!session.ok()) {
    if (session.status().IsKeyError()) return TombstoneState::kCatalogDone;
    return session.status();
  }
  return tombstone.Names(session->created_at_ns, session->uuid) ? TombstoneState::kInProgress
                                                                : TombstoneState::kStale;
}

arrow::Result<TombstoneState> JudgeTopicTombstone(catalog::Catalog& catalog, const std::string& sequence,
                                                  const std::string& topic, const Tombstone& tombstone) {
  auto row = catalog.GetTopic(sequence, topic);
  if (!row.ok()) {
    if (row.status().IsKeyError()) return TombstoneState::kCatalogDone;
    return row.status();
  }
  return tombstone.Names(row->created_at_ns, row->uuid) ? TombstoneState::kInProgress : TombstoneState::kStale;
}

arrow::Status DeleteSequenceEverywhere(catalog::Catalog& catalog, store::ObjectStore& store,
                                       const catalog::SequenceRecord& seq) {
  ARROW_RETURN_NOT_OK(store.PutAtomic(layout::SequenceTombstone(seq.name), TombstoneJson(TombstoneOf(seq, NowNs()))));
  CrashPoint("delete_sequence.after_tombstone");
  return FinishSequenceDeletion(catalog, store, seq.name, TombstoneState::kInProgress);
}

arrow::Status DeleteSessionEverywhere(catalog::Catalog& catalog, store::ObjectStore& store,
                                      const catalog::SessionRecord& session, const std::vector<std::string>& topics) {
  ARROW_RETURN_NOT_OK(store.PutAtomic(layout::SessionTombstone(session.sequence_name, session.key),
                                      TombstoneJson(TombstoneOf(session, NowNs()))));
  CrashPoint("delete_session.after_tombstone");
  return FinishSessionDeletion(catalog, store, session.sequence_name, session.key, topics,
                               TombstoneState::kInProgress);
}

arrow::Status DeleteTopicEverywhere(catalog::Catalog& catalog, store::ObjectStore& store,
                                    const catalog::TopicRecord& topic) {
  ARROW_RETURN_NOT_OK(store.PutAtomic(layout::TopicTombstone(topic.sequence_name, topic.name),
                                      TombstoneJson(TombstoneOf(topic, NowNs()))));
  CrashPoint("delete_topic.after_tombstone");
  return FinishTopicDeletion(catalog, store, topic.sequence_name, topic.name, TombstoneState::kInProgress);
}

arrow::Status FinishSequenceDeletion(catalog::Catalog& catalog, store::ObjectStore& store, const std::string& sequence,
                                     TombstoneState state) {
  const std::string dir = layout::SequenceDir(sequence);
  const std::string tombstone = layout::SequenceTombstone(sequence);
  if (state != TombstoneState::kStale) {
    ARROW_RETURN_NOT_OK(store.DeletePrefix(dir + "/topics"));
    CrashPoint("delete_sequence.after_data");
    ARROW_RETURN_NOT_OK(DeleteObjects(store, dir, {"sessions", "notifications"}, tombstone,
                                      layout::SequenceManifest(sequence)));
    CrashPoint("delete_sequence.after_objects");
  }
  if (state == TombstoneState::kInProgress) {
    ARROW_RETURN_NOT_OK(IgnoreNotFound(catalog.DeleteSequence(sequence)));
    CrashPoint("delete_sequence.after_catalog");
  }
  ARROW_RETURN_NOT_OK(store.Delete(tombstone));
  if (state != TombstoneState::kStale) Prune(store, dir);  // a stale tombstone's directory is another's
  return arrow::Status::OK();
}

arrow::Status FinishSessionDeletion(catalog::Catalog& catalog, store::ObjectStore& store, const std::string& sequence,
                                    const std::string& session_key, const std::vector<std::string>& topics,
                                    TombstoneState state) {
  const std::string dir = layout::SessionDir(sequence, session_key);
  const std::string tombstone = layout::SessionTombstone(sequence, session_key);
  std::set<std::string> names(topics.begin(), topics.end());
  if (state == TombstoneState::kInProgress) {
    ARROW_ASSIGN_OR_RAISE(auto rows, catalog.ListTopics(sequence));
    for (const auto& t : rows) {
      if (t.session_key == session_key) names.insert(t.name);
    }
  }
  if (state != TombstoneState::kStale) {
    for (const auto& topic : names) {
      ARROW_RETURN_NOT_OK(DeleteObjects(store, layout::TopicDir(sequence, topic), {"uploads", "notifications"}, "",
                                        layout::TopicManifest(sequence, topic)));
    }
    CrashPoint("delete_session.after_data");
    ARROW_RETURN_NOT_OK(DeleteObjects(store, dir, {}, tombstone, layout::SessionManifest(sequence, session_key)));
    CrashPoint("delete_session.after_objects");
  }
  if (state == TombstoneState::kInProgress) {
    auto session = catalog.GetSession(sequence, session_key);
    if (session.ok()) {
      ARROW_RETURN_NOT_OK(IgnoreNotFound(catalog.DeleteSession(session->id)));
    } else if (!session.status().IsKeyError()) {
      return session.status();
    }
    CrashPoint("delete_session.after_catalog");
  }
  ARROW_RETURN_NOT_OK(store.Delete(tombstone));
  if (state != TombstoneState::kStale) {  // a stale tombstone's directories are another's
    for (const auto& topic : names) Prune(store, layout::TopicDir(sequence, topic));
    Prune(store, dir);
  }
  return arrow::Status::OK();
}

arrow::Status FinishTopicDeletion(catalog::Catalog& catalog, store::ObjectStore& store, const std::string& sequence,
                                  const std::string& topic, TombstoneState state) {
  const std::string dir = layout::TopicDir(sequence, topic);
  const std::string tombstone = layout::TopicTombstone(sequence, topic);
  if (state != TombstoneState::kStale) {
    ARROW_RETURN_NOT_OK(store.DeletePrefix(dir + "/uploads"));
    CrashPoint("delete_topic.after_data");
    ARROW_RETURN_NOT_OK(DeleteObjects(store, dir, {"notifications"}, tombstone, layout::TopicManifest(sequence, topic)));
    CrashPoint("delete_topic.after_objects");
  }
  if (state == TombstoneState::kInProgress) {
    auto row = catalog.GetTopic(sequence, topic);
    if (row.ok()) {
      ARROW_RETURN_NOT_OK(IgnoreNotFound(catalog.DeleteTopic(row->id)));
    } else if (!row.status().IsKeyError()) {
      return row.status();
    }
    CrashPoint("delete_topic.after_catalog");
  }
  ARROW_RETURN_NOT_OK(store.Delete(tombstone));
  if (state != TombstoneState::kStale) Prune(store, dir);  // a stale tombstone's directory is another's
  return arrow::Status::OK();
}

}  // namespace mosaico::lifecycle
