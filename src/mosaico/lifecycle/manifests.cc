#include "mosaico/lifecycle/manifests.h"

#include "mosaico/core/json.h"

namespace mosaico::lifecycle {
namespace {
OrderedJson ParseMetadata(const std::string& text) {
  auto j = OrderedJson::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? OrderedJson::object() : j;
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

}  // namespace mosaico::lifecycle
