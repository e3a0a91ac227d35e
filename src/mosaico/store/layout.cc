#include "mosaico/store/layout.h"

#include <cstdio>

namespace mosaico::store::layout {

std::string EncodeTopic(const std::string& topic_path) {
  std::string out;
  out.reserve(topic_path.size() + 8);
  for (char c : topic_path) {
    if (c == '/') {
      out += "%2F";
    } else {
      out += c;
    }
  }
  return out;
}

std::string DecodeTopic(const std::string& encoded) {
  std::string out;
  out.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded.compare(i, 3, "%2F") == 0) {
      out += '/';
      i += 2;
    } else {
      out += encoded[i];
    }
  }
  return out;
}

std::string SequencesRoot() { return "sequences"; }
std::string SequenceDir(const std::string& seq) { return SequencesRoot() + "/" + seq; }
std::string SequenceManifest(const std::string& seq) { return SequenceDir(seq) + "/sequence.json"; }
std::string SessionDir(const std::string& seq, const std::string& key) {
  return SequenceDir(seq) + "/sessions/" + key;
}
std::string SessionManifest(const std::string& seq, const std::string& key) {
  return SessionDir(seq, key) + "/session.json";
}
std::string SessionFinalizedMarker(const std::string& seq, const std::string& key) {
  return SessionDir(seq, key) + "/finalized.json";
}
std::string TopicDir(const std::string& seq, const std::string& topic) {
  return SequenceDir(seq) + "/topics/" + EncodeTopic(topic);
}
std::string TopicManifest(const std::string& seq, const std::string& topic) {
  return TopicDir(seq, topic) + "/topic.json";
}
std::string TopicSchema(const std::string& seq, const std::string& topic) {
  return TopicDir(seq, topic) + "/schema.arrow";
}
std::string UploadDir(const std::string& seq, const std::string& topic, const std::string& upload_id) {
  return TopicDir(seq, topic) + "/uploads/" + upload_id;
}
std::string UploadManifest(const std::string& seq, const std::string& topic, const std::string& upload_id) {
  return UploadDir(seq, topic, upload_id) + "/upload.json";
}
std::string ChunkObject(const std::string& seq, const std::string& topic, const std::string& upload_id,
                        int32_t index) {
  char name[32];
  std::snprintf(name, sizeof(name), "chunk-%06d.parquet", index);
  return UploadDir(seq, topic, upload_id) + "/" + name;
}
std::string NotificationsDir(const std::string& seq, const std::string& topic) {
  return (topic.empty() ? SequenceDir(seq) : TopicDir(seq, topic)) + "/notifications";
}
std::string NotificationObject(const std::string& seq, const std::string& topic, int64_t created_at_ns,
                               const std::string& id) {
  char prefix[32];
  std::snprintf(prefix, sizeof(prefix), "%020lld", static_cast<long long>(created_at_ns));
  return NotificationsDir(seq, topic) + "/" + prefix + "-" + id + ".json";
}

}  // namespace mosaico::store::layout
