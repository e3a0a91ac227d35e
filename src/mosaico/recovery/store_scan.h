// StoreScan: reads everything the object store says about its sequences into a StoreSnapshot, the store-side view
// that `rebuild`, `check` and `import` work from. The store is the source of truth; the snapshot is exactly what
// it holds, with every inconsistency listed as a ScanProblem rather than hidden.
//
// Contract:
//  - One recursive listing of "sequences/", then one read per manifest (and, with verify_checksums, one full read
//    per chunk). Read-only: the store is never modified.
//  - Records are filled as the catalog would hold them (ids 0): sessions get locked/completed_at_ns from their
//    finalized.json, topics inherit them from their session; topics get schema_ipc from schema.arrow and
//    upload_id from their committed upload.
//  - Tombstones (lifecycle/deletion.h): an entity whose tombstone names the incarnation its manifest describes
//    (or whose manifest is already gone) is being deleted. It is left out of `sequences` -- with everything below
//    it, and a session with the topics whose manifest names it -- so rebuild and import never bring it back,
//    and listed in `deletions` instead; no problems are reported for its leftovers. A tombstone naming another
//    incarnation than the manifest is listed in `deletions` too, and the entity is scanned as usual.
//  - A topic's committed upload is the one with an upload.json. Should several have one (a crash between the
//    store commit and the catalog commit, then a retried upload), the newest upload id (ULIDs sort by time) wins
//    and the others are reported as kSupersededUpload.
//  - Problems never abort the scan: an unreadable manifest skips its entity (and what hangs off it) and is
//    reported; only listing/reading failures of the store itself are errors.
//  - Output is deterministic: sequences by name, sessions by (created_at_ns, key), topics by name, uploads by id,
//    notifications by (created_at_ns, id), problems by key.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/ingest/upload_manifest.h"
#include "mosaico/lifecycle/manifests.h"
#include "mosaico/store/object_store.h"

namespace mosaico::recovery {

struct UploadSnapshot {
  std::string upload_id;
  std::optional<ingest::UploadManifest> manifest;  // unset: no (readable) upload.json: an interrupted stream
  std::vector<std::string> object_keys;            // every object under the upload directory, sorted
};

struct TopicSnapshot {
  catalog::TopicRecord record;
  std::vector<UploadSnapshot> uploads;
  std::optional<size_t> committed;  // index into `uploads` of the committed upload
  std::vector<lifecycle::ParsedNotification> notifications;

  const UploadSnapshot* committed_upload() const { return committed ? &uploads[*committed] : nullptr; }
};

struct SessionSnapshot {
  catalog::SessionRecord record;
};

struct SequenceSnapshot {
  catalog::SequenceRecord record;
  std::vector<SessionSnapshot> sessions;
  std::vector<TopicSnapshot> topics;
  std::vector<lifecycle::ParsedNotification> notifications;  // sequence-level
};

// An entity with a tombstone: a deletion that is running or that a crash interrupted.
struct DeletionSnapshot {
  enum class Entity { kSequence, kSession, kTopic };
  Entity entity = Entity::kSequence;
  std::string sequence;
  std::string session_key;  // kSession
  std::string topic;        // kTopic
  std::string tombstone_key;
  lifecycle::Tombstone tombstone;
  bool manifest_matches = false;  // the entity's manifest is gone or describes the tombstone's incarnation
  std::vector<std::string> topics;  // kSession: topics whose manifest names the session (deleted with it)
};

struct ScanProblem {
  enum class Kind {
    kUnreadableObject,   // a manifest that does not parse, or a schema that does not deserialize
    kMissingManifest,    // objects of a sequence/session/topic whose own manifest is absent
    kDanglingReference,  // a topic naming a session the store does not have
    kInterruptedUpload,  // upload directory without upload.json (garbage of a cut stream)
    kSupersededUpload,   // a committed upload that lost to a newer one of the same topic
    kMissingChunk,       // upload.json lists a chunk object that is absent
    kSizeMismatch,       // chunk object size differs from upload.json
    kChecksumMismatch,   // chunk bytes do not match upload.json's CRC32 (verify_checksums only)
    kUnlistedObject,     // an object no manifest accounts for (stray chunk, temp file, unknown key)
  };
  Kind kind = Kind::kUnreadableObject;
  std::string key;  // the object (or directory) concerned
  std::string detail;
  std::string newer_upload_id;  // kSupersededUpload: the upload that superseded this one
};

const char* ScanProblemKindName(ScanProblem::Kind kind);

struct StoreSnapshot {
  std::vector<SequenceSnapshot> sequences;
  std::vector<DeletionSnapshot> deletions;  // by tombstone key
  std::vector<ScanProblem> problems;
  int64_t objects_listed = 0;
  int64_t chunks_verified = 0;
};

struct ScanOptions {
  bool verify_checksums = false;  // read every committed chunk and compare its CRC32 with upload.json
  // When set, only these sequences are scanned: one listing of each one's directory instead of all of
  // "sequences/" (the targeted start-up recovery, recovery/startup_recovery.h).
  std::optional<std::set<std::string>> only_sequences;
  // Called now and then with a phase ("list", "manifests", "checksums") and done/total counts.
  std::function<void(const std::string& phase, int64_t done, int64_t total)> progress;
};

arrow::Result<StoreSnapshot> ScanStore(store::ObjectStore& store, const ScanOptions& options = {});

}  // namespace mosaico::recovery
