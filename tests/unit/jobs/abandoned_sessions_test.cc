// Abandoned-session sweep: an unfinalized session idle past the limit is removed with its topics and reported by
// one sequence-level "error" notification; every kind of activity keeps a session; finalized sessions are never
// touched; re-runs (after a crash between notification and delete) neither repeat the notification nor fail.
#include <gtest/gtest.h>

#include "jobs/jobs_test_util.h"
#include "mosaico/jobs/abandoned_sessions.h"

namespace mosaico::jobs::queue_testing {
namespace {

namespace layout = store::layout;

class AbandonedSessionsTest : public QueueTest {
 protected:
  AbandonedSessionsReport Sweep(int64_t now_ns, int64_t idle_ns = kHour) {
    AbandonedSessionsOptions o;
    o.idle_ns = idle_ns;
    auto r = SweepAbandonedSessions(*lc_, o, now_ns);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : AbandonedSessionsReport{};
  }

  std::vector<catalog::NotificationRecord> SequenceNotes(const std::string& seq) {
    auto r = catalog_->ListNotifications(seq, std::nullopt);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<catalog::NotificationRecord>{};
  }

  bool SessionExists(const std::string& seq, const std::string& key) { return catalog_->GetSession(seq, key).ok(); }

  size_t ObjectsUnder(const std::string& prefix) {
    auto r = store_->List(prefix);
    return r.ok() ? r->size() : 0;
  }
};

TEST_F(AbandonedSessionsTest, RemovesAnIdleUnfinalizedSessionWithItsTopicsAndReportsIt) {
  auto idle = OpenSession("rec", {"imu", "cam/front"});
  auto done = OpenSession("rec", {"gps"});
  ASSERT_TRUE(lc_->FinalizeSession(done.uuid).ok());
  ASSERT_TRUE(store_->PutAtomic(layout::ChunkObject("rec", "imu", NewUlid(NowNs()), 0), "partial").ok());

  auto report = Sweep(NowNs() + 2 * kHour);
  ASSERT_EQ(report.removed, std::vector<std::string>{"rec:" + idle.key});
  EXPECT_EQ(report.sessions_checked, 1);  // the finalized one is not even a candidate

  EXPECT_FALSE(SessionExists("rec", idle.key));
  EXPECT_FALSE(catalog_->GetTopic("rec", "imu").ok());
  EXPECT_FALSE(catalog_->GetTopic("rec", "cam/front").ok());
  EXPECT_EQ(ObjectsUnder(layout::TopicDir("rec", "imu")), 0u);
  EXPECT_EQ(ObjectsUnder(layout::SessionDir("rec", idle.key)), 0u);
  // The rest of the sequence is untouched.
  EXPECT_TRUE(SessionExists("rec", done.key));
  EXPECT_TRUE(catalog_->GetTopic("rec", "gps").ok());
  EXPECT_TRUE(Exists(layout::SequenceManifest("rec")));
  EXPECT_TRUE(Exists(layout::SessionFinalizedMarker("rec", done.key)));

  auto notes = SequenceNotes("rec");
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].notification_type, "error");
  const std::string& msg = notes[0].msg;
  EXPECT_EQ(msg.rfind("abandoned session 'rec:" + idle.key + "'", 0), 0u) << msg;
  EXPECT_NE(msg.find("[cam/front, imu]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("idle for 2.0 h"), std::string::npos) << msg;
  EXPECT_NE(msg.find("limit 60.0 min"), std::string::npos) << msg;
  // The notification is in the store too (source of truth), not only in the catalog.
  EXPECT_EQ(ObjectsUnder(layout::NotificationsDir("rec", "")), 1u);

  // A second run finds nothing to do.
  EXPECT_TRUE(Sweep(NowNs() + 3 * kHour).removed.empty());
  EXPECT_EQ(SequenceNotes("rec").size(), 1u);
}

TEST_F(AbandonedSessionsTest, YoungSessionsStay) {
  auto s = OpenSession("rec", {"imu"});
  EXPECT_TRUE(Sweep(NowNs()).removed.empty());
  EXPECT_TRUE(Sweep(NowNs() + kHour / 2).removed.empty());
  EXPECT_TRUE(SessionExists("rec", s.key));
  EXPECT_TRUE(SequenceNotes("rec").empty());
}

TEST_F(AbandonedSessionsTest, ARecentCommittedUploadOrTopicKeepsTheSession) {
  const int64_t now = NowNs() + 2 * kHour;
  auto with_upload = OpenSession("a", {"imu"});
  auto topic = *catalog_->GetTopic("a", "imu");
  const std::string upload_id = NewUlid(now - kHour / 2);  // committed 30 min before the sweep
  ASSERT_TRUE(catalog_->CommitTopicData(topic.id, upload_id, {}).ok());

  ASSERT_TRUE(lc_->CreateSequence("b", "{}").ok());
  auto with_topic = *catalog_->CreateSession("b", "KEYB", "uuid-b", NowNs());
  catalog::TopicRecord t;
  t.sequence_id = with_topic.sequence_id;
  t.session_id = with_topic.id;
  t.name = "late";
  t.uuid = "tuuid-late";
  t.created_at_ns = now - kHour / 4;  // a topic added 15 min before the sweep
  ASSERT_TRUE(catalog_->CreateTopic(t).ok());

  auto activity = SessionLastActivityNs(*lc_, with_upload, *catalog_->ListTopics("a"), now);
  ASSERT_TRUE(activity.ok());
  EXPECT_EQ(*activity / 1000000, (now - kHour / 2) / 1000000);  // ULID precision: ms

  EXPECT_TRUE(Sweep(now).removed.empty());
  EXPECT_TRUE(SessionExists("a", with_upload.key));
  EXPECT_TRUE(SessionExists("b", "KEYB"));
  // Both go once idle for long enough.
  EXPECT_EQ(Sweep(now + kHour).removed.size(), 2u);
}

TEST_F(AbandonedSessionsTest, RecentObjectsInTheStoreKeepTheSession) {
  // Catalog rows from two hours ago; a stream (of any daemon) writing chunks right now.
  ASSERT_TRUE(lc_->CreateSequence("rec", "{}").ok());
  const int64_t old = NowNs() - 2 * kHour;
  auto streaming = *catalog_->CreateSession("rec", "STREAMING", "uuid-1", old);
  auto silent = *catalog_->CreateSession("rec", "SILENT", "uuid-2", old);
  for (const auto* s : {&streaming, &silent}) {
    catalog::TopicRecord t;
    t.sequence_id = s->sequence_id;
    t.session_id = s->id;
    t.name = "t_" + s->key;
    t.uuid = "tuuid-" + s->key;
    t.created_at_ns = old;
    ASSERT_TRUE(catalog_->CreateTopic(t).ok());
  }
  PutInterruptedUpload("rec", "t_STREAMING", NewUlid(old));

  auto report = Sweep(NowNs());
  EXPECT_EQ(report.removed, std::vector<std::string>{"rec:SILENT"});
  EXPECT_TRUE(SessionExists("rec", "STREAMING"));
}

TEST_F(AbandonedSessionsTest, AnUploadStreamOpenHereKeepsTheSession) {
  auto s = OpenSession("rec", {"imu"});
  auto topic = *catalog_->GetTopic("rec", "imu");
  {
    auto admitted = lc_->AdmitUpload(TopicLocator{"rec", "imu"}, topic.uuid);
    ASSERT_TRUE(admitted.ok()) << admitted.status().ToString();
    EXPECT_TRUE(Sweep(NowNs() + 2 * kHour).removed.empty());
    EXPECT_TRUE(SessionExists("rec", s.key));
  }  // stream closed
  EXPECT_EQ(Sweep(NowNs() + 2 * kHour).removed.size(), 1u);
}

// A crash after the notification, before the delete: the re-run deletes without a second notification.
TEST_F(AbandonedSessionsTest, ARerunAfterACrashBetweenNotificationAndDeleteDoesNotRepeatTheNotification) {
  auto s = OpenSession("rec", {"imu"});
  ASSERT_TRUE(lc_->Notify("rec", std::nullopt, "error", "abandoned session 'rec:" + s.key + "' removed (earlier run)")
                  .ok());
  ASSERT_TRUE(lc_->Notify("rec", std::nullopt, "error", "an unrelated note").ok());
  EXPECT_EQ(Sweep(NowNs() + 2 * kHour).removed.size(), 1u);
  EXPECT_FALSE(SessionExists("rec", s.key));
  EXPECT_EQ(SequenceNotes("rec").size(), 2u);
}

TEST_F(AbandonedSessionsTest, AStopRequestInterruptsTheSweep) {
  OpenSession("rec", {"imu"});
  AbandonedSessionsOptions o;
  o.idle_ns = kHour;
  auto r = SweepAbandonedSessions(*lc_, o, NowNs() + 2 * kHour, [] { return true; });
  EXPECT_TRUE(r.status().IsCancelled()) << r.status().ToString();
  EXPECT_EQ(catalog_->ListSessions("rec")->size(), 1u);
}

TEST_F(AbandonedSessionsTest, FormatsDurationsForPeople) {
  EXPECT_EQ(FormatDuration(4200000000), "4.2 s");
  EXPECT_EQ(FormatDuration(210 * kSecond), "3.5 min");
  EXPECT_EQ(FormatDuration(25 * kHour), "25.0 h");
}

}  // namespace
}  // namespace mosaico::jobs::queue_testing
