#include "mosaico/recovery/store_scan.h"

#include <algorithm>
#include <map>
#include <set>

#include "mosaico/ingest/schema_check.h"
#include "mosaico/store/checksum.h"
#include "mosaico/store/layout.h"

namespace mosaico::recovery {
namespace {

namespace layout = store::layout;
using Kind = layout::ObjectRef::Kind;

constexpr int64_t kChecksumReadBytes = 4 << 20;

// The keys of one sequence directory, grouped by what they belong to.
struct UploadKeys {
  std::optional<std::string> manifest;
  std::vector<std::string> all;
};
struct TopicKeys {
  std::optional<std::string> manifest, schema, tombstone;
  std::map<std::string, UploadKeys> uploads;
  std::vector<std::string> notifications;
};
struct SessionKeys {
  std::optional<std::string> manifest, finalized, tombstone;
};
struct SequenceKeys {
  std::optional<std::string> manifest, tombstone;
  std::map<std::string, SessionKeys> sessions;
  std::map<std::string, TopicKeys> topics;
  std::vector<std::string> notifications;
};

class Scanner {
 public:
  Scanner(store::ObjectStore& store, const ScanOptions& options) : store_(store), options_(options) {}

  arrow::Result<StoreSnapshot> Run() {
    Progress("list", 0, 1);
    std::vector<std::string> keys;
    if (options_.only_sequences) {
      for (const auto& name : *options_.only_sequences) {
        ARROW_ASSIGN_OR_RAISE(auto some, store_.List(layout::SequenceDir(name), /*include_temporaries=*/true));
        keys.insert(keys.end(), some.begin(), some.end());
      }
    } else {
      ARROW_ASSIGN_OR_RAISE(keys, store_.List(layout::SequencesRoot(), /*include_temporaries=*/true));
    }
    snapshot_.objects_listed = static_cast<int64_t>(keys.size());
    Progress("list", 1, 1);
    std::map<std::string, SequenceKeys> sequences;
    for (const auto& key : keys) Classify(key, &sequences);
    int64_t done = 0;
    for (const auto& [name, seq_keys] : sequences) {
      ARROW_RETURN_NOT_OK(ScanSequence(name, seq_keys));
      Progress("manifests", ++done, static_cast<int64_t>(sequences.size()));
    }
    if (options_.verify_checksums) ARROW_RETURN_NOT_OK(VerifyChecksums());
    std::sort(snapshot_.deletions.begin(), snapshot_.deletions.end(),
              [](const DeletionSnapshot& a, const DeletionSnapshot& b) { return a.tombstone_key < b.tombstone_key; });
    std::stable_sort(snapshot_.problems.begin(), snapshot_.problems.end(),
                     [](const ScanProblem& a, const ScanProblem& b) { return a.key < b.key; });
    return std::move(snapshot_);
  }

 private:
  void Progress(const std::string& phase, int64_t done, int64_t total) {
    if (options_.progress) options_.progress(phase, done, total);
  }

  void Problem(ScanProblem::Kind kind, std::string key, std::string detail, std::string newer_upload_id = {}) {
    snapshot_.problems.push_back(ScanProblem{kind, std::move(key), std::move(detail), std::move(newer_upload_id)});
  }

  void Classify(const std::string& key, std::map<std::string, SequenceKeys>* sequences) {
    const auto ref = layout::ParseKey(key);
    if (ref.kind == Kind::kUnknown) {
      Problem(ScanProblem::Kind::kUnlistedObject, key, "not an object mosaicod writes (e.g. a leftover temp file)");
      return;
    }
    SequenceKeys& seq = (*sequences)[ref.sequence];
    switch (ref.kind) {
      case Kind::kSequenceManifest: seq.manifest = key; break;
      case Kind::kSessionManifest: seq.sessions[ref.session_key].manifest = key; break;
      case Kind::kSessionFinalized: seq.sessions[ref.session_key].finalized = key; break;
      case Kind::kTopicManifest: seq.topics[ref.topic].manifest = key; break;
      case Kind::kTopicSchema: seq.topics[ref.topic].schema = key; break;
      case Kind::kUploadManifest:
        seq.topics[ref.topic].uploads[ref.upload_id].manifest = key;
        seq.topics[ref.topic].uploads[ref.upload_id].all.push_back(key);
        break;
      case Kind::kChunk: seq.topics[ref.topic].uploads[ref.upload_id].all.push_back(key); break;
      case Kind::kNotification:
        (ref.topic.empty() ? seq.notifications : seq.topics[ref.topic].notifications).push_back(key);
        break;
      case Kind::kSequenceTombstone: seq.tombstone = key; break;
      case Kind::kSessionTombstone: seq.sessions[ref.session_key].tombstone = key; break;
      case Kind::kTopicTombstone: seq.topics[ref.topic].tombstone = key; break;
      case Kind::kUnknown: break;
    }
  }

  // Reads and parses one manifest; a parse failure is recorded as a problem and returns nullopt.
  template <typename Parse>
  arrow::Result<std::optional<std::invoke_result_t<Parse, const std::string&>>> ReadManifest(
      const std::string& key, Parse parse) {
    using Parsed = std::invoke_result_t<Parse, const std::string&>;
    ARROW_ASSIGN_OR_RAISE(auto buffer, store_.Get(key));
    Parsed parsed = parse(buffer->ToString());
    if (!parsed.ok()) {
      Problem(ScanProblem::Kind::kUnreadableObject, key, parsed.status().message());
      return std::optional<Parsed>{};
    }
    return std::optional<Parsed>(std::move(parsed));
  }

  // Reads the tombstone at `key` (if any) into a DeletionSnapshot; nullopt when absent or unreadable (reported).
  arrow::Result<std::optional<DeletionSnapshot>> ReadTombstone(const std::optional<std::string>& key,
                                                               DeletionSnapshot::Entity entity,
                                                               const std::string& sequence) {
    if (!key) return std::optional<DeletionSnapshot>{};
    ARROW_ASSIGN_OR_RAISE(auto parsed, ReadManifest(*key, lifecycle::ParseTombstone));
    if (!parsed) return std::optional<DeletionSnapshot>{};
    DeletionSnapshot d;
    d.entity = entity;
    d.sequence = sequence;
    d.tombstone_key = *key;
    d.tombstone = std::move(**parsed);
    return std::optional<DeletionSnapshot>(std::move(d));
  }

  arrow::Status ScanSequence(const std::string& name, const SequenceKeys& keys) {
    ARROW_ASSIGN_OR_RAISE(auto deletion, ReadTombstone(keys.tombstone, DeletionSnapshot::Entity::kSequence, name));
    if (deletion) {
      deletion->manifest_matches = true;
      if (keys.manifest) {
        ARROW_ASSIGN_OR_RAISE(auto buffer, store_.Get(*keys.manifest));
        auto manifest = lifecycle::ParseSequenceManifest(buffer->ToString());
        deletion->manifest_matches = !manifest.ok() || deletion->tombstone.Names(manifest->created_at_ns, "");
      }
      const bool being_deleted = deletion->manifest_matches;
      snapshot_.deletions.push_back(std::move(*deletion));
      if (being_deleted) return arrow::Status::OK();  // everything below goes with it
    }
    if (!keys.manifest) {
      Problem(ScanProblem::Kind::kMissingManifest, layout::SequenceDir(name),
              "sequence directory without sequence.json: nothing in it can be restored");
      return arrow::Status::OK();
    }
    ARROW_ASSIGN_OR_RAISE(auto parsed, ReadManifest(*keys.manifest, lifecycle::ParseSequenceManifest));
    if (!parsed) return arrow::Status::OK();
    SequenceSnapshot seq;
    seq.record = std::move(**parsed);
    if (seq.record.name != name) {
      Problem(ScanProblem::Kind::kUnreadableObject, *keys.manifest,
              "manifest names sequence '" + seq.record.name + "' but lies in '" + name + "'");
      return arrow::Status::OK();
    }
    deleting_sessions_.clear();
    ARROW_RETURN_NOT_OK(ScanSessions(name, keys, &seq));
    for (const auto& [topic_name, topic_keys] : keys.topics) {
      ARROW_RETURN_NOT_OK(ScanTopic(name, topic_name, topic_keys, &seq));
    }
    ARROW_ASSIGN_OR_RAISE(seq.notifications, ScanNotifications(keys.notifications));
    snapshot_.sequences.push_back(std::move(seq));
    return arrow::Status::OK();
  }

  arrow::Status ScanSessions(const std::string& seq_name, const SequenceKeys& keys, SequenceSnapshot* seq) {
    for (const auto& [key, session_keys] : keys.sessions) {
      ARROW_ASSIGN_OR_RAISE(auto deletion,
                            ReadTombstone(session_keys.tombstone, DeletionSnapshot::Entity::kSession, seq_name));
      if (deletion) {
        deletion->session_key = key;
        deletion->manifest_matches = true;
        if (session_keys.manifest) {
          ARROW_ASSIGN_OR_RAISE(auto buffer, store_.Get(*session_keys.manifest));
          auto manifest = lifecycle::ParseSessionManifest(buffer->ToString());
          deletion->manifest_matches =
              !manifest.ok() || deletion->tombstone.Names(manifest->created_at_ns, manifest->uuid);
        }
        const bool being_deleted = deletion->manifest_matches;
        if (being_deleted) deleting_sessions_[key] = snapshot_.deletions.size();
        snapshot_.deletions.push_back(std::move(*deletion));
        if (being_deleted) continue;
      }
      if (!session_keys.manifest) {
        Problem(ScanProblem::Kind::kMissingManifest, layout::SessionDir(seq_name, key),
                "session directory without session.json");
        continue;
      }
      ARROW_ASSIGN_OR_RAISE(auto parsed, ReadManifest(*session_keys.manifest, lifecycle::ParseSessionManifest));
      if (!parsed) continue;
      SessionSnapshot session{std::move(**parsed)};
      if (session.record.key != key || session.record.sequence_name != seq_name) {
        Problem(ScanProblem::Kind::kUnreadableObject, *session_keys.manifest,
                "manifest names session '" + session.record.sequence_name + ":" + session.record.key +
                    "' but lies elsewhere");
        continue;
      }
      if (session_keys.finalized) {
        ARROW_ASSIGN_OR_RAISE(auto completed,
                              ReadManifest(*session_keys.finalized, lifecycle::ParseSessionFinalized));
        if (completed) {
          session.record.locked = true;
          session.record.completed_at_ns = **completed;
        }
      }
      seq->sessions.push_back(std::move(session));
    }
    std::sort(seq->sessions.begin(), seq->sessions.end(), [](const SessionSnapshot& a, const SessionSnapshot& b) {
      return std::tie(a.record.created_at_ns, a.record.key) < std::tie(b.record.created_at_ns, b.record.key);
    });
    return arrow::Status::OK();
  }

  arrow::Status ScanTopic(const std::string& seq_name, const std::string& topic_name, const TopicKeys& keys,
                          SequenceSnapshot* seq) {
    ARROW_ASSIGN_OR_RAISE(auto deletion, ReadTombstone(keys.tombstone, DeletionSnapshot::Entity::kTopic, seq_name));
    std::optional<arrow::Result<catalog::TopicRecord>> parsed;
    if (keys.manifest) {
      ARROW_ASSIGN_OR_RAISE(auto buffer, store_.Get(*keys.manifest));
      parsed = lifecycle::ParseTopicManifest(buffer->ToString());
    }
    const catalog::TopicRecord* manifest = parsed && parsed->ok() ? &parsed->ValueUnsafe() : nullptr;
    // A topic of a session being deleted goes with it (its own tombstone, if any, too).
    if (manifest && manifest->name == topic_name) {
      auto session = deleting_sessions_.find(manifest->session_key);
      if (session != deleting_sessions_.end()) {
        snapshot_.deletions[session->second].topics.push_back(topic_name);
        return arrow::Status::OK();
      }
    }
    if (deletion) {
      deletion->topic = topic_name;
      deletion->manifest_matches = !manifest || deletion->tombstone.Names(manifest->created_at_ns, manifest->uuid);
      const bool being_deleted = deletion->manifest_matches;
      snapshot_.deletions.push_back(std::move(*deletion));
      if (being_deleted) return arrow::Status::OK();
    }
    if (!keys.manifest) {
      Problem(ScanProblem::Kind::kMissingManifest, layout::TopicDir(seq_name, topic_name),
              "topic directory without topic.json");
      return arrow::Status::OK();
    }
    if (!manifest) {
      Problem(ScanProblem::Kind::kUnreadableObject, *keys.manifest, parsed->status().message());
      return arrow::Status::OK();
    }
    TopicSnapshot topic;
    topic.record = *manifest;
    if (topic.record.name != topic_name || topic.record.sequence_name != seq_name) {
      Problem(ScanProblem::Kind::kUnreadableObject, *keys.manifest,
              "manifest names topic '" + topic.record.sequence_name + "/" + topic.record.name +
                  "' but lies elsewhere");
      return arrow::Status::OK();
    }
    auto session = std::find_if(seq->sessions.begin(), seq->sessions.end(), [&](const SessionSnapshot& s) {
      return s.record.key == topic.record.session_key;
    });
    if (session == seq->sessions.end()) {
      Problem(ScanProblem::Kind::kDanglingReference, *keys.manifest,
              "topic belongs to session '" + topic.record.session_key + "', which the store does not hold");
      return arrow::Status::OK();
    }
    topic.record.locked = session->record.locked;
    topic.record.completed_at_ns = session->record.completed_at_ns;
    if (keys.schema) {
      ARROW_ASSIGN_OR_RAISE(auto buffer, store_.Get(*keys.schema));
      std::string ipc = buffer->ToString();
      auto schema = ingest::DeserializeSchema(ipc);
      if (schema.ok()) {
        topic.record.schema_ipc = std::move(ipc);
      } else {
        Problem(ScanProblem::Kind::kUnreadableObject, *keys.schema, schema.status().message());
      }
    }
    ARROW_RETURN_NOT_OK(ScanUploads(seq_name, topic_name, keys, &topic));
    ARROW_ASSIGN_OR_RAISE(topic.notifications, ScanNotifications(keys.notifications));
    seq->topics.push_back(std::move(topic));
    return arrow::Status::OK();
  }

  arrow::Status ScanUploads(const std::string& seq_name, const std::string& topic_name, const TopicKeys& keys,
                            TopicSnapshot* topic) {
    for (const auto& [upload_id, upload_keys] : keys.uploads) {
      UploadSnapshot upload;
      upload.upload_id = upload_id;
      upload.object_keys = upload_keys.all;
      std::sort(upload.object_keys.begin(), upload.object_keys.end());
      const std::string dir = layout::UploadDir(seq_name, topic_name, upload_id);
      if (upload_keys.manifest) {
        ARROW_ASSIGN_OR_RAISE(auto parsed, ReadManifest(*upload_keys.manifest, [](const std::string& text) {
          return ingest::UploadManifest::Parse(text);
        }));
        if (parsed) upload.manifest = std::move(**parsed);
      }
      if (!upload.manifest) {
        if (!upload_keys.manifest) {
          Problem(ScanProblem::Kind::kInterruptedUpload, dir, "upload without upload.json (a stream that was cut)");
        }
      } else {
        ARROW_RETURN_NOT_OK(CheckChunksPresent(upload));
      }
      topic->uploads.push_back(std::move(upload));
    }
    for (size_t i = 0; i < topic->uploads.size(); ++i) {
      if (topic->uploads[i].manifest) topic->committed = i;  // ids ascend: the last one is the newest
    }
    for (size_t i = 0; i < topic->uploads.size(); ++i) {
      if (topic->uploads[i].manifest && i != *topic->committed) {
        Problem(ScanProblem::Kind::kSupersededUpload,
                layout::UploadDir(seq_name, topic_name, topic->uploads[i].upload_id),
                "committed upload superseded by newer upload '" + topic->uploads[*topic->committed].upload_id + "'",
                topic->uploads[*topic->committed].upload_id);
      }
    }
    if (topic->committed) topic->record.upload_id = topic->uploads[*topic->committed].upload_id;
    return arrow::Status::OK();
  }

  arrow::Status CheckChunksPresent(const UploadSnapshot& upload) {
    std::set<std::string> present(upload.object_keys.begin(), upload.object_keys.end());
    std::set<std::string> listed;
    for (const auto& chunk : upload.manifest->chunks) {
      listed.insert(chunk.object_key);
      if (!present.count(chunk.object_key)) {
        Problem(ScanProblem::Kind::kMissingChunk, chunk.object_key, "listed in upload.json but absent");
        continue;
      }
      ARROW_ASSIGN_OR_RAISE(auto size, store_.Size(chunk.object_key));
      if (size != chunk.size_bytes) {
        Problem(ScanProblem::Kind::kSizeMismatch, chunk.object_key,
                "object has " + std::to_string(size) + " bytes, upload.json says " + std::to_string(chunk.size_bytes));
      }
    }
    for (const auto& key : upload.object_keys) {
      if (layout::ParseKey(key).kind == Kind::kChunk && !listed.count(key)) {
        Problem(ScanProblem::Kind::kUnlistedObject, key, "chunk not listed in its upload.json");
      }
    }
    return arrow::Status::OK();
  }

  arrow::Result<std::vector<lifecycle::ParsedNotification>> ScanNotifications(const std::vector<std::string>& keys) {
    std::vector<lifecycle::ParsedNotification> out;
    for (const auto& key : keys) {
      ARROW_ASSIGN_OR_RAISE(auto parsed, ReadManifest(key, lifecycle::ParseNotification));
      if (parsed) out.push_back(std::move(**parsed));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::tie(a.record.created_at_ns, a.id) < std::tie(b.record.created_at_ns, b.id);
    });
    return out;
  }

  arrow::Status VerifyChecksums() {
    std::vector<const catalog::ChunkRecord*> chunks;
    std::set<std::string> missing_or_bad;
    for (const auto& p : snapshot_.problems) {
      if (p.kind == ScanProblem::Kind::kMissingChunk || p.kind == ScanProblem::Kind::kSizeMismatch) {
        missing_or_bad.insert(p.key);
      }
    }
    for (const auto& seq : snapshot_.sequences) {
      for (const auto& topic : seq.topics) {
        if (const auto* upload = topic.committed_upload()) {
          for (const auto& chunk : upload->manifest->chunks) {
            if (!missing_or_bad.count(chunk.object_key)) chunks.push_back(&chunk);
          }
        }
      }
    }
    int64_t done = 0;
    for (const auto* chunk : chunks) {
      ARROW_ASSIGN_OR_RAISE(auto file, store_.OpenRead(chunk->object_key));
      uint32_t crc = 0;
      while (true) {
        ARROW_ASSIGN_OR_RAISE(auto piece, file->Read(kChecksumReadBytes));
        if (piece->size() == 0) break;
        crc = store::Crc32Update(crc, piece->data(), piece->size());
      }
      ARROW_RETURN_NOT_OK(file->Close());
      const std::string actual = store::Crc32ToHex(crc);
      if (actual != chunk->checksum) {
        Problem(ScanProblem::Kind::kChecksumMismatch, chunk->object_key,
                "CRC32 " + actual + ", upload.json says " + chunk->checksum);
      }
      ++snapshot_.chunks_verified;
      Progress("checksums", ++done, static_cast<int64_t>(chunks.size()));
    }
    return arrow::Status::OK();
  }

  store::ObjectStore& store_;
  const ScanOptions& options_;
  StoreSnapshot snapshot_;
  std::map<std::string, size_t> deleting_sessions_;  // of the sequence being scanned: key -> index in deletions
};

}  // namespace

const char* ScanProblemKindName(ScanProblem::Kind kind) {
  switch (kind) {
    case ScanProblem::Kind::kUnreadableObject: return "unreadable_object";
    case ScanProblem::Kind::kMissingManifest: return "missing_manifest";
    case ScanProblem::Kind::kDanglingReference: return "dangling_reference";
    case ScanProblem::Kind::kInterruptedUpload: return "interrupted_upload";
    case ScanProblem::Kind::kSupersededUpload: return "superseded_upload";
    case ScanProblem::Kind::kMissingChunk: return "missing_chunk";
    case ScanProblem::Kind::kSizeMismatch: return "size_mismatch";
    case ScanProblem::Kind::kChecksumMismatch: return "checksum_mismatch";
    case ScanProblem::Kind::kUnlistedObject: return "unlisted_object";
  }
  return "unknown";
}

arrow::Result<StoreSnapshot> ScanStore(store::ObjectStore& store, const ScanOptions& options) {
  return Scanner(store, options).Run();
}

}  // namespace mosaico::recovery
