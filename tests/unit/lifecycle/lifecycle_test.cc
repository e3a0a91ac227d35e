// Lifecycle against a real SQLite catalog file and a real local-directory store.
#include "mosaico/lifecycle/lifecycle.h"

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "mosaico/core/errors.h"
#include "mosaico/store/layout.h"

namespace mosaico::lifecycle {
namespace {
namespace layout = store::layout;

bool IsFailedPrecondition(const arrow::Status& st) {
  ErrorKind kind;
  return GetErrorKind(st, &kind) && kind == ErrorKind::kFailedPrecondition;
}

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mosaico-lifecycle-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto catalog = catalog::OpenCatalog("sqlite://" + dir_ + "/catalog.db");
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    auto store = store::ObjectStore::Open(dir_ + "/store");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = *store;
    lc_ = std::make_unique<Lifecycle>(*catalog, store_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  bool Exists(const std::string& key) { return *store_->Exists(key); }

  // Creates seq + session + topic; returns the session.
  catalog::SessionRecord Setup(const std::string& seq, catalog::TopicRecord* topic = nullptr) {
    EXPECT_TRUE(lc_->CreateSequence(seq, R"({"k":1})").ok());
    auto session = lc_->CreateSession(seq);
    EXPECT_TRUE(session.ok());
    CreateTopicRequest req{session->uuid, TopicLocator{seq, "front/imu"}, "default", "imu", "{}"};
    auto t = lc_->CreateTopic(req);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    if (topic) *topic = *t;
    return *session;
  }

  std::string dir_;
  std::shared_ptr<store::ObjectStore> store_;
  std::unique_ptr<Lifecycle> lc_;
};

TEST_F(LifecycleTest, CreateWritesManifestsAndRejectsDuplicatesWithoutTouchingThem) {
  catalog::TopicRecord topic;
  auto session = Setup("run_1", &topic);
  EXPECT_TRUE(Exists(layout::SequenceManifest("run_1")));
  EXPECT_TRUE(Exists(layout::SessionManifest("run_1", session.key)));
  EXPECT_TRUE(Exists(layout::TopicManifest("run_1", "front/imu")));
  auto before = (*store_->Get(layout::SequenceManifest("run_1")))->ToString();

  auto dup = lc_->CreateSequence("run_1", R"({"other":true})");
  EXPECT_TRUE(dup.status().IsAlreadyExists()) << dup.status().ToString();
  EXPECT_EQ((*store_->Get(layout::SequenceManifest("run_1")))->ToString(), before);

  CreateTopicRequest again{session.uuid, TopicLocator{"run_1", "front/imu"}, "default", "imu", "{}"};
  EXPECT_TRUE(lc_->CreateTopic(again).status().IsAlreadyExists());
}

TEST_F(LifecycleTest, TopicCreateValidatesItsInput) {
  auto session = Setup("run_2");
  CreateTopicRequest bad_format{session.uuid, TopicLocator{"run_2", "x"}, "protobuf", "imu", "{}"};
  EXPECT_TRUE(lc_->CreateTopic(bad_format).status().IsInvalid());
  CreateTopicRequest other_seq{session.uuid, TopicLocator{"elsewhere", "x"}, "default", "imu", "{}"};
  EXPECT_TRUE(lc_->CreateTopic(other_seq).status().IsInvalid());
  CreateTopicRequest unknown_session{"nope", TopicLocator{"run_2", "x"}, "default", "imu", "{}"};
  EXPECT_TRUE(lc_->CreateTopic(unknown_session).status().IsKeyError());
  EXPECT_TRUE(lc_->CreateSession("missing").status().IsKeyError());
}

TEST_F(LifecycleTest, FinalizeLocksAndThenRefusesWrites) {
  catalog::TopicRecord topic;
  auto session = Setup("run_3", &topic);
  ASSERT_TRUE(lc_->FinalizeSession(session.uuid).ok());
  EXPECT_TRUE(Exists(layout::SessionFinalizedMarker("run_3", session.key)));

  EXPECT_TRUE(IsFailedPrecondition(lc_->FinalizeSession(session.uuid)));
  CreateTopicRequest late{session.uuid, TopicLocator{"run_3", "late"}, "default", "imu", "{}"};
  EXPECT_TRUE(IsFailedPrecondition(lc_->CreateTopic(late).status()));
  EXPECT_TRUE(IsFailedPrecondition(lc_->AdmitUpload(TopicLocator{"run_3", "front/imu"}, topic.uuid).status()));
  EXPECT_TRUE(IsFailedPrecondition(lc_->DeleteTopic(TopicLocator{"run_3", "front/imu"})));
  EXPECT_TRUE(lc_->FinalizeSession("unknown-uuid").IsKeyError());
}

// mosaicolabs 0.7.0: session_delete "permanently deletes a session and all its associated data", finalized or not.
TEST_F(LifecycleTest, FinalizedSessionIsDeletedWithItsTopicsAndTheSequenceStays) {
  catalog::TopicRecord kept_topic;
  auto kept = Setup("run_3b", &kept_topic);
  ASSERT_TRUE(lc_->FinalizeSession(kept.uuid).ok());
  auto extra = lc_->CreateSession("run_3b");
  ASSERT_TRUE(extra.ok()) << extra.status().ToString();
  CreateTopicRequest req{extra->uuid, TopicLocator{"run_3b", "extra"}, "default", "imu", "{}"};
  ASSERT_TRUE(lc_->CreateTopic(req).ok());
  ASSERT_TRUE(lc_->FinalizeSession(extra->uuid).ok());
  ASSERT_TRUE(Exists(layout::SessionFinalizedMarker("run_3b", extra->key)));

  ASSERT_TRUE(lc_->DeleteSession(SessionLocator{"run_3b", extra->key}).ok());
  EXPECT_FALSE(Exists(layout::SessionManifest("run_3b", extra->key)));
  EXPECT_FALSE(Exists(layout::SessionFinalizedMarker("run_3b", extra->key)));
  EXPECT_FALSE(Exists(layout::SessionTombstone("run_3b", extra->key)));
  EXPECT_FALSE(Exists(layout::TopicManifest("run_3b", "extra")));
  EXPECT_TRUE(lc_->catalog()->GetTopic("run_3b", "extra").status().IsKeyError());
  EXPECT_TRUE(lc_->catalog()->GetSession("run_3b", extra->key).status().IsKeyError());
  // The sequence and its other (finalized) session stay, untouched.
  EXPECT_TRUE(Exists(layout::SequenceManifest("run_3b")));
  EXPECT_TRUE(Exists(layout::SessionFinalizedMarker("run_3b", kept.key)));
  auto still = lc_->catalog()->GetTopic("run_3b", "front/imu");
  ASSERT_TRUE(still.ok());
  EXPECT_TRUE(still->locked);
  auto sessions = lc_->catalog()->ListSessions("run_3b");
  ASSERT_TRUE(sessions.ok());
  ASSERT_EQ(sessions->size(), 1u);
  EXPECT_EQ(sessions->front().key, kept.key);
}

TEST_F(LifecycleTest, AdmitUploadChecksTokenAndKeepsOneStreamPerTopic) {
  catalog::TopicRecord topic;
  auto session = Setup("run_4", &topic);
  TopicLocator loc{"run_4", "front/imu"};
  ErrorKind kind;
  auto wrong = lc_->AdmitUpload(loc, "not-the-token");
  ASSERT_FALSE(wrong.ok());
  ASSERT_TRUE(GetErrorKind(wrong.status(), &kind));
  EXPECT_EQ(kind, ErrorKind::kPermissionDenied);
  EXPECT_TRUE(lc_->AdmitUpload(TopicLocator{"run_4", "nope"}, topic.uuid).status().IsKeyError());
  {
    auto first = lc_->AdmitUpload(loc, topic.uuid);
    ASSERT_TRUE(first.ok());
    EXPECT_TRUE(IsFailedPrecondition(lc_->AdmitUpload(loc, topic.uuid).status()));
    EXPECT_TRUE(IsFailedPrecondition(lc_->FinalizeSession(session.uuid)));
    EXPECT_TRUE(IsFailedPrecondition(lc_->DeleteTopic(loc)));
  }
  EXPECT_TRUE(lc_->AdmitUpload(loc, topic.uuid).ok());  // the guard released the slot
  EXPECT_TRUE(lc_->FinalizeSession(session.uuid).ok());
}

TEST_F(LifecycleTest, DeletesRemoveObjectsAndRows) {
  catalog::TopicRecord topic;
  auto session = Setup("run_5", &topic);
  ASSERT_TRUE(lc_->DeleteTopic(TopicLocator{"run_5", "front/imu"}).ok());
  EXPECT_FALSE(Exists(layout::TopicManifest("run_5", "front/imu")));
  EXPECT_TRUE(lc_->catalog()->GetTopic("run_5", "front/imu").status().IsKeyError());

  ASSERT_TRUE(lc_->DeleteSession(SessionLocator{"run_5", session.key}).ok());
  EXPECT_FALSE(Exists(layout::SessionManifest("run_5", session.key)));
  EXPECT_TRUE(lc_->DeleteSession(SessionLocator{"run_5", session.key}).IsKeyError());

  auto s2 = Setup("run_6");
  ASSERT_TRUE(lc_->FinalizeSession(s2.uuid).ok());
  ASSERT_TRUE(lc_->DeleteSequence("run_6").ok());  // a finalized sequence can be deleted as a whole
  EXPECT_TRUE(store_->List(layout::SequenceDir("run_6"))->empty());
  EXPECT_TRUE(lc_->catalog()->GetSequence("run_6").status().IsKeyError());
  EXPECT_TRUE(lc_->DeleteSequence("run_6").IsKeyError());
}

TEST_F(LifecycleTest, NotificationsAreStoredListedAndPurgedPerLevel) {
  Setup("run_7");
  ASSERT_TRUE(lc_->Notify("run_7", std::nullopt, "error", "sequence broke").ok());
  ASSERT_TRUE(lc_->Notify("run_7", std::string("front/imu"), "error", "topic broke").ok());
  EXPECT_TRUE(lc_->Notify("run_7", std::string("missing"), "error", "x").status().IsKeyError());
  EXPECT_TRUE(lc_->Notify("run_7", std::nullopt, "", "x").status().IsInvalid());
  EXPECT_TRUE(lc_->Notify("run_7", std::nullopt, "warning", "x").status().IsInvalid());

  auto seq_level = lc_->ListNotifications("run_7", std::nullopt);
  ASSERT_TRUE(seq_level.ok());
  ASSERT_EQ(seq_level->size(), 1u);
  EXPECT_EQ((*seq_level)[0].msg, "sequence broke");
  EXPECT_EQ(store_->List(layout::NotificationsDir("run_7", ""))->size(), 1u);
  EXPECT_EQ(store_->List(layout::NotificationsDir("run_7", "front/imu"))->size(), 1u);

  ASSERT_TRUE(lc_->PurgeNotifications("run_7", std::string("front/imu")).ok());
  EXPECT_TRUE(lc_->ListNotifications("run_7", std::string("front/imu"))->empty());
  EXPECT_EQ(lc_->ListNotifications("run_7", std::nullopt)->size(), 1u);
  EXPECT_TRUE(store_->List(layout::NotificationsDir("run_7", "front/imu"))->empty());
}

}  // namespace
}  // namespace mosaico::lifecycle
