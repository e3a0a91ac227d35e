// JSON manifests written to the store for every catalog record, so the catalog can be rebuilt from the store.
// Object keys come from store/layout.h; this file only knows the JSON shape (documented in docs/STORE_LAYOUT.md).
// Every manifest carries "version": 1.
//
// Parse* read what the writers above produce (recovery/ rebuilds the catalog from them). They accept any
// version-1 manifest, ignore unknown fields (forward compatibility within a version), and fail with
// INVALID_ARGUMENT naming the manifest and the field. Catalog ids are not stored: they stay 0. A parsed
// record's user_metadata_json is the compact dump of the stored object.
#pragma once

#include <string>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"

namespace mosaico::lifecycle {

// A tombstone (deleting.json, lifecycle/deletion.h): the entity it names is being deleted. It identifies the
// incarnation being deleted, so that an entity created later under the same name is never mistaken for it:
// sequences by created_at_ns, sessions and topics by uuid (and created_at_ns).
//   {"version":1,"entity":"sequence"|"session"|"topic","created_at_ns","uuid","requested_at_ns"}
struct Tombstone {
  std::string entity;  // "sequence" | "session" | "topic"
  int64_t created_at_ns = 0;
  std::string uuid;  // empty for sequences
  int64_t requested_at_ns = 0;

  bool Names(int64_t entity_created_at_ns, const std::string& entity_uuid) const {
    return created_at_ns == entity_created_at_ns && uuid == entity_uuid;
  }
};

std::string SequenceManifestJson(const catalog::SequenceRecord& seq);
std::string SessionManifestJson(const catalog::SessionRecord& session);
std::string SessionFinalizedJson(int64_t completed_at_ns);
std::string TopicManifestJson(const catalog::TopicRecord& topic);
std::string NotificationJson(const catalog::NotificationRecord& n, const std::string& id);
std::string TombstoneJson(const Tombstone& tombstone);

arrow::Result<catalog::SequenceRecord> ParseSequenceManifest(const std::string& text);
// Fills sequence_name, key, uuid, created_at_ns; locked/completed_at come from the finalized marker.
arrow::Result<catalog::SessionRecord> ParseSessionManifest(const std::string& text);
// The completed_at_ns of a finalized.json marker.
arrow::Result<int64_t> ParseSessionFinalized(const std::string& text);
// Fills sequence_name, name, session_key, uuid, ontology_tag, serialization_format, user_metadata_json,
// created_at_ns.
arrow::Result<catalog::TopicRecord> ParseTopicManifest(const std::string& text);
struct ParsedNotification {
  catalog::NotificationRecord record;
  std::string id;
};
arrow::Result<ParsedNotification> ParseNotification(const std::string& text);
arrow::Result<Tombstone> ParseTombstone(const std::string& text);

}  // namespace mosaico::lifecycle
