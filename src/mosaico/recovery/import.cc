#include "mosaico/recovery/import.h"

#include "mosaico/core/errors.h"
#include "mosaico/core/ids.h"
#include "mosaico/lifecycle/compaction_request.h"
#include "mosaico/lifecycle/manifests.h"
#include "mosaico/store/checksum.h"
#include "mosaico/store/layout.h"

namespace mosaico::recovery {
namespace {

namespace layout = store::layout;

constexpr int64_t kCopyPieceBytes = 4 << 20;

// Problems that make a source sequence unsafe to import (the others concern garbage that is not imported).
bool Damages(const ScanProblem& p) {
  switch (p.kind) {
    case ScanProblem::Kind::kUnreadableObject:
    case ScanProblem::Kind::kMissingManifest:
    case ScanProblem::Kind::kDanglingReference:
    case ScanProblem::Kind::kMissingChunk:
    case ScanProblem::Kind::kSizeMismatch:
    case ScanProblem::Kind::kChecksumMismatch:
      return true;
    default:
      return false;
  }
}

// `seq` renamed to `name`: every record that names its sequence follows, and the copy gets new write tokens
// (session and topic uuids are secrets unique across the catalog; the original keeps its own).
SequenceSnapshot Renamed(const SequenceSnapshot& seq, const std::string& name) {
  SequenceSnapshot out = seq;
  if (name == seq.record.name) return out;
  out.record.name = name;
  for (auto& s : out.sessions) {
    s.record.sequence_name = name;
    s.record.uuid = NewUuid();
  }
  for (auto& t : out.topics) {
    t.record.sequence_name = name;
    t.record.uuid = NewUuid();
    for (auto& n : t.notifications) n.record.sequence_name = name;
    if (t.committed) {
      auto& manifest = *t.uploads[*t.committed].manifest;
      for (auto& c : manifest.chunks) c.object_key = layout::ChunkObject(name, t.record.name, manifest.upload_id, c.index);
    }
  }
  for (auto& n : out.notifications) n.record.sequence_name = name;
  return out;
}

class SequenceImporter {
 public:
  SequenceImporter(store::ObjectStore& from, store::ObjectStore& to, int64_t* bytes_copied)
      : from_(from), to_(to), bytes_copied_(bytes_copied) {}

  // Writes every object of `target` (already renamed) into the destination, reading chunks of `source`.
  arrow::Status WriteObjects(const SequenceSnapshot& source, const SequenceSnapshot& target) {
    const std::string& name = target.record.name;
    for (size_t i = 0; i < target.topics.size(); ++i) {
      const TopicSnapshot& src_topic = source.topics[i];
      const TopicSnapshot& topic = target.topics[i];
      if (topic.record.schema_ipc) {
        ARROW_RETURN_NOT_OK(to_.PutAtomic(layout::TopicSchema(name, topic.record.name), *topic.record.schema_ipc));
      }
      if (const auto* upload = topic.committed_upload()) {
        const auto& src_chunks = src_topic.committed_upload()->manifest->chunks;
        for (size_t c = 0; c < src_chunks.size(); ++c) {
          ARROW_RETURN_NOT_OK(CopyChunk(src_chunks[c], upload->manifest->chunks[c].object_key));
        }
        ARROW_RETURN_NOT_OK(to_.PutAtomic(layout::UploadManifest(name, topic.record.name, upload->upload_id),
                                          upload->manifest->Serialize()));
      }
      for (const auto& n : topic.notifications) {
        ARROW_RETURN_NOT_OK(to_.PutAtomic(layout::NotificationObject(name, topic.record.name, n.record.created_at_ns, n.id),
                                          lifecycle::NotificationJson(n.record, n.id)));
      }
      ARROW_RETURN_NOT_OK(to_.PutAtomic(layout::TopicManifest(name, topic.record.name),
                                        lifecycle::TopicManifestJson(topic.record)));
    }
    for (const auto& n : target.notifications) {
      ARROW_RETURN_NOT_OK(to_.PutAtomic(layout::NotificationObject(name, "", n.record.created_at_ns, n.id),
                                        lifecycle::NotificationJson(n.record, n.id)));
    }
    for (const auto& s : target.sessions) {
      ARROW_RETURN_NOT_OK(to_.PutAtomic(layout::SessionManifest(name, s.record.key), lifecycle::SessionManifestJson(s.record)));
      if (s.record.locked && s.record.completed_at_ns) {
        ARROW_RETURN_NOT_OK(to_.PutAtomic(layout::SessionFinalizedMarker(name, s.record.key),
                                          lifecycle::SessionFinalizedJson(*s.record.completed_at_ns)));
      }
    }
    // Last: until the sequence manifest exists, a rebuild ignores the partial copy.
    return to_.PutAtomic(layout::SequenceManifest(name), lifecycle::SequenceManifestJson(target.record));
  }

 private:
  // Streams one chunk across, verifying the CRC32 and size the source's upload.json recorded.
  arrow::Status CopyChunk(const catalog::ChunkRecord& chunk, const std::string& to_key) {
    ARROW_ASSIGN_OR_RAISE(auto in, from_.OpenRead(chunk.object_key));
    ARROW_ASSIGN_OR_RAISE(auto raw_out, to_.OpenWrite(to_key));
    auto out = std::make_shared<store::ChecksumOutputStream>(raw_out);
    auto st = [&]() -> arrow::Status {
      while (true) {
        ARROW_ASSIGN_OR_RAISE(auto piece, in->Read(kCopyPieceBytes));
        if (piece->size() == 0) break;
        ARROW_RETURN_NOT_OK(out->Write(piece));
      }
      if (out->checksum_hex() != chunk.checksum || out->bytes_written() != chunk.size_bytes) {
        return arrow::Status::IOError("source chunk '", chunk.object_key, "' is corrupt: CRC32 ", out->checksum_hex(),
                                      " over ", out->bytes_written(), " bytes, its upload.json recorded ",
                                      chunk.checksum, " over ", chunk.size_bytes);
      }
      return out->Close();
    }();
    (void)in->Close();
    if (!st.ok()) {
      (void)out->Abort();
      return st;
    }
    *bytes_copied_ += chunk.size_bytes;
    return arrow::Status::OK();
  }

  store::ObjectStore& from_;
  store::ObjectStore& to_;
  int64_t* bytes_copied_;
};

arrow::Result<bool> NameTaken(const std::string& name, store::ObjectStore& to, catalog::Catalog& catalog) {
  auto seq = catalog.GetSequence(name);
  if (seq.ok()) return true;
  if (!seq.status().IsKeyError()) return seq.status();
  ARROW_ASSIGN_OR_RAISE(auto keys, to.List(layout::SequenceDir(name), /*include_temporaries=*/true));
  return !keys.empty();
}

}  // namespace

const char* ImportOutcomeName(ImportedSequence::Outcome outcome) {
  switch (outcome) {
    case ImportedSequence::Outcome::kImported: return "imported";
    case ImportedSequence::Outcome::kRenamed: return "renamed";
    case ImportedSequence::Outcome::kSkipped: return "skipped";
    case ImportedSequence::Outcome::kFailed: return "failed";
  }
  return "unknown";
}

bool ImportReport::all_ok() const {
  for (const auto& s : sequences) {
    if (s.outcome == ImportedSequence::Outcome::kFailed) return false;
  }
  return true;
}

arrow::Result<ImportReport> ImportSequences(store::ObjectStore& from, store::ObjectStore& to,
                                            catalog::Catalog& catalog, const ImportOptions& options) {
  ScanOptions scan;
  scan.progress = options.progress;
  ARROW_ASSIGN_OR_RAISE(auto snapshot, ScanStore(from, scan));
  ImportReport report;
  // Source sequences whose manifest is unreadable never reach the snapshot: report them as failed too.
  for (const auto& p : snapshot.problems) {
    const auto ref = layout::ParseKey(p.key);
    if (p.kind == ScanProblem::Kind::kUnreadableObject && ref.kind == layout::ObjectRef::Kind::kSequenceManifest) {
      report.sequences.push_back({ref.sequence, ref.sequence, ImportedSequence::Outcome::kFailed, p.detail});
    }
  }
  int64_t done = 0;
  for (const auto& seq : snapshot.sequences) {
    ImportedSequence result{seq.record.name, seq.record.name, ImportedSequence::Outcome::kImported, ""};
    const std::string prefix = layout::SequenceDir(seq.record.name) + "/";
    for (const auto& p : snapshot.problems) {
      if (Damages(p) && p.key.compare(0, prefix.size(), prefix) == 0) {
        result.outcome = ImportedSequence::Outcome::kFailed;
        result.detail = std::string("source damaged: ") + ScanProblemKindName(p.kind) + " " + p.key + ": " + p.detail;
        break;
      }
    }
    if (result.outcome != ImportedSequence::Outcome::kFailed) {
      ARROW_ASSIGN_OR_RAISE(bool taken, NameTaken(result.name, to, catalog));
      for (int n = 1; taken && options.on_duplicate == OnDuplicate::kRename; ++n) {
        result.name = seq.record.name + "_imported" + (n == 1 ? "" : "_" + std::to_string(n));
        result.outcome = ImportedSequence::Outcome::kRenamed;
        ARROW_ASSIGN_OR_RAISE(taken, NameTaken(result.name, to, catalog));
      }
      if (taken) {
        result.outcome = options.on_duplicate == OnDuplicate::kSkip ? ImportedSequence::Outcome::kSkipped
                                                                    : ImportedSequence::Outcome::kFailed;
        result.detail = "a sequence named '" + result.name + "' already exists here";
      }
    }
    if (result.outcome == ImportedSequence::Outcome::kImported || result.outcome == ImportedSequence::Outcome::kRenamed) {
      const SequenceSnapshot target = Renamed(seq, result.name);
      SequenceImporter importer(from, to, &report.bytes_copied);
      arrow::Status st = importer.WriteObjects(seq, target);
      arrow::Result<RestoreCounts> counts = st.ok() ? RestoreSequence(target, catalog) : st;
      if (counts.ok()) {
        report.counts += *counts;
        lifecycle::EnqueueCompactions(catalog, result.name);  // a daemon on this catalog merges small chunks
      } else {
        (void)to.DeletePrefix(layout::SequenceDir(result.name));
        result.outcome = ImportedSequence::Outcome::kFailed;
        result.detail = counts.status().ToString();
      }
    }
    report.sequences.push_back(std::move(result));
    if (options.progress) options.progress("import", ++done, static_cast<int64_t>(snapshot.sequences.size()));
  }
  return report;
}

}  // namespace mosaico::recovery
