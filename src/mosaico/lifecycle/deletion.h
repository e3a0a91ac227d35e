// Deletion protocol: how a sequence, a session or a topic leaves the store and the catalog so that a crash at any
// instant leaves an unambiguous state. Used by Lifecycle (the daemon's deletes) and by recovery/ (finishing a
// deletion a crash interrupted).
//
//   1. tombstone    layout::*Tombstone (deleting.json) naming the incarnation being deleted (manifests.h)
//   2. data         the entity's objects, its manifest LAST (so while anything remains, the manifest still says
//                   which incarnation it belongs to)
//   3. catalog      the entity's rows (with everything hanging off them)
//   4. tombstone    removed, then the emptied directories are pruned
//
// After a crash: a tombstone means "finish this deletion"; a catalog entity without a manifest and without a
// tombstone can only be a create that crashed between its catalog insert and its manifest write (creates write
// the catalog row first). The tombstone is judged against the catalog (Judge*), because once step 3 is done a
// new entity of the same name may be created before step 4 ran.
//
// Contract:
//  - Every step is idempotent: Finish* may be repeated any number of times, and after any prefix of a previous
//    run, with the same outcome.
//  - A deletion of a session removes the topics of that session (given by the caller: the catalog's topics of the
//    session, plus, when finishing after a crash, the topics whose manifest names the session).
//  - Objects of another incarnation are never touched: a stale tombstone (kStale) only loses its tombstone.
//  - No lifecycle-rule checks here (locks, open uploads): Lifecycle does them before calling.
#pragma once

#include <string>
#include <vector>

#include <arrow/result.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/lifecycle/manifests.h"
#include "mosaico/store/object_store.h"

namespace mosaico::lifecycle {

// Where a tombstone's deletion stands, judged against the catalog.
enum class TombstoneState {
  kInProgress,   // the catalog still holds the incarnation the tombstone names: steps 2-4 remain
  kCatalogDone,  // the catalog holds no entity of that name: store leftovers (step 2) and step 4 remain
  kStale,        // the catalog holds a LATER incarnation of that name: only the tombstone itself remains
};
const char* TombstoneStateName(TombstoneState state);

Tombstone TombstoneOf(const catalog::SequenceRecord& seq, int64_t now_ns);
Tombstone TombstoneOf(const catalog::SessionRecord& session, int64_t now_ns);
Tombstone TombstoneOf(const catalog::TopicRecord& topic, int64_t now_ns);

arrow::Result<TombstoneState> JudgeSequenceTombstone(catalog::Catalog& catalog, const std::string& sequence,
                                                     const Tombstone& tombstone);
arrow::Result<TombstoneState> JudgeSessionTombstone(catalog::Catalog& catalog, const std::string& sequence,
                                                    const std::string& session_key, const Tombstone& tombstone);
arrow::Result<TombstoneState> JudgeTopicTombstone(catalog::Catalog& catalog, const std::string& sequence,
                                                  const std::string& topic, const Tombstone& tombstone);

// The whole protocol, for the daemon: `seq` / `session` / `topic` are the catalog's current rows.
arrow::Status DeleteSequenceEverywhere(catalog::Catalog& catalog, store::ObjectStore& store,
                                       const catalog::SequenceRecord& seq);
arrow::Status DeleteSessionEverywhere(catalog::Catalog& catalog, store::ObjectStore& store,
                                      const catalog::SessionRecord& session, const std::vector<std::string>& topics);
arrow::Status DeleteTopicEverywhere(catalog::Catalog& catalog, store::ObjectStore& store,
                                    const catalog::TopicRecord& topic);

// Steps 2-4 (or only 4 for kStale) of a deletion whose tombstone is in the store.
arrow::Status FinishSequenceDeletion(catalog::Catalog& catalog, store::ObjectStore& store, const std::string& sequence,
                                     TombstoneState state);
arrow::Status FinishSessionDeletion(catalog::Catalog& catalog, store::ObjectStore& store, const std::string& sequence,
                                    const std::string& session_key, const std::vector<std::string>& topics,
                                    TombstoneState state);
arrow::Status FinishTopicDeletion(catalog::Catalog& catalog, store::ObjectStore& store, const std::string& sequence,
                                  const std::string& topic, TombstoneState state);

}  // namespace mosaico::lifecycle
