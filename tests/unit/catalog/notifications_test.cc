// Notifications: sequence-level vs topic-level filtering, ordering, purge, cascades.
#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"

namespace mosaico::catalog::testing {
namespace {

class NotificationTest : public OnEachBackend<CatalogTest> {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    MustCreateSequence("seq");
    MustCreateSequence("other");
    session_ = MustCreateSession("seq", "K");
    imu_ = MustCreateTopic(session_, "front/imu");
    MustCreateTopic(session_, "gps");
  }

  NotificationRecord Note(const std::string& seq, std::optional<std::string> topic, const std::string& msg,
                          int64_t ts) {
    NotificationRecord n;
    n.sequence_name = seq;
    n.topic_name = std::move(topic);
    n.notification_type = "error";
    n.msg = msg;
    n.created_at_ns = ts;
    auto added = catalog_->AddNotification(n);
    EXPECT_TRUE(added.ok()) << added.status().ToString();
    return added.ok() ? *added : NotificationRecord{};
  }

  SessionRecord session_;
  TopicRecord imu_;
};

TEST_P(NotificationTest, AddReturnsRecordWithId) {
  NotificationRecord n = Note("seq", std::string("front/imu"), "bad batch", 55);
  EXPECT_GT(n.id, 0);
  EXPECT_EQ(n.sequence_name, "seq");
  EXPECT_EQ(n.topic_name, std::optional<std::string>("front/imu"));
  EXPECT_EQ(n.notification_type, "error");
  EXPECT_EQ(n.msg, "bad batch");
  EXPECT_EQ(n.created_at_ns, 55);
}

TEST_P(NotificationTest, ListFiltersByLevelAndOrdersOldestFirst) {
  Note("seq", std::nullopt, "seq-late", 300);
  Note("seq", std::nullopt, "seq-early", 100);
  Note("seq", std::string("front/imu"), "imu-1", 200);
  Note("seq", std::string("gps"), "gps-1", 50);
  Note("other", std::nullopt, "other-1", 10);

  MOSAICO_ASSERT_OK_AND_ASSIGN(auto seq_level, catalog_->ListNotifications("seq", std::nullopt));
  ASSERT_EQ(seq_level.size(), 2u);
  EXPECT_EQ(seq_level[0].msg, "seq-early");
  EXPECT_EQ(seq_level[1].msg, "seq-late");
  EXPECT_EQ(seq_level[0].sequence_name, "seq");
  EXPECT_FALSE(seq_level[0].topic_name.has_value());

  MOSAICO_ASSERT_OK_AND_ASSIGN(auto imu, catalog_->ListNotifications("seq", std::string("front/imu")));
  ASSERT_EQ(imu.size(), 1u);
  EXPECT_EQ(imu[0].msg, "imu-1");
  EXPECT_EQ(imu[0].topic_name, std::optional<std::string>("front/imu"));
  EXPECT_EQ(imu[0].created_at_ns, 200);

  MOSAICO_ASSERT_OK_AND_ASSIGN(auto other, catalog_->ListNotifications("other", std::nullopt));
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].msg, "other-1");
}

TEST_P(NotificationTest, PurgeRemovesOnlyTheGivenLevel) {
  Note("seq", std::nullopt, "s", 1);
  Note("seq", std::string("front/imu"), "i", 2);
  Note("seq", std::string("gps"), "g", 3);

  MOSAICO_ASSERT_OK(catalog_->PurgeNotifications("seq", std::string("front/imu")));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto imu, catalog_->ListNotifications("seq", std::string("front/imu")));
  EXPECT_TRUE(imu.empty());
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto gps, catalog_->ListNotifications("seq", std::string("gps")));
  EXPECT_EQ(gps.size(), 1u);
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto seq_level, catalog_->ListNotifications("seq", std::nullopt));
  EXPECT_EQ(seq_level.size(), 1u);

  MOSAICO_ASSERT_OK(catalog_->PurgeNotifications("seq", std::nullopt));
  MOSAICO_ASSERT_OK_AND_ASSIGN(seq_level, catalog_->ListNotifications("seq", std::nullopt));
  EXPECT_TRUE(seq_level.empty());
  MOSAICO_ASSERT_OK_AND_ASSIGN(gps, catalog_->ListNotifications("seq", std::string("gps")));
  EXPECT_EQ(gps.size(), 1u);
}

TEST_P(NotificationTest, DeletingTopicDeletesItsNotifications) {
  Note("seq", std::string("front/imu"), "i", 2);
  Note("seq", std::nullopt, "s", 1);
  MOSAICO_ASSERT_OK(catalog_->DeleteTopic(imu_.id));
  MustCreateTopic(session_, "front/imu");
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto imu, catalog_->ListNotifications("seq", std::string("front/imu")));
  EXPECT_TRUE(imu.empty());
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto seq_level, catalog_->ListNotifications("seq", std::nullopt));
  EXPECT_EQ(seq_level.size(), 1u);
}

TEST_P(NotificationTest, UnknownSequenceOrTopicIsNotFound) {
  NotificationRecord n;
  n.sequence_name = "ghost";
  n.notification_type = "error";
  EXPECT_TRUE(catalog_->AddNotification(n).status().IsKeyError());
  n.sequence_name = "seq";
  n.topic_name = "ghost";
  auto added = catalog_->AddNotification(n);
  ASSERT_TRUE(added.status().IsKeyError());
  EXPECT_EQ(added.status().message(), "topic 'seq/ghost' not found");
  auto no_sequence = catalog_->ListNotifications("ghost", std::nullopt);
  ASSERT_TRUE(no_sequence.status().IsKeyError());
  EXPECT_EQ(no_sequence.status().message(), "sequence 'ghost' not found");
  auto no_topic = catalog_->ListNotifications("seq", std::string("ghost"));
  ASSERT_TRUE(no_topic.status().IsKeyError());
  EXPECT_EQ(no_topic.status().message(), "topic 'seq/ghost' not found");
  // A topic of another sequence is not found under this one.
  EXPECT_TRUE(catalog_->ListNotifications("other", std::string("front/imu")).status().IsKeyError());
  EXPECT_TRUE(catalog_->PurgeNotifications("ghost", std::nullopt).IsKeyError());
}

MOSAICO_CATALOG_BACKENDS(NotificationTest);

}  // namespace
}  // namespace mosaico::catalog::testing
