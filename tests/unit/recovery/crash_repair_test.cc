// Check and Repair over crash states built by hand (a real SQLite catalog and local store): each write protocol
// cut at each step (docs/STORE_LAYOUT.md, "Crash safety"). For every state: Check names it with the right action,
// Repair fixes it, and a second Check is clean -- and nothing acknowledged is lost on the way.
#include <arrow/api.h>
#include <gtest/gtest.h>

#include "../catalog/catalog_test_util.h"
#include "mosaico/core/clock.h"
#include "mosaico/core/ids.h"
#include "mosaico/ingest/schema_check.h"
#include "mosaico/ingest/upload_manifest.h"
#include "mosaico/lifecycle/compaction_request.h"
#include "mosaico/lifecycle/deletion.h"
#include "mosaico/lifecycle/lifecycle.h"
#include "mosaico/lifecycle/manifests.h"
#include "mosaico/recovery/check.h"
#include "mosaico/recovery/restore.h"
#include "mosaico/recovery/startup_recovery.h"
#include "mosaico/recovery/store_scan.h"
#include "mosaico/store/layout.h"

namespace mosaico::recovery {
namespace {

namespace layout = store::layout;
using catalog::testing::TempDir;
using Action = RepairAction;

class CrashRepairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = *catalog::OpenCatalog("sqlite://" + (dir_.path() / "catalog.db").string());
    store_ = *store::ObjectStore::Open((dir_.path() / "store").string());
    lc_ = std::make_unique<lifecycle::Lifecycle>(catalog_, store_);
    options_.min_upload_age_ns = 0;
  }

  bool Exists(const std::string& key) { return *store_->Exists(key); }
  std::string Get(const std::string& key) { return (*store_->Get(key))->ToString(); }

  // seq -> one session -> topic "imu" with a schema, a committed upload of one stand-in chunk, notifications.
  catalog::SessionRecord World(const std::string& seq, bool with_upload = true) {
    EXPECT_TRUE(lc_->CreateSequence(seq, R"({"site":"lab"})").ok());
    auto session = *lc_->CreateSession(seq);
    auto topic = *lc_->CreateTopic({session.uuid, TopicLocator{seq, "imu"}, "default", "imu", R"({"hz":100})"});
    EXPECT_TRUE(lc_->Notify(seq, std::string("imu"), "error", "topic note").ok());
    EXPECT_TRUE(lc_->Notify(seq, std::nullopt, "error", "sequence note").ok());
    if (with_upload) {
      EXPECT_TRUE(store_->PutAtomic(layout::TopicSchema(seq, "imu"), Schema()).ok());
      EXPECT_TRUE(catalog_->SetTopicSchema(topic.id, Schema()).ok());
      auto manifest = PutUpload(seq, "imu", NewUploadId());
      EXPECT_TRUE(catalog_->CommitTopicData(topic.id, manifest.upload_id, manifest.chunks).ok());
    }
    return session;
  }

  static std::string Schema() {
    return *ingest::SerializeSchema(*arrow::schema({arrow::field("timestamp_ns", arrow::int64(), false),
                                                    arrow::field("value", arrow::float64())}));
  }

  static std::string NewUploadId() { return NewUlid(NowNs()); }

  // upload.json plus `chunks` stand-in chunk objects (Check compares sizes; checksums only on request).
  ingest::UploadManifest PutUpload(const std::string& seq, const std::string& topic, const std::string& id,
                                   int chunks = 1) {
    ingest::UploadManifest m;
    m.upload_id = id;
    m.topic = topic;
    for (int i = 0; i < chunks; ++i) {
      catalog::ChunkRecord c;
      c.index = i;
      c.object_key = layout::ChunkObject(seq, topic, id, i);
      c.row_count = 3;
      c.size_bytes = 5;
      c.ts_min = 10 + 100 * i;
      c.ts_max = 30 + 100 * i;
      c.checksum = "00000000";
      m.chunks.push_back(c);
      m.row_count += c.row_count;
      EXPECT_TRUE(store_->PutAtomic(c.object_key, "chunk").ok());
    }
    EXPECT_TRUE(store_->PutAtomic(layout::UploadManifest(seq, topic, id), m.Serialize()).ok());
    return m;
  }

  CheckReport MustCheck() {
    auto report = Check(*catalog_, *store_, options_);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : CheckReport{};
  }

  // "kind subject action" of every finding, for compact expectations.
  std::vector<std::string> Findings() {
    std::vector<std::string> out;
    for (const auto& f : MustCheck().findings) {
      out.push_back(f.kind + " " + f.subject + " " + RepairActionName(f.action));
    }
    return out;
  }

  void RepairAndExpectClean() {
    auto repaired = Repair(*catalog_, *store_, options_);
    ASSERT_TRUE(repaired.ok()) << repaired.status().ToString();
    for (const auto& f : repaired->left) ADD_FAILURE() << "left: " << f.kind << " " << f.subject << " " << f.detail;
    EXPECT_TRUE(MustCheck().clean());
  }

  TempDir dir_;
  std::shared_ptr<catalog::Catalog> catalog_;
  std::shared_ptr<store::ObjectStore> store_;
  std::unique_ptr<lifecycle::Lifecycle> lc_;
  CheckOptions options_;
};

using Strings = std::vector<std::string>;

TEST_F(CrashRepairTest, AWorldWrittenByTheDaemonIsClean) {
  World("w");
  EXPECT_EQ(Findings(), Strings{});
}

TEST_F(CrashRepairTest, CreatesCutBeforeTheirManifestAreCompletedFromTheCatalog) {
  // The catalog rows of a whole sequence, none of its manifests: every create crashed after its catalog insert.
  auto seq = *catalog_->CreateSequence("c", R"({"a":[1,2]})", 100);
  auto session = *catalog_->CreateSession("c", "01KEY", "uuid-1", 200);
  catalog::TopicRecord t;
  t.sequence_id = seq.id;
  t.session_id = session.id;
  t.name = "front/cam";
  t.uuid = "uuid-t";
  t.ontology_tag = "image";
  t.serialization_format = "image";
  t.user_metadata_json = R"({"w":640})";
  t.created_at_ns = 300;
  auto topic = *catalog_->CreateTopic(t);
  ASSERT_TRUE(catalog_->SetTopicSchema(topic.id, Schema()).ok());
  ASSERT_TRUE(catalog_->LockSession(session.id, 400).ok());
  EXPECT_EQ(Findings(), Strings{"missing_in_store c write_manifest"});

  RepairAndExpectClean();
  EXPECT_EQ(Get(layout::SequenceManifest("c")), lifecycle::SequenceManifestJson(*catalog_->GetSequence("c")));
  EXPECT_EQ(Get(layout::SessionManifest("c", "01KEY")),
            lifecycle::SessionManifestJson(*catalog_->GetSession("c", "01KEY")));
  EXPECT_EQ(Get(layout::SessionFinalizedMarker("c", "01KEY")), lifecycle::SessionFinalizedJson(400));
  EXPECT_EQ(Get(layout::TopicManifest("c", "front/cam")),
            lifecycle::TopicManifestJson(*catalog_->GetTopic("c", "front/cam")));
  EXPECT_EQ(Get(layout::TopicSchema("c", "front/cam")), Schema());
}

TEST_F(CrashRepairTest, ACreateStillRunningOrAnUnreadableManifestIsNotTouched) {
  ASSERT_TRUE(catalog_->CreateSequence("young", "{}", NowNs()).ok());
  ASSERT_TRUE(catalog_->CreateSequence("garbled", "{}", 100).ok());
  ASSERT_TRUE(store_->PutAtomic(layout::SequenceManifest("garbled"), "{not json").ok());
  options_.min_upload_age_ns = 3600LL * 1000000000;
  EXPECT_EQ(Findings(), (Strings{"missing_in_store garbled none", "unreadable_object " +
                                     layout::SequenceManifest("garbled") + " none",
                                 "missing_in_store young none"}));
  ASSERT_TRUE(Repair(*catalog_, *store_, options_).ok());
  EXPECT_EQ(Get(layout::SequenceManifest("garbled")), "{not json");
  EXPECT_FALSE(Exists(layout::SequenceManifest("young")));
}

TEST_F(CrashRepairTest, ASequenceDeletionCutAtEachStepIsFinished) {
  for (int step = 0; step < 3; ++step) {  // after the tombstone, after part of the objects, after the catalog
    const std::string name = "del" + std::to_string(step);
    World(name);
    auto seq = *catalog_->GetSequence(name);
    ASSERT_TRUE(store_->PutAtomic(layout::SequenceTombstone(name),
                                  lifecycle::TombstoneJson(lifecycle::TombstoneOf(seq, 1))).ok());
    if (step >= 1) ASSERT_TRUE(store_->DeletePrefix(layout::TopicDir(name, "imu") + "/uploads").ok());
    if (step >= 2) ASSERT_TRUE(catalog_->DeleteSequence(name).ok());
    // Only the deletion is reported: not the missing chunks, nor the catalog rows without their objects.
    EXPECT_EQ(Findings(), Strings{"pending_deletion " + name + " finish_deletion"});
    // A rebuild from this store would not bring it back either.
    auto snapshot = *ScanStore(*store_);
    EXPECT_TRUE(snapshot.sequences.empty());
    ASSERT_EQ(snapshot.deletions.size(), 1u);
    EXPECT_TRUE(snapshot.deletions[0].manifest_matches);
    RepairAndExpectClean();
    EXPECT_TRUE(store_->List(layout::SequenceDir(name), true)->empty());
    EXPECT_TRUE(catalog_->GetSequence(name).status().IsKeyError());
  }
}

TEST_F(CrashRepairTest, AStaleTombstoneGoesAndTheNewIncarnationStays) {
  World("again");
  auto seq = *catalog_->GetSequence("again");
  auto earlier = lifecycle::TombstoneOf(seq, 1);
  earlier.created_at_ns -= 1000;  // an earlier sequence of this name, deleted from the catalog before the crash
  ASSERT_TRUE(store_->PutAtomic(layout::SequenceTombstone("again"), lifecycle::TombstoneJson(earlier)).ok());
  auto snapshot = *ScanStore(*store_);
  ASSERT_EQ(snapshot.sequences.size(), 1u);  // live for a rebuild
  EXPECT_EQ(Findings(), Strings{"stale_tombstone again drop_stale_tombstone"});
  RepairAndExpectClean();
  EXPECT_FALSE(Exists(layout::SequenceTombstone("again")));
  EXPECT_TRUE(Exists(layout::ChunkObject("again", "imu", snapshot.sequences[0].topics[0].record.upload_id.value(), 0)));
}

TEST_F(CrashRepairTest, ASessionDeletionTakesItsTopicsOnly) {
  auto doomed = World("s");
  auto kept = *lc_->CreateSession("s");
  ASSERT_TRUE(lc_->CreateTopic({kept.uuid, TopicLocator{"s", "gps"}, "default", "gps", "{}"}).ok());
  ASSERT_TRUE(store_->PutAtomic(layout::SessionTombstone("s", doomed.key),
                                lifecycle::TombstoneJson(lifecycle::TombstoneOf(doomed, 1))).ok());
  ASSERT_TRUE(store_->DeletePrefix(layout::TopicDir("s", "imu") + "/uploads").ok());
  EXPECT_EQ(Findings(), Strings{"pending_deletion s:" + doomed.key + " finish_deletion"});
  RepairAndExpectClean();
  EXPECT_TRUE(catalog_->GetTopic("s", "imu").status().IsKeyError());
  EXPECT_TRUE(catalog_->GetSession("s", doomed.key).status().IsKeyError());
  EXPECT_FALSE(Exists(layout::TopicManifest("s", "imu")));
  EXPECT_TRUE(Exists(layout::TopicManifest("s", "gps")));
  EXPECT_TRUE(catalog_->GetTopic("s", "gps").ok());
}

TEST_F(CrashRepairTest, ATopicDeletionIsFinished) {
  World("t");
  auto topic = *catalog_->GetTopic("t", "imu");
  ASSERT_TRUE(store_->PutAtomic(layout::TopicTombstone("t", "imu"),
                                lifecycle::TombstoneJson(lifecycle::TombstoneOf(topic, 1))).ok());
  ASSERT_TRUE(store_->Delete(layout::TopicSchema("t", "imu")).ok());
  EXPECT_EQ(Findings(), Strings{"pending_deletion t/imu finish_deletion"});
  RepairAndExpectClean();
  EXPECT_TRUE(catalog_->GetTopic("t", "imu").status().IsKeyError());
  EXPECT_TRUE(store_->List(layout::TopicDir("t", "imu"), true)->empty());
  EXPECT_TRUE(catalog_->GetSequence("t").ok());
}

TEST_F(CrashRepairTest, AFinalizeMarkerTheCatalogMissedLocksTheSession) {
  auto session = World("f");
  ASSERT_TRUE(store_->PutAtomic(layout::SessionFinalizedMarker("f", session.key),
                                lifecycle::SessionFinalizedJson(777)).ok());
  EXPECT_EQ(Findings(), Strings{"unlocked_in_catalog f:" + session.key + " lock_session"});
  RepairAndExpectClean();
  auto locked = *catalog_->GetSession("f", session.key);
  EXPECT_TRUE(locked.locked);
  EXPECT_EQ(locked.completed_at_ns, 777);
  EXPECT_TRUE(catalog_->GetTopic("f", "imu")->locked);
}

TEST_F(CrashRepairTest, AFinalizeCompletedByRepairAsksForCompactionLikeTheFinalizeWould) {
  auto session = World("k", /*with_upload=*/false);
  auto topic = *catalog_->GetTopic("k", "imu");
  ASSERT_TRUE(store_->PutAtomic(layout::TopicSchema("k", "imu"), Schema()).ok());
  ASSERT_TRUE(catalog_->SetTopicSchema(topic.id, Schema()).ok());
  auto manifest = PutUpload("k", "imu", NewUploadId(), /*chunks=*/3);
  ASSERT_TRUE(catalog_->CommitTopicData(topic.id, manifest.upload_id, manifest.chunks).ok());
  ASSERT_TRUE(store_->PutAtomic(layout::SessionFinalizedMarker("k", session.key),
                                lifecycle::SessionFinalizedJson(999)).ok());
  auto compactions = [&] {
    std::vector<std::string> keys;
    for (const auto& job : *catalog_->ListJobs(std::nullopt, 100)) {
      if (job.kind == lifecycle::kCompactTopicJob) keys.push_back(job.dedup_key);
    }
    return keys;
  };
  EXPECT_EQ(compactions(), Strings{});
  RepairAndExpectClean();
  EXPECT_EQ(compactions(), Strings{lifecycle::CompactTopicDedupKey("k", "imu")});
}

TEST_F(CrashRepairTest, AStoreCommittedUploadIsCommittedBeforeTheSessionIsLocked) {
  // The upload crashed after upload.json (before its catalog commit), then the finalize crashed after its marker.
  auto session = World("u", /*with_upload=*/false);
  ASSERT_TRUE(store_->PutAtomic(layout::TopicSchema("u", "imu"), Schema()).ok());
  auto manifest = PutUpload("u", "imu", NewUploadId());
  ASSERT_TRUE(store_->PutAtomic(layout::SessionFinalizedMarker("u", session.key),
                                lifecycle::SessionFinalizedJson(888)).ok());
  EXPECT_EQ(Findings(), (Strings{"uncommitted_upload u/imu commit_upload",
                                 "unlocked_in_catalog u:" + session.key + " lock_session"}));
  RepairAndExpectClean();
  auto topic = *catalog_->GetTopic("u", "imu");
  EXPECT_EQ(topic.upload_id, manifest.upload_id);
  EXPECT_EQ(topic.schema_ipc, Schema());
  EXPECT_TRUE(topic.locked);
  EXPECT_EQ(catalog_->ListChunks(topic.id, false)->size(), 1u);
}

TEST_F(CrashRepairTest, AStoreCommittedUploadOfALockedTopicIsOnlyReported) {
  auto session = World("l", /*with_upload=*/false);
  ASSERT_TRUE(lc_->FinalizeSession(session.uuid).ok());
  PutUpload("l", "imu", NewUploadId());
  EXPECT_EQ(Findings(), Strings{"uncommitted_upload l/imu none"});
}

TEST_F(CrashRepairTest, ASchemaSnapshotOfAnUploadCutBeforeItsCatalogRecordIsDropped) {
  World("o", /*with_upload=*/false);
  ASSERT_TRUE(store_->PutAtomic(layout::TopicSchema("o", "imu"), Schema()).ok());
  EXPECT_EQ(Findings(), Strings{"orphan_schema o/imu drop_orphan_schema"});
  RepairAndExpectClean();
  EXPECT_FALSE(Exists(layout::TopicSchema("o", "imu")));
}

TEST_F(CrashRepairTest, NotificationsAreRealignedToTheStore) {
  World("n");
  // A notify cut after its store object; a purge cut after the store (catalog rows left).
  catalog::NotificationRecord lost{0, "n", std::string("imu"), "error", "lost", NowNs() - 5};
  ASSERT_TRUE(store_->PutAtomic(layout::NotificationObject("n", "imu", lost.created_at_ns, "01LOST"),
                                lifecycle::NotificationJson(lost, "01LOST")).ok());
  ASSERT_TRUE(store_->DeletePrefix(layout::NotificationsDir("n", "")).ok());
  EXPECT_EQ(Findings(), (Strings{"notifications_mismatch n sync_notifications",
                                 "notifications_mismatch n/imu sync_notifications"}));
  RepairAndExpectClean();
  EXPECT_TRUE(catalog_->ListNotifications("n", std::nullopt)->empty());
  EXPECT_EQ(catalog_->ListNotifications("n", std::string("imu"))->size(), 2u);
}

TEST_F(CrashRepairTest, AYoungStoreNotificationMayStillBeOnItsWay) {
  World("y");
  catalog::NotificationRecord fresh{0, "y", std::nullopt, "error", "fresh", NowNs()};
  ASSERT_TRUE(store_->PutAtomic(layout::NotificationObject("y", "", fresh.created_at_ns, "01FRESH"),
                                lifecycle::NotificationJson(fresh, "01FRESH")).ok());
  options_.min_upload_age_ns = 3600LL * 1000000000;
  EXPECT_EQ(Findings(), Strings{"notifications_mismatch y none"});
}

TEST_F(CrashRepairTest, ASupersededUploadIsAgedByTheUploadThatReplacedIt) {
  // A compaction swapped an old upload (created two hours ago) for a new one a moment ago: readers may still stream
  // the old data during the grace period, so repair must not delete it however old the old upload itself is.
  constexpr int64_t kHour = 3600LL * 1000000000;
  options_.min_upload_age_ns = kHour;
  EXPECT_TRUE(lc_->CreateSequence("g", "{}").ok());
  auto session = *lc_->CreateSession("g");
  auto topic = *lc_->CreateTopic({session.uuid, TopicLocator{"g", "imu"}, "default", "imu", "{}"});
  ASSERT_TRUE(store_->PutAtomic(layout::TopicSchema("g", "imu"), Schema()).ok());
  ASSERT_TRUE(catalog_->SetTopicSchema(topic.id, Schema()).ok());
  auto old_upload = PutUpload("g", "imu", NewUlid(NowNs() - 2 * kHour));
  ASSERT_TRUE(catalog_->CommitTopicData(topic.id, old_upload.upload_id, old_upload.chunks).ok());
  auto new_upload = PutUpload("g", "imu", NewUploadId());
  ASSERT_TRUE(
      catalog_->ReplaceTopicData(topic.id, old_upload.upload_id, new_upload.upload_id, new_upload.chunks).ok());
  const std::string old_dir = layout::UploadDir("g", "imu", old_upload.upload_id);
  EXPECT_EQ(Findings(), Strings{"superseded_upload " + old_dir + " none"});

  // Once the replacing upload is itself older than the minimum age, the old one is garbage.
  options_.now_ns = NowNs() + 2 * kHour;
  EXPECT_EQ(Findings(), Strings{"superseded_upload " + old_dir + " delete_upload"});
  RepairAndExpectClean();
  EXPECT_FALSE(Exists(layout::UploadManifest("g", "imu", old_upload.upload_id)));
  EXPECT_TRUE(Exists(layout::UploadManifest("g", "imu", new_upload.upload_id)));
}

TEST_F(CrashRepairTest, StartupRecoveryFinishesProtocolsButLeavesGarbageToCheck) {
  auto session = World("st", /*with_upload=*/false);
  PutUpload("st", "imu", NewUploadId());  // store-committed, not in the catalog
  const std::string interrupted = layout::UploadDir("st", "imu", "00000000000000000000000000");
  ASSERT_TRUE(store_->PutAtomic(interrupted + "/chunk-000000.parquet", "cut").ok());
  World("gone");
  auto gone = *catalog_->GetSequence("gone");
  ASSERT_TRUE(store_->PutAtomic(layout::SequenceTombstone("gone"),
                                lifecycle::TombstoneJson(lifecycle::TombstoneOf(gone, 1))).ok());
  ASSERT_TRUE(catalog_->CreateSequence("half", "{}", NowNs()).ok());  // create cut before its manifest

  auto report = RecoverAtStartup(*catalog_, *store_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->repaired, 3);
  ASSERT_EQ(report->left.size(), 1u);
  EXPECT_EQ(report->left[0].kind, "interrupted_upload");
  EXPECT_EQ(report->left[0].action, Action::kDeleteUpload);  // for `check --repair`
  EXPECT_TRUE(catalog_->GetTopic("st", "imu")->upload_id.has_value());
  EXPECT_TRUE(catalog_->GetSequence("gone").status().IsKeyError());
  EXPECT_TRUE(Exists(layout::SequenceManifest("half")));
  EXPECT_FALSE(catalog_->GetSession("st", session.key)->locked);

  RepairAndExpectClean();
  EXPECT_FALSE(Exists(interrupted + "/chunk-000000.parquet"));
}

TEST_F(CrashRepairTest, RestoreSkipsWhatIsBeingDeleted) {
  auto doomed = World("r");
  auto kept = *lc_->CreateSession("r");
  ASSERT_TRUE(lc_->CreateTopic({kept.uuid, TopicLocator{"r", "gps"}, "default", "gps", "{}"}).ok());
  ASSERT_TRUE(store_->PutAtomic(layout::SessionTombstone("r", doomed.key),
                                lifecycle::TombstoneJson(lifecycle::TombstoneOf(doomed, 1))).ok());
  auto snapshot = *ScanStore(*store_);
  ASSERT_EQ(snapshot.sequences.size(), 1u);
  ASSERT_EQ(snapshot.deletions.size(), 1u);
  EXPECT_EQ(snapshot.deletions[0].topics, Strings{"imu"});
  EXPECT_TRUE(snapshot.problems.empty());
  auto fresh = *catalog::OpenCatalog("sqlite://" + (dir_.path() / "rebuilt.db").string());
  ASSERT_TRUE(RestoreAll(snapshot, *fresh).ok());
  EXPECT_EQ(fresh->ListSessions("r")->size(), 1u);
  EXPECT_TRUE(fresh->GetTopic("r", "imu").status().IsKeyError());
  EXPECT_TRUE(fresh->GetTopic("r", "gps").ok());
}

TEST(TombstoneKeysTest, ParseKeyRecognizesThem) {
  using Kind = layout::ObjectRef::Kind;
  auto seq = layout::ParseKey(layout::SequenceTombstone("s"));
  EXPECT_EQ(seq.kind, Kind::kSequenceTombstone);
  EXPECT_EQ(seq.sequence, "s");
  auto session = layout::ParseKey(layout::SessionTombstone("s", "01K"));
  EXPECT_EQ(session.kind, Kind::kSessionTombstone);
  EXPECT_EQ(session.session_key, "01K");
  auto topic = layout::ParseKey(layout::TopicTombstone("s", "a/b"));
  EXPECT_EQ(topic.kind, Kind::kTopicTombstone);
  EXPECT_EQ(topic.topic, "a/b");
  EXPECT_EQ(layout::ParseKey("sequences/s/topics/a/uploads/deleting.json").kind, Kind::kUnknown);
}

}  // namespace
}  // namespace mosaico::recovery
