#include "mosaico/store/layout.h"

#include <climits>
#include <cstdint>
#include <cstdio>
#include <vector>

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
std::string ApiKeysRoot() { return "api_keys"; }
std::string ApiKeyObject(const std::string& fingerprint) { return ApiKeysRoot() + "/" + fingerprint + ".json"; }
std::string ParseApiKeyObject(const std::string& key) {
  const std::string prefix = ApiKeysRoot() + "/", suffix = ".json";
  if (key.size() <= prefix.size() + suffix.size() || key.compare(0, prefix.size(), prefix) != 0 ||
      key.compare(key.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return "";
  }
  std::string fp = key.substr(prefix.size(), key.size() - prefix.size() - suffix.size());
  return fp.find('/') == std::string::npos ? fp : "";
}
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

std::string SequenceTombstone(const std::string& seq) { return SequenceDir(seq) + "/deleting.json"; }
std::string SessionTombstone(const std::string& seq, const std::string& key) {
  return SessionDir(seq, key) + "/deleting.json";
}
std::string TopicTombstone(const std::string& seq, const std::string& topic) {
  return TopicDir(seq, topic) + "/deleting.json";
}

namespace {

std::vector<std::string> SplitKey(const std::string& key) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t slash = key.find('/', start);
    parts.push_back(key.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "chunk-000012.parquet" -> 12, "chunk-3000012.parquet" -> 3000012 (a stripe's range, ingest/stripe_ledger.h):
// 6 to 10 digits, at most INT32_MAX, no sign; -1 when the name is not a chunk name.
int32_t ChunkIndex(const std::string& name) {
  static const std::string kPrefix = "chunk-";
  static const std::string kSuffix = ".parquet";
  if (name.size() < kPrefix.size() + 6 + kSuffix.size() || name.size() > kPrefix.size() + 10 + kSuffix.size() ||
      name.compare(0, kPrefix.size(), kPrefix) != 0 || !EndsWith(name, kSuffix)) {
    return -1;
  }
  int64_t value = 0;
  for (size_t i = kPrefix.size(); i < name.size() - kSuffix.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return -1;
    value = value * 10 + (name[i] - '0');
  }
  // Only the canonical spelling: ChunkObject writes at least 6 digits, more only without leading zeros.
  if (name.size() > kPrefix.size() + 6 + kSuffix.size() && name[kPrefix.size()] == '0') return -1;
  return value > INT32_MAX ? -1 : static_cast<int32_t>(value);
}

bool IsNotificationName(const std::string& name) {
  // "<20 digits>-<id>.json"
  if (name.size() < 20 + 1 + 1 + 5 || name[20] != '-' || !EndsWith(name, ".json")) return false;
  for (int i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  return true;
}

}  // namespace

ObjectRef ParseKey(const std::string& key) {
  ObjectRef ref;
  const auto p = SplitKey(key);
  if (p.size() < 3 || p[0] != SequencesRoot() || p[1].empty()) return ref;
  ref.sequence = p[1];
  using Kind = ObjectRef::Kind;
  if (p.size() == 3 && p[2] == "sequence.json") {
    ref.kind = Kind::kSequenceManifest;
  } else if (p.size() == 3 && p[2] == "deleting.json") {
    ref.kind = Kind::kSequenceTombstone;
  } else if (p.size() == 4 && p[2] == "notifications" && IsNotificationName(p[3])) {
    ref.kind = Kind::kNotification;
  } else if (p.size() == 5 && p[2] == "sessions" && !p[3].empty()) {
    ref.session_key = p[3];
    if (p[4] == "session.json") ref.kind = Kind::kSessionManifest;
    if (p[4] == "finalized.json") ref.kind = Kind::kSessionFinalized;
    if (p[4] == "deleting.json") ref.kind = Kind::kSessionTombstone;
  } else if (p.size() >= 5 && p[2] == "topics" && !p[3].empty()) {
    ref.topic = DecodeTopic(p[3]);
    if (p.size() == 5 && p[4] == "topic.json") {
      ref.kind = Kind::kTopicManifest;
    } else if (p.size() == 5 && p[4] == "schema.arrow") {
      ref.kind = Kind::kTopicSchema;
    } else if (p.size() == 5 && p[4] == "deleting.json") {
      ref.kind = Kind::kTopicTombstone;
    } else if (p.size() == 6 && p[4] == "notifications" && IsNotificationName(p[5])) {
      ref.kind = Kind::kNotification;
    } else if (p.size() == 7 && p[4] == "uploads" && !p[5].empty()) {
      ref.upload_id = p[5];
      if (p[6] == "upload.json") {
        ref.kind = Kind::kUploadManifest;
      } else if ((ref.chunk_index = ChunkIndex(p[6])) >= 0) {
        ref.kind = Kind::kChunk;
      }
    }
  }
  if (ref.kind == Kind::kUnknown) {
    ref.session_key.clear();
    ref.upload_id.clear();
    ref.chunk_index = -1;
  }
  return ref;
}

}  // namespace mosaico::store::layout
