// The ONE place that knows object keys. Everything the catalog holds can be re-derived from these objects.
//
//   sequences/<seq>/sequence.json                              sequence manifest (name, created, user metadata)
//   sequences/<seq>/sessions/<session key>/session.json        session manifest (key, uuid, created)
//   sequences/<seq>/sessions/<session key>/finalized.json      commit marker: the session is locked (completed)
//   sequences/<seq>/topics/<topic>/topic.json                  topic manifest (session, tag, format, metadata)
//   sequences/<seq>/topics/<topic>/schema.arrow                schema snapshot (Arrow IPC stream, no batches)
//   sequences/<seq>/topics/<topic>/uploads/<upload>/chunk-<n>.parquet   data chunks of one upload (n: %06d;
//                                                                       stripe s of a striped one: s*1000000+k)
//   sequences/<seq>/topics/<topic>/uploads/<upload>/upload.json         commit marker of that stream: chunk list,
//                                                                       row counts, stats, checksums
//   sequences/<seq>/notifications/<created ns>-<id>.json       one sequence-level notification
//   sequences/<seq>/topics/<topic>/notifications/<created ns>-<id>.json   one topic-level notification
//   sequences/<seq>/deleting.json, .../sessions/<key>/deleting.json, .../topics/<topic>/deleting.json
//                                                              tombstone: that entity is being deleted
//   api_keys/<fingerprint>.json                                one API key record (auth/): salted hash, permission,
//                                                              description, times; never the token
//
// <topic> is the topic path with '/' written as "%2F" (names never contain '%'), so nested topic names
// ("a" and "a/b") cannot collide with each other's objects. Chunks of an upload without upload.json are
// garbage from an interrupted stream.
#pragma once

#include <cstdint>
#include <string>

namespace mosaico::store::layout {

std::string EncodeTopic(const std::string& topic_path);
std::string DecodeTopic(const std::string& encoded);

std::string SequencesRoot();  // "sequences"
std::string SequenceDir(const std::string& seq);
std::string SequenceManifest(const std::string& seq);
std::string SessionDir(const std::string& seq, const std::string& session_key);
std::string SessionManifest(const std::string& seq, const std::string& session_key);
std::string SessionFinalizedMarker(const std::string& seq, const std::string& session_key);
std::string TopicDir(const std::string& seq, const std::string& topic);
std::string TopicManifest(const std::string& seq, const std::string& topic);
std::string TopicSchema(const std::string& seq, const std::string& topic);
std::string UploadDir(const std::string& seq, const std::string& topic, const std::string& upload_id);
std::string UploadManifest(const std::string& seq, const std::string& topic, const std::string& upload_id);
std::string ChunkObject(const std::string& seq, const std::string& topic, const std::string& upload_id,
                        int32_t index);
// `topic` empty -> the sequence-level notifications directory.
std::string NotificationsDir(const std::string& seq, const std::string& topic);
std::string NotificationObject(const std::string& seq, const std::string& topic, int64_t created_at_ns,
                               const std::string& id);
// Tombstones (lifecycle/deletion.h): written before the first object of the entity is deleted, removed last.
std::string SequenceTombstone(const std::string& seq);
std::string SessionTombstone(const std::string& seq, const std::string& session_key);
std::string TopicTombstone(const std::string& seq, const std::string& topic);

// API keys (auth/key_manager.h): one object per key, outside sequences/ (no sequence owns a key).
std::string ApiKeysRoot();                             // "api_keys"
std::string ApiKeyObject(const std::string& fingerprint);  // "api_keys/<fingerprint>.json"
// The fingerprint named by an ApiKeyObject key, or "" when `key` is not one.
std::string ParseApiKeyObject(const std::string& key);

// What an object key names, the inverse of the functions above (recovery/ walks the store with it).
struct ObjectRef {
  enum class Kind {
    kSequenceManifest,
    kSessionManifest,
    kSessionFinalized,
    kTopicManifest,
    kTopicSchema,
    kUploadManifest,
    kChunk,
    kNotification,  // topic empty: sequence-level
    kSequenceTombstone,
    kSessionTombstone,
    kTopicTombstone,
    kUnknown,       // under sequences/ but not a key this layout produces (e.g. a leftover temp file)
  };
  Kind kind = Kind::kUnknown;
  std::string sequence;
  std::string session_key;  // kSessionManifest, kSessionFinalized, kSessionTombstone
  std::string topic;        // decoded topic path (topic-level kinds)
  std::string upload_id;    // kUploadManifest, kChunk
  int32_t chunk_index = -1; // kChunk
};

// Classifies a key produced by this layout. Keys outside "sequences/" or with a shape this layout never
// writes give kUnknown (with `sequence` set when the key is at least inside a sequence directory).
ObjectRef ParseKey(const std::string& key);

}  // namespace mosaico::store::layout
