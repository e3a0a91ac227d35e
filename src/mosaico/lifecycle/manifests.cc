#include "mosaico/lifecycle/manifests.h"

#include "mosaico/core/errors.h"
#include "mosaico/core/json.h"

namespace mosaico::lifecycle {
namespace {
OrderedJson ParseMetadata(const std::string& text) {
  auto j = OrderedJson::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? OrderedJson::object() : j;
}
// Parses a version-1 manifest object; `what` names it in errors.
arrow::Result<Json> ParseManifest(const std::string& text, const std::string& what) {
  ARROW_ASSIGN_OR_RAISE(auto j, ParseJsonObject(text, what));
  ARROW_ASSIGN_OR_RAISE(auto version, RequireInt64(j, "version"));
  if (version != 1) {
    return InvalidArgument(what + ": unsupported version " + std::to_string(version) + " (this mosaicod reads 1)");
  }
  return j;
}

template <typename T>
arrow::Result<T> InManifest(arrow::Result<T> r, const std::string& what) {
  if (!r.ok()) return WithContext(r.status(), what);
  return r;
}

arrow::Result<std::string> MetadataText(const Json& j, const std::string& what) {
  auto it = j.find("user_metadata");
  if (it == j.end() || it->is_null()) return std::string("{}");
  if (!it->is_object()) return InvalidArgument(what + ": field 'user_metadata' must be an object");
  return it->dump();
}

}  // namespace

std::string SequenceManifestJson(const catalog::SequenceRecord& seq) {
  OrderedJson j;
  j["version"] = 1;
  j["name"] = seq.name;
  j["created_at_ns"] = seq.created_at_ns;
  j["user_metadata"] = ParseMetadata(seq.user_metadata_json);
  return j.dump();
}

std::string SessionManifestJson(const catalog::SessionRecord& session) {
  OrderedJson j;
  j["version"] = 1;
  j["sequence"] = session.sequence_name;
  j["key"] = session.key;
  j["uuid"] = session.uuid;
  j["created_at_ns"] = session.created_at_ns;
  return j.dump();
}

std::string SessionFinalizedJson(int64_t completed_at_ns) {
  OrderedJson j;
  j["version"] = 1;
  j["completed_at_ns"] = completed_at_ns;
  return j.dump();
}

std::string TopicManifestJson(const catalog::TopicRecord& topic) {
  OrderedJson j;
  j["version"] = 1;
  j["sequence"] = topic.sequence_name;
  j["name"] = topic.name;
  j["session_key"] = topic.session_key;
  j["uuid"] = topic.uuid;
  j["ontology_tag"] = topic.ontology_tag;
  j["serialization_format"] = topic.serialization_format;
  j["user_metadata"] = ParseMetadata(topic.user_metadata_json);
  j["created_at_ns"] = topic.created_at_ns;
  return j.dump();
}

std::string NotificationJson(const catalog::NotificationRecord& n, const std::string& id) {
  OrderedJson j;
  j["version"] = 1;
  j["id"] = id;
  j["sequence"] = n.sequence_name;
  j["topic"] = n.topic_name ? OrderedJson(*n.topic_name) : OrderedJson(nullptr);
  j["notification_type"] = n.notification_type;
  j["msg"] = n.msg;
  j["created_at_ns"] = n.created_at_ns;
  return j.dump();
}

std::string TombstoneJson(const Tombstone& t) {
  OrderedJson j;
  j["version"] = 1;
  j["entity"] = t.entity;
  j["created_at_ns"] = t.created_at_ns;
  j["uuid"] = t.uuid;
  j["requested_at_ns"] = t.requested_at_ns;
  return j.dump();
}

}  // namespace mosaico::lifecycle

namespace mosaico::lifecycle {

arrow::Result<catalog::SequenceRecord> ParseSequenceManifest(const std::string& text) {
  const std::string what = "sequence manifest";
  ARROW_ASSIGN_OR_RAISE(auto j, ParseManifest(text, what));
  catalog::SequenceRecord seq;
  ARROW_ASSIGN_OR_RAISE(seq.name, InManifest(RequireString(j, "name"), what));
  ARROW_ASSIGN_OR_RAISE(seq.created_at_ns, InManifest(RequireInt64(j, "created_at_ns"), what));
  ARROW_ASSIGN_OR_RAISE(seq.user_metadata_json, MetadataText(j, what));
  return seq;
}

arrow::Result<catalog::SessionRecord> ParseSessionManifest(const std::string& text) {
  const std::string what = "session manifest";
  ARROW_ASSIGN_OR_RAISE(auto j, ParseManifest(text, what));
  catalog::SessionRecord session;
  ARROW_ASSIGN_OR_RAISE(session.sequence_name, InManifest(RequireString(j, "sequence"), what));
  ARROW_ASSIGN_OR_RAISE(session.key, InManifest(RequireString(j, "key"), what));
  ARROW_ASSIGN_OR_RAISE(session.uuid, InManifest(RequireString(j, "uuid"), what));
  ARROW_ASSIGN_OR_RAISE(session.created_at_ns, InManifest(RequireInt64(j, "created_at_ns"), what));
  return session;
}

arrow::Result<int64_t> ParseSessionFinalized(const std::string& text) {
  const std::string what = "session finalized marker";
  ARROW_ASSIGN_OR_RAISE(auto j, ParseManifest(text, what));
  return InManifest(RequireInt64(j, "completed_at_ns"), what);
}

arrow::Result<catalog::TopicRecord> ParseTopicManifest(const std::string& text) {
  const std::string what = "topic manifest";
  ARROW_ASSIGN_OR_RAISE(auto j, ParseManifest(text, what));
  catalog::TopicRecord topic;
  ARROW_ASSIGN_OR_RAISE(topic.sequence_name, InManifest(RequireString(j, "sequence"), what));
  ARROW_ASSIGN_OR_RAISE(topic.name, InManifest(RequireString(j, "name"), what));
  ARROW_ASSIGN_OR_RAISE(topic.session_key, InManifest(RequireString(j, "session_key"), what));
  ARROW_ASSIGN_OR_RAISE(topic.uuid, InManifest(RequireString(j, "uuid"), what));
  ARROW_ASSIGN_OR_RAISE(topic.ontology_tag, InManifest(RequireString(j, "ontology_tag"), what));
  ARROW_ASSIGN_OR_RAISE(topic.serialization_format, InManifest(RequireString(j, "serialization_format"), what));
  ARROW_ASSIGN_OR_RAISE(topic.user_metadata_json, MetadataText(j, what));
  ARROW_ASSIGN_OR_RAISE(topic.created_at_ns, InManifest(RequireInt64(j, "created_at_ns"), what));
  return topic;
}

arrow::Result<ParsedNotification> ParseNotification(const std::string& text) {
  const std::string what = "notification";
  ARROW_ASSIGN_OR_RAISE(auto j, ParseManifest(text, what));
  ParsedNotification parsed;
  ARROW_ASSIGN_OR_RAISE(parsed.id, InManifest(RequireString(j, "id"), what));
  ARROW_ASSIGN_OR_RAISE(parsed.record.sequence_name, InManifest(RequireString(j, "sequence"), what));
  ARROW_ASSIGN_OR_RAISE(parsed.record.topic_name, InManifest(OptionalString(j, "topic"), what));
  ARROW_ASSIGN_OR_RAISE(parsed.record.notification_type, InManifest(RequireString(j, "notification_type"), what));
  ARROW_ASSIGN_OR_RAISE(parsed.record.msg, InManifest(RequireString(j, "msg"), what));
  ARROW_ASSIGN_OR_RAISE(parsed.record.created_at_ns, InManifest(RequireInt64(j, "created_at_ns"), what));
  return parsed;
}

arrow::Result<Tombstone> ParseTombstone(const std::string& text) {
  const std::string what = "tombstone";
  ARROW_ASSIGN_OR_RAISE(auto j, ParseManifest(text, what));
  Tombstone t;
  ARROW_ASSIGN_OR_RAISE(t.entity, InManifest(RequireString(j, "entity"), what));
  if (t.entity != "sequence" && t.entity != "session" && t.entity != "topic") {
    return InvalidArgument(what + ": field 'entity' must be \"sequence\", \"session\" or \"topic\"");
  }
  ARROW_ASSIGN_OR_RAISE(t.created_at_ns, InManifest(RequireInt64(j, "created_at_ns"), what));
  ARROW_ASSIGN_OR_RAISE(t.uuid, InManifest(RequireString(j, "uuid"), what));
  ARROW_ASSIGN_OR_RAISE(t.requested_at_ns, InManifest(RequireInt64(j, "requested_at_ns"), what));
  return t;
}

}  // namespace mosaico::lifecycle
