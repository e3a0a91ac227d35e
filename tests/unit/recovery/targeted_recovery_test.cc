// Start-up recovery that looks only where work is pending (recovery/startup_recovery.h) and the notification sync
// (recovery/notification_sync.h), on a real SQLite catalog and local store.
#include <gtest/gtest.h>

#include "../catalog/catalog_test_util.h"
#include "mosaico/core/clock.h"
#include "mosaico/core/ids.h"
#include "mosaico/lifecycle/deletion.h"
#include "mosaico/lifecycle/lifecycle.h"
#include "mosaico/lifecycle/manifests.h"
#include "mosaico/lifecycle/recovery_marks.h"
#include "mosaico/recovery/notification_sync.h"
#include "mosaico/recovery/startup_recovery.h"
#include "mosaico/store/layout.h"

namespace mosaico::recovery {
namespace {

namespace layout = store::layout;
using catalog::testing::TempDir;
constexpr int64_t kSec = 1000000000;

class TargetedRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = *catalog::OpenCatalog("sqlite://" + (dir_.path() / "catalog.db").string());
    store_ = *store::ObjectStore::Open((dir_.path() / "store").string());
    lc_ = std::make_unique<lifecycle::Lifecycle>(catalog_, store_);
  }

  // A finalized sequence whose marks have all run (done), as a long-settled store holds.
  void Settled(const std::string& seq) {
    ASSERT_TRUE(lc_->CreateSequence(seq, "{}").ok());
    auto session = *lc_->CreateSession(seq);
    ASSERT_TRUE(lc_->FinalizeSession(session.uuid).ok());
    DrainMarks();
  }

  void DrainMarks() {
    while (true) {
      auto job = *catalog_->ClaimJob("test", NowNs() + 3600 * kSec, kSec);
      if (!job) return;
      ASSERT_TRUE(catalog_->CompleteJob(job->id, "test", NowNs()).ok());
    }
  }

  // A notification object written as Notify writes it, without its catalog row (a notify cut short).
  void StoreOnlyNotification(const std::string& seq, int64_t created_at_ns, const std::string& msg) {
    catalog::NotificationRecord n;
    n.sequence_name = seq;
    n.notification_type = "error";
    n.msg = msg;
    n.created_at_ns = created_at_ns;
    const std::string id = NewUlid(created_at_ns);
    ASSERT_TRUE(store_->PutAtomic(layout::NotificationObject(seq, "", created_at_ns, id),
                                  lifecycle::NotificationJson(n, id)).ok());
  }

  std::vector<std::string> Messages(const std::string& seq) {
    std::vector<std::string> out;
    for (const auto& n : *catalog_->ListNotifications(seq, std::nullopt)) out.push_back(n.msg);
    return out;
  }

  TempDir dir_;
  std::shared_ptr<catalog::Catalog> catalog_;
  std::shared_ptr<store::ObjectStore> store_;
  std::unique_ptr<lifecycle::Lifecycle> lc_;
};

TEST_F(TargetedRecoveryTest, PendingWorkIsMarksAndOpenSessionsOnly) {
  Settled("old1");
  Settled("old2");
  ASSERT_TRUE(lc_->CreateSequence("empty", "{}").ok());  // no session: a create may have been cut
  ASSERT_TRUE(lc_->CreateSequence("open", "{}").ok());
  ASSERT_TRUE(lc_->CreateSession("open").ok());
  ASSERT_TRUE(lc_->CreateSequence("fin", "{}").ok());
  auto s = *lc_->CreateSession("fin");
  ASSERT_TRUE(lc_->FinalizeSession(s.uuid).ok());  // its recover_sequence mark is pending
  ASSERT_TRUE(lc_->Notify("old1", std::nullopt, "error", "n").ok());  // a pending sync_notifications mark
  auto work = *FindPendingWork(*catalog_);
  EXPECT_EQ(work.sequences, (std::set<std::string>{"empty", "fin", "open"}));
  ASSERT_EQ(work.notifications.size(), 1u);
  EXPECT_EQ(work.notifications[0].sequence, "old1");
  EXPECT_FALSE(work.notifications[0].topic.has_value());
}

TEST_F(TargetedRecoveryTest, AnUnmarkedSequenceIsNotScannedAMarkedOneIsRepaired) {
  Settled("quiet");
  Settled("doomed");
  // A deletion cut right after its tombstone, once with its mark (as DeleteSequence writes it) ...
  auto doomed = *catalog_->GetSequence("doomed");
  ASSERT_TRUE(lifecycle::MarkSequencePending(*catalog_, "doomed", NowNs()).ok());
  ASSERT_TRUE(store_->PutAtomic(layout::SequenceTombstone("doomed"),
                                lifecycle::TombstoneJson(lifecycle::TombstoneOf(doomed, NowNs()))).ok());
  // ... and once planted by hand without one: start-up does not look there (that is `check --repair`'s).
  auto quiet = *catalog_->GetSequence("quiet");
  ASSERT_TRUE(store_->PutAtomic(layout::SequenceTombstone("quiet"),
                                lifecycle::TombstoneJson(lifecycle::TombstoneOf(quiet, NowNs()))).ok());
  auto report = *RecoverAtStartup(*catalog_, *store_);
  EXPECT_EQ(report.repaired, 1);
  EXPECT_TRUE(catalog_->GetSequence("doomed").status().IsKeyError());
  EXPECT_TRUE(catalog_->GetSequence("quiet").ok());
  auto full = *Check(*catalog_, *store_, CheckOptions{.min_upload_age_ns = 0});
  ASSERT_EQ(full.findings.size(), 1u);
  EXPECT_EQ(full.findings[0].subject, "quiet");
}

TEST_F(TargetedRecoveryTest, SyncAddsOldStoreOnlyNotificationsOnceAndDropsPurgedRows) {
  Settled("s");
  StoreOnlyNotification("s", NowNs() - 60 * kSec, "cut");
  auto r = *SyncNotificationsOf(*catalog_, *store_, "s", std::nullopt);
  EXPECT_EQ(r.added, 1);
  EXPECT_EQ(Messages("s"), std::vector<std::string>{"cut"});
  r = *SyncNotificationsOf(*catalog_, *store_, "s", std::nullopt);  // idempotent
  EXPECT_EQ(r.added, 0);
  EXPECT_EQ(Messages("s"), std::vector<std::string>{"cut"});
  ASSERT_TRUE(store_->DeletePrefix(layout::NotificationsDir("s", "")).ok());  // a purge cut before its rows
  r = *SyncNotificationsOf(*catalog_, *store_, "s", std::nullopt);
  EXPECT_EQ(r.dropped, 1);
  EXPECT_TRUE(Messages("s").empty());
  EXPECT_TRUE(SyncNotificationsOf(*catalog_, *store_, "gone", std::nullopt).ok()) << "unknown: nothing to do";
}

TEST_F(TargetedRecoveryTest, SyncWaitsOutANotifyThatMayBeInFlight) {
  Settled("s");
  const int64_t t0 = NowNs();
  StoreOnlyNotification("s", t0, "young");
  NotificationSyncOptions options;
  options.in_flight_ns = kSec / 2;
  auto r = *SyncNotificationsOf(*catalog_, *store_, "s", std::nullopt, options);
  EXPECT_GE(NowNs() - t0, options.in_flight_ns) << "a young store-only notification is waited for";
  EXPECT_EQ(r.added, 1);
  EXPECT_EQ(Messages("s"), std::vector<std::string>{"young"});
}

TEST_F(TargetedRecoveryTest, StartupRunsTheSyncJobOnceAndCompletesIt) {
  Settled("s");
  ASSERT_TRUE(lifecycle::MarkNotificationsPending(*catalog_, "s", std::nullopt, NowNs()).ok());
  StoreOnlyNotification("s", NowNs() - 60 * kSec, "cut");  // the notify died after its object
  auto report = *RecoverAtStartup(*catalog_, *store_);
  EXPECT_EQ(report.repaired, 1);
  EXPECT_EQ(Messages("s"), std::vector<std::string>{"cut"});
  auto jobs = *catalog_->ListJobs(std::nullopt, 100);
  int syncs = 0;
  for (const auto& j : jobs) {
    if (j.kind != lifecycle::kSyncNotificationsJob) continue;
    ++syncs;
    EXPECT_EQ(j.state, catalog::JobRecord::State::kDone);
    EXPECT_EQ(j.attempts, 1);
  }
  EXPECT_EQ(syncs, 1);
  report = *RecoverAtStartup(*catalog_, *store_);  // nothing left
  EXPECT_EQ(report.repaired, 0);
  EXPECT_EQ(Messages("s"), std::vector<std::string>{"cut"});
}

}  // namespace
}  // namespace mosaico::recovery
