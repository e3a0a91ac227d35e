#include "mosaico/lifecycle/lifecycle.h"

#include <spdlog/spdlog.h>

#include "mosaico/core/clock.h"
#include "mosaico/core/crash_point.h"
#include "mosaico/core/errors.h"
#include "mosaico/core/ids.h"
#include "mosaico/lifecycle/compaction_request.h"
#include "mosaico/lifecycle/deletion.h"
#include "mosaico/lifecycle/manifests.h"
#include "mosaico/lifecycle/recovery_marks.h"
#include "mosaico/store/layout.h"

namespace mosaico::lifecycle {
namespace layout = store::layout;
using catalog::NotificationRecord;
using catalog::SequenceRecord;
using catalog::SessionRecord;
using catalog::TopicRecord;

namespace {

arrow::Status CheckSerializationFormat(const std::string& format) {
  if (format == "default" || format == "ragged" || format == "image") return arrow::Status::OK();
  return InvalidArgument("field 'serialization_format' must be one of \"default\", \"ragged\", \"image\" (got \"" +
                         format + "\")");
}

std::string SessionName(const SessionRecord& s) { return s.sequence_name + ":" + s.key; }

arrow::Status LockedError(const SessionRecord& s, const std::string& what) {
  return FailedPrecondition("session '" + SessionName(s) + "' is finalized (locked): " + what);
}

}  // namespace

Lifecycle::Lifecycle(std::shared_ptr<catalog::Catalog> catalog, std::shared_ptr<store::ObjectStore> store)
    : catalog_(std::move(catalog)), store_(std::move(store)) {
  reserve_ = store::SpaceReserve::ForStore(*store_);
  if (reserve_) {
    auto st = reserve_->Ensure();
    if (!st.ok()) {
      spdlog::warn("event=space_reserve_missing path={} status=\"{}\" note=\"on a full disk, deletes may fail\"",
                   reserve_->path(), st.ToString());
    }
  }
}

arrow::Status Lifecycle::FreeingSpace(const std::string& what, const std::function<arrow::Status()>& op) {
  auto st = op();
  if (st.ok() || !IsNoSpace(st) || !reserve_ || !reserve_->Release()) return st;
  spdlog::warn("event=space_reserve_released operation=\"{}\" reason=\"{}\"", what, st.message());
  st = op();
  auto again = reserve_->Ensure();
  if (again.ok()) {
    spdlog::info("event=space_reserve_restored path={}", reserve_->path());
  } else {
    spdlog::warn("event=space_reserve_missing path={} status=\"{}\"", reserve_->path(), again.ToString());
  }
  return st;
}

arrow::Result<SequenceRecord> Lifecycle::CreateSequence(const std::string& name,
                                                        const std::string& user_metadata_json) {
  ARROW_ASSIGN_OR_RAISE(auto seq, catalog_->CreateSequence(name, user_metadata_json, NowNs()));
  CrashPoint("create_sequence.after_catalog");
  auto st = store_->PutAtomic(layout::SequenceManifest(name), SequenceManifestJson(seq));
  if (!st.ok()) {
    (void)catalog_->DeleteSequence(name);
    return WithContext(st, "writing manifest of sequence '" + name + "'");
  }
  spdlog::info("event=sequence_created sequence={}", name);
  return seq;
}

arrow::Result<SessionRecord> Lifecycle::CreateSession(const std::string& sequence) {
  const int64_t now = NowNs();
  ARROW_ASSIGN_OR_RAISE(auto session, catalog_->CreateSession(sequence, NewUlid(now), NewUuid(), now));
  CrashPoint("create_session.after_catalog");
  auto st = store_->PutAtomic(layout::SessionManifest(sequence, session.key), SessionManifestJson(session));
  if (!st.ok()) {
    (void)catalog_->DeleteSession(session.id);
    return WithContext(st, "writing manifest of session '" + SessionName(session) + "'");
  }
  spdlog::info("event=session_created session={}", SessionName(session));
  return session;
}

arrow::Result<TopicRecord> Lifecycle::CreateTopic(const CreateTopicRequest& request) {
  ARROW_RETURN_NOT_OK(CheckSerializationFormat(request.serialization_format));
  if (request.ontology_tag.empty()) return InvalidArgument("field 'ontology_tag' must not be empty");
  auto session = catalog_->GetSessionByUuid(request.session_uuid);
  if (!session.ok()) {
    if (session.status().IsKeyError()) return NotFound("no session with uuid '" + request.session_uuid + "'");
    return session.status();
  }
  if (session->sequence_name != request.locator.sequence) {
    return InvalidArgument("topic '" + request.locator.ToString() + "' does not belong to the sequence of session '" +
                           SessionName(*session) + "'");
  }
  if (session->locked) return LockedError(*session, "cannot create topic '" + request.locator.ToString() + "'");

  TopicRecord topic;
  topic.sequence_id = session->sequence_id;
  topic.session_id = session->id;
  topic.sequence_name = session->sequence_name;
  topic.session_key = session->key;
  topic.name = request.locator.topic;
  topic.uuid = NewUuid();
  topic.ontology_tag = request.ontology_tag;
  topic.serialization_format = request.serialization_format;
  topic.user_metadata_json = request.user_metadata_json;
  topic.created_at_ns = NowNs();
  ARROW_ASSIGN_OR_RAISE(auto created, catalog_->CreateTopic(topic));
  created.session_key = session->key;
  created.sequence_name = session->sequence_name;
  CrashPoint("create_topic.after_catalog");
  auto st = store_->PutAtomic(layout::TopicManifest(topic.sequence_name, topic.name), TopicManifestJson(created));
  if (!st.ok()) {
    (void)catalog_->DeleteTopic(created.id);
    return WithContext(st, "writing manifest of topic '" + request.locator.ToString() + "'");
  }
  spdlog::info("event=topic_created topic={} ontology_tag={} session={}", request.locator.ToString(),
               request.ontology_tag, SessionName(*session));
  return created;
}

arrow::Status Lifecycle::FinalizeSession(const std::string& session_uuid) {
  auto session = catalog_->GetSessionByUuid(session_uuid);
  if (!session.ok()) {
    if (session.status().IsKeyError()) return NotFound("no session with uuid '" + session_uuid + "'");
    return session.status();
  }
  if (session->locked) return LockedError(*session, "already finalized");
  if (uploads_.SessionHasOpenUploads(session->id)) {
    return FailedPrecondition("session '" + SessionName(*session) +
                              "' still has upload streams open; close them before finalizing");
  }
  const int64_t now = NowNs();
  // The recovery mark first (lifecycle/recovery_marks.h): whatever a crash leaves from here on is found again.
  ARROW_RETURN_NOT_OK(WithContext(MarkSequencePending(*catalog_, session->sequence_name, now),
                                  "recording the finalize of session '" + SessionName(*session) + "'"));
  ARROW_RETURN_NOT_OK(WithContext(
      store_->PutAtomic(layout::SessionFinalizedMarker(session->sequence_name, session->key), SessionFinalizedJson(now)),
      "writing finalize marker of session '" + SessionName(*session) + "'"));
  CrashPoint("finalize.after_marker");
  auto locked = catalog_->LockSession(session->id, now);
  if (!locked.ok()) {
    // A recovery running beside this daemon may have completed this very finalize from the marker just written.
    auto again = catalog_->GetSession(session->sequence_name, session->key);
    if (!again.ok() || !again->locked || again->completed_at_ns != now) return locked;
  }
  spdlog::info("event=session_finalized session={}", SessionName(*session));
  EnqueueCompactions(*catalog_, session->sequence_name, session->key);
  return arrow::Status::OK();
}

arrow::Status Lifecycle::DeleteSequence(const std::string& name) {
  return FreeingSpace("delete sequence '" + name + "'", [&] { return DeleteSequenceOnce(name); });
}

arrow::Status Lifecycle::DeleteSequenceOnce(const std::string& name) {
  ARROW_ASSIGN_OR_RAISE(auto seq, catalog_->GetSequence(name));
  ARROW_ASSIGN_OR_RAISE(auto sessions, catalog_->ListSessions(name));
  for (const auto& s : sessions) {
    uploads_.AbandonIdle(s.id);  // striped uploads waiting for stripes, none streaming (upload_registry.h)
    if (uploads_.SessionHasOpenUploads(s.id)) {
      return FailedPrecondition("sequence '" + name + "' has upload streams open (session '" + SessionName(s) + "')");
    }
  }
  ARROW_RETURN_NOT_OK(WithContext(MarkSequencePending(*catalog_, name, NowNs()), "deleting sequence '" + name + "'"));
  ARROW_RETURN_NOT_OK(
      WithContext(DeleteSequenceEverywhere(*catalog_, *store_, seq), "deleting sequence '" + name + "'"));
  spdlog::info("event=sequence_deleted sequence={}", name);
  return arrow::Status::OK();
}

arrow::Status Lifecycle::DeleteSession(const SessionLocator& locator) {
  return FreeingSpace("delete session '" + locator.ToString() + "'", [&] { return DeleteSessionOnce(locator); });
}

arrow::Status Lifecycle::DeleteSessionOnce(const SessionLocator& locator) {
  auto session = catalog_->GetSession(locator.sequence, locator.id);
  if (!session.ok()) {
    if (session.status().IsKeyError()) return NotFound("session '" + locator.ToString() + "' not found");
    return session.status();
  }
  // A finalized session may be deleted too (mosaicolabs 0.7.0: "permanently deletes a session and all its associated
  // data"; the SDK's sequence-update workflow adds a session and removes it again): its topics, chunks and stats go,
  // the sequence and its other sessions stay. Only a session still uploading is refused (a striped upload waiting
  // for stripes with none streaming is abandoned: the SDK's abort deletes the session).
  uploads_.AbandonIdle(session->id);
  if (uploads_.SessionHasOpenUploads(session->id)) {
    return FailedPrecondition("session '" + locator.ToString() + "' still has upload streams open");
  }
  ARROW_ASSIGN_OR_RAISE(auto topics, catalog_->ListTopics(locator.sequence));
  std::vector<std::string> names;
  for (const auto& t : topics) {
    if (t.session_id == session->id) names.push_back(t.name);
  }
  ARROW_RETURN_NOT_OK(WithContext(MarkSequencePending(*catalog_, locator.sequence, NowNs()),
                                  "deleting session '" + locator.ToString() + "'"));
  ARROW_RETURN_NOT_OK(WithContext(DeleteSessionEverywhere(*catalog_, *store_, *session, names),
                                  "deleting session '" + locator.ToString() + "'"));
  spdlog::info("event=session_deleted session={}", locator.ToString());
  return arrow::Status::OK();
}

arrow::Status Lifecycle::DeleteTopic(const TopicLocator& locator) {
  return FreeingSpace("delete topic '" + locator.ToString() + "'", [&] { return DeleteTopicOnce(locator); });
}

arrow::Status Lifecycle::DeleteTopicOnce(const TopicLocator& locator) {
  ARROW_ASSIGN_OR_RAISE(auto topic, catalog_->GetTopic(locator.sequence, locator.topic));
  if (topic.locked) {
    return FailedPrecondition("topic '" + locator.ToString() + "' is finalized (locked) and cannot be deleted");
  }
  std::unique_ptr<UploadRegistry::Guard> guard;
  uploads_.AbandonIdle(topic.session_id, topic.id);
  ARROW_RETURN_NOT_OK(uploads_.Acquire(topic.id, topic.session_id, locator.ToString(), &guard));
  ARROW_RETURN_NOT_OK(WithContext(MarkSequencePending(*catalog_, locator.sequence, NowNs()),
                                  "deleting topic '" + locator.ToString() + "'"));
  ARROW_RETURN_NOT_OK(
      WithContext(DeleteTopicEverywhere(*catalog_, *store_, topic), "deleting topic '" + locator.ToString() + "'"));
  spdlog::info("event=topic_deleted topic={}", locator.ToString());
  return arrow::Status::OK();
}

arrow::Result<AdmittedUpload> Lifecycle::AdmitUpload(const TopicLocator& locator, const std::string& topic_uuid) {
  ARROW_ASSIGN_OR_RAISE(auto topic, catalog_->GetTopic(locator.sequence, locator.topic));
  if (topic.uuid != topic_uuid) {
    return PermissionDenied("'topic_uuid' does not match the write token of topic '" + locator.ToString() + "'");
  }
  if (topic.locked) {
    return FailedPrecondition("topic '" + locator.ToString() + "' is finalized (locked): uploads are closed");
  }
  if (topic.upload_id) {
    return FailedPrecondition("topic '" + locator.ToString() + "' already holds an upload (one upload per topic)");
  }
  AdmittedUpload admitted;
  ARROW_RETURN_NOT_OK(uploads_.Acquire(topic.id, topic.session_id, locator.ToString(), &admitted.guard));
  admitted.topic = std::move(topic);
  return admitted;
}

arrow::Result<NotificationRecord> Lifecycle::Notify(const std::string& sequence,
                                                    const std::optional<std::string>& topic,
                                                    const std::string& type, const std::string& msg) {
  // The SDK 0.7.0 parses notification types with its NotificationType enum, which knows only "error": storing
  // anything else would make every later list of this resource fail on the client.
  if (type != "error") {
    return InvalidArgument("field 'notification_type' must be \"error\" (got \"" + type.substr(0, 64) + "\")");
  }
  ARROW_RETURN_NOT_OK(catalog_->GetSequence(sequence).status());
  if (topic) ARROW_RETURN_NOT_OK(catalog_->GetTopic(sequence, *topic).status());
  NotificationRecord n;
  n.sequence_name = sequence;
  n.topic_name = topic;
  n.notification_type = type;
  n.msg = msg;
  n.created_at_ns = NowNs();
  const std::string id = NewUlid(n.created_at_ns);
  ARROW_RETURN_NOT_OK(MarkNotificationsPending(*catalog_, sequence, topic, n.created_at_ns));
  ARROW_RETURN_NOT_OK(store_->PutAtomic(layout::NotificationObject(sequence, topic.value_or(""), n.created_at_ns, id),
                                        NotificationJson(n, id)));
  CrashPoint("notify.after_store");
  ARROW_ASSIGN_OR_RAISE(auto stored, catalog_->AddNotification(n));
  spdlog::info("event=notification_created sequence={} topic={} type={}", sequence, topic.value_or("-"), type);
  return stored;
}

arrow::Result<std::vector<NotificationRecord>> Lifecycle::ListNotifications(const std::string& sequence,
                                                                            const std::optional<std::string>& topic) {
  ARROW_RETURN_NOT_OK(catalog_->GetSequence(sequence).status());
  if (topic) ARROW_RETURN_NOT_OK(catalog_->GetTopic(sequence, *topic).status());
  return catalog_->ListNotifications(sequence, topic);
}

arrow::Status Lifecycle::PurgeNotifications(const std::string& sequence, const std::optional<std::string>& topic) {
  ARROW_RETURN_NOT_OK(catalog_->GetSequence(sequence).status());
  if (topic) ARROW_RETURN_NOT_OK(catalog_->GetTopic(sequence, *topic).status());
  ARROW_RETURN_NOT_OK(MarkNotificationsPending(*catalog_, sequence, topic, NowNs()));
  ARROW_RETURN_NOT_OK(store_->DeletePrefix(layout::NotificationsDir(sequence, topic.value_or(""))));
  return catalog_->PurgeNotifications(sequence, topic);
}

}  // namespace mosaico::lifecycle
