// Store GC: removes interrupted and superseded uploads, leftover temp objects and orphan schema snapshots once older
// than the minimum age, never anything live or young, never a repair that changes the catalog; prunes old jobs.
#include <fstream>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "jobs/jobs_test_util.h"
#include "mosaico/ingest/schema_check.h"
#include "mosaico/jobs/gc.h"
#include "mosaico/lifecycle/manifests.h"

namespace mosaico::jobs::queue_testing {
namespace {

namespace layout = store::layout;

class GcTest : public QueueTest {
 protected:
  GcReport Gc(int64_t now_ns, int64_t min_age_ns = kHour) {
    GcOptions o;
    o.min_age_ns = min_age_ns;
    auto r = CollectGarbage(*lc_, o, now_ns);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : GcReport{};
  }

  // rec:<session> with topic imu holding a committed upload (store and catalog).
  std::string CommittedTopic(const std::string& topic_name = "imu", int64_t upload_ns = 0) {
    if (!catalog_->GetSequence("rec").ok()) session_ = OpenSession("rec", {});
    EXPECT_TRUE(lc_->CreateTopic({session_.uuid, TopicLocator{"rec", topic_name}, "default", "imu", "{}"}).ok());
    auto topic = *catalog_->GetTopic("rec", topic_name);
    const std::string id = NewUlid(upload_ns != 0 ? upload_ns : NowNs());
    auto m = PutCommittedUpload("rec", topic_name, id);
    EXPECT_TRUE(catalog_->CommitTopicData(topic.id, id, m.chunks).ok());
    return id;
  }

  void PutTempObject(const std::string& key) {
    std::ofstream((dir_.path() / "store" / key).string()) << "half-written";
  }

  static std::string Schema() {
    return *ingest::SerializeSchema(*arrow::schema({arrow::field("timestamp_ns", arrow::int64(), false)}));
  }

  static std::vector<std::string> Subjects(const std::vector<recovery::Finding>& findings) {
    std::vector<std::string> out;
    for (const auto& f : findings) out.push_back(f.subject);
    std::sort(out.begin(), out.end());
    return out;
  }

  catalog::SessionRecord session_;
};

TEST_F(GcTest, RemovesOldGarbageAndNothingElse) {
  const std::string live = CommittedTopic();
  const std::string cut = NewUlid(NowNs());
  PutInterruptedUpload("rec", "imu", cut);
  PutTempObject("sequences/rec/.tmp-1234");
  ASSERT_TRUE(lc_->CreateTopic({session_.uuid, TopicLocator{"rec", "cam"}, "default", "image", "{}"}).ok());
  ASSERT_TRUE(store_->PutAtomic(layout::TopicSchema("rec", "cam"), Schema()).ok());  // upload cut before the catalog

  // Young: everything stays (an upload, a write, a DoPut may be in flight).
  auto young = Gc(NowNs());
  EXPECT_TRUE(young.removed.empty());
  EXPECT_TRUE(young.failed.empty());
  EXPECT_EQ(young.deferred, 2);  // temp object and schema: Check itself already spares the young upload
  EXPECT_TRUE(Exists(layout::ChunkObject("rec", "imu", cut, 0)));
  EXPECT_TRUE(Exists(layout::TopicSchema("rec", "cam")));

  auto old = Gc(NowNs() + 2 * kHour);
  EXPECT_EQ(Subjects(old.removed),
            (std::vector<std::string>{"rec/cam", "sequences/rec/.tmp-1234", layout::UploadDir("rec", "imu", cut)}));
  EXPECT_TRUE(old.failed.empty());
  EXPECT_FALSE(Exists(layout::ChunkObject("rec", "imu", cut, 0)));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "store" / "sequences/rec/.tmp-1234"));
  EXPECT_FALSE(Exists(layout::TopicSchema("rec", "cam")));
  // Live data intact, catalog untouched.
  EXPECT_TRUE(Exists(layout::UploadManifest("rec", "imu", live)));
  EXPECT_TRUE(Exists(layout::ChunkObject("rec", "imu", live, 0)));
  EXPECT_EQ(catalog_->GetTopic("rec", "imu")->upload_id, std::optional<std::string>(live));
  EXPECT_TRUE(Exists(layout::TopicManifest("rec", "cam")));

  // Idempotent.
  EXPECT_TRUE(Gc(NowNs() + 3 * kHour).removed.empty());
}

// A superseded upload (compaction's old data) waits until the upload that replaced it is older than the minimum
// age, so reads that started on the old chunks can finish; the catalog's upload is never removed.
TEST_F(GcTest, ASupersededUploadGoesOnlyOnceItsReplacementIsOldEnough) {
  const int64_t t0 = NowNs();
  const std::string old_id = NewUlid(t0);
  const std::string new_id = NewUlid(t0 + kHour / 2);
  session_ = OpenSession("rec", {"imu"});
  auto topic = *catalog_->GetTopic("rec", "imu");
  PutCommittedUpload("rec", "imu", old_id);
  auto m = PutCommittedUpload("rec", "imu", new_id);
  ASSERT_TRUE(catalog_->CommitTopicData(topic.id, new_id, m.chunks).ok());  // as after the swap

  auto early = Gc(t0 + kHour + 10 * 60 * kSecond);  // old upload 70 min old, its replacement 40 min
  EXPECT_TRUE(early.removed.empty());
  EXPECT_TRUE(early.failed.empty());
  EXPECT_TRUE(Exists(layout::UploadManifest("rec", "imu", old_id)));

  auto later = Gc(t0 + kHour + 40 * 60 * kSecond);
  EXPECT_EQ(Subjects(later.removed), std::vector<std::string>{layout::UploadDir("rec", "imu", old_id)});
  EXPECT_FALSE(Exists(layout::UploadManifest("rec", "imu", old_id)));
  EXPECT_TRUE(Exists(layout::UploadManifest("rec", "imu", new_id)));
}

// Compaction cut between its new upload.json and the catalog swap: the store's newest upload is not the catalog's.
// The catalog's (older) upload shows up as "superseded" but is live: never removed, and not an error either.
TEST_F(GcTest, TheCatalogsUploadIsNeverRemovedEvenWhenTheStoreHasANewerOne) {
  const int64_t t0 = NowNs();
  const std::string live = CommittedTopic("imu", t0);
  PutCommittedUpload("rec", "imu", NewUlid(t0 + kSecond));
  auto report = Gc(t0 + 5 * kHour);
  EXPECT_TRUE(report.removed.empty());
  EXPECT_TRUE(report.failed.empty());
  EXPECT_TRUE(Exists(layout::UploadManifest("rec", "imu", live)));
}

TEST_F(GcTest, AnInterruptedUploadInASessionStreamingHereWaits) {
  session_ = OpenSession("rec", {"imu"});
  auto topic = *catalog_->GetTopic("rec", "imu");
  const std::string cut = NewUlid(NowNs());
  PutInterruptedUpload("rec", "imu", cut);
  {
    auto admitted = lc_->AdmitUpload(TopicLocator{"rec", "imu"}, topic.uuid);
    ASSERT_TRUE(admitted.ok());
    EXPECT_TRUE(Gc(NowNs() + 2 * kHour).removed.empty());
    EXPECT_TRUE(Exists(layout::ChunkObject("rec", "imu", cut, 0)));
  }
  EXPECT_EQ(Gc(NowNs() + 2 * kHour).removed.size(), 1u);
}

// An upload whose id is old but whose directory was written to recently may be a slow stream of another daemon.
TEST_F(GcTest, AnUploadWithRecentObjectsWaits) {
  session_ = OpenSession("rec", {"imu"});
  const std::string slow = NewUlid(NowNs() - 3 * kHour);
  PutInterruptedUpload("rec", "imu", slow);  // objects written now
  auto report = Gc(NowNs());
  EXPECT_TRUE(report.removed.empty());
  EXPECT_EQ(report.deferred, 1);
  EXPECT_TRUE(Exists(layout::ChunkObject("rec", "imu", slow, 0)));
}

// Findings whose repair would change the catalog or write manifests are left to start-up recovery / check --repair.
TEST_F(GcTest, NeverAppliesARepairThatChangesTheCatalog) {
  session_ = OpenSession("rec", {"imu", "gps"});
  ASSERT_TRUE(store_->PutAtomic(layout::SessionFinalizedMarker("rec", session_.key),
                                lifecycle::SessionFinalizedJson(NowNs()))
                  .ok());                                           // finalize cut before the catalog lock
  ASSERT_TRUE(store_->Delete(layout::TopicManifest("rec", "gps")).ok());  // create cut before the manifest
  auto report = Gc(NowNs() + 2 * kHour);
  EXPECT_TRUE(report.removed.empty());
  EXPECT_FALSE(catalog_->GetSession("rec", session_.key)->locked);
  EXPECT_FALSE(Exists(layout::TopicManifest("rec", "gps")));
}

TEST_F(GcTest, PrunesFinishedJobsPastTheRetention) {
  const int64_t t0 = NowNs();
  auto finished = *catalog_->EnqueueJob("x", "{}", "", 0, t0);
  ASSERT_TRUE(catalog_->ClaimJob("w", t0, kSecond)->has_value());
  ASSERT_TRUE(catalog_->CompleteJob(finished.id, "w", t0).ok());
  auto pending = *catalog_->EnqueueJob("y", "{}", "", t0 + 10 * kHour, t0);
  GcOptions o;
  o.job_retention_ns = kHour;
  auto report = CollectGarbage(*lc_, o, t0 + 2 * kHour);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->jobs_pruned, 1);
  auto left = *catalog_->ListJobs(std::nullopt, 10);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id, pending.id);
}

}  // namespace
}  // namespace mosaico::jobs::queue_testing
