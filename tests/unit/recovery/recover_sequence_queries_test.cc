// The recover_sequence job's check of one sequence (recovery/startup_recovery.h RecoverSequences) asks the catalog a
// fixed number of questions, whatever the sequence's topic and notification counts: on PostgreSQL every question is
// a round trip, and one per topic (its notifications) was most of the job's time under load (issue 12 item 4). And
// the one answer for the whole sequence (Catalog::ListSequenceNotifications) still tells each resource's
// notifications apart. On each backend (PostgreSQL when MOSAICOD_TEST_PG_URL is set), real local store.
#include <gtest/gtest.h>

#include <atomic>
#include <map>

#include "../catalog/catalog_test_util.h"
#include "jobs/compaction_test_util.h"
#include "mosaico/lifecycle/lifecycle.h"
#include "mosaico/recovery/startup_recovery.h"

namespace mosaico::recovery {
namespace {

using catalog::testing::CatalogTest;
using catalog::testing::OnEachBackend;

// Counts the catalog reads a check makes, by method.
class CountingCatalog : public jobs::testing::ForwardingCatalog {
 public:
  using ForwardingCatalog::ForwardingCatalog;
  arrow::Result<catalog::SequenceRecord> GetSequence(const std::string& n) override {
    Count("GetSequence");
    return ForwardingCatalog::GetSequence(n);
  }
  arrow::Result<std::vector<catalog::SequenceRecord>> ListSequences() override {
    Count("ListSequences");
    return ForwardingCatalog::ListSequences();
  }
  arrow::Result<std::vector<catalog::SessionRecord>> ListSessions(const std::string& s) override {
    Count("ListSessions");
    return ForwardingCatalog::ListSessions(s);
  }
  arrow::Result<catalog::SessionRecord> GetSession(const std::string& s, const std::string& k) override {
    Count("GetSession");
    return ForwardingCatalog::GetSession(s, k);
  }
  arrow::Result<std::vector<catalog::TopicRecord>> ListTopics(const std::string& s) override {
    Count("ListTopics");
    return ForwardingCatalog::ListTopics(s);
  }
  arrow::Result<catalog::TopicRecord> GetTopic(const std::string& s, const std::string& t) override {
    Count("GetTopic");
    return ForwardingCatalog::GetTopic(s, t);
  }
  arrow::Result<std::vector<catalog::ChunkRecord>> ListChunks(int64_t id, bool stats) override {
    Count("ListChunks");
    return ForwardingCatalog::ListChunks(id, stats);
  }
  arrow::Result<catalog::TopicDataSummary> SummarizeTopic(int64_t id) override {
    Count("SummarizeTopic");
    return ForwardingCatalog::SummarizeTopic(id);
  }
  arrow::Result<std::vector<catalog::NotificationRecord>> ListNotifications(
      const std::string& s, const std::optional<std::string>& t) override {
    Count("ListNotifications");
    return ForwardingCatalog::ListNotifications(s, t);
  }
  arrow::Result<std::vector<catalog::NotificationRecord>> ListSequenceNotifications(const std::string& s) override {
    Count("ListSequenceNotifications");
    return ForwardingCatalog::ListSequenceNotifications(s);
  }

  std::map<std::string, int> Take() {
    std::lock_guard lock(mu_);
    auto out = std::move(calls_);
    calls_.clear();
    return out;
  }

 private:
  void Count(const std::string& what) {
    std::lock_guard lock(mu_);
    ++calls_[what];
  }
  std::mutex mu_;
  std::map<std::string, int> calls_;
};

int Total(const std::map<std::string, int>& calls) {
  int n = 0;
  for (const auto& [k, v] : calls) n += v;
  return n;
}

class RecoverSequenceQueriesTest : public OnEachBackend<CatalogTest> {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    counting_ = std::make_shared<CountingCatalog>(catalog_);
    store_ = *store::ObjectStore::Open((dir_.path() / "store").string());
    lc_ = std::make_unique<lifecycle::Lifecycle>(catalog_, store_);
  }

  void TearDown() override {
    lc_.reset();
    counting_.reset();
    CatalogTest::TearDown();
  }

  // A finalized recording of `topics` topics, a notification on the sequence and two on every topic.
  void Recorded(const std::string& seq, int topics) {
    ASSERT_TRUE(lc_->CreateSequence(seq, R"({"site":"a"})").ok());
    auto session = lc_->CreateSession(seq);
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    ASSERT_TRUE(lc_->Notify(seq, std::nullopt, "error", "sequence-level").ok());
    for (int i = 0; i < topics; ++i) {
      lifecycle::CreateTopicRequest req;
      req.session_uuid = session->uuid;
      req.locator = {seq, "sensor/" + std::to_string(i)};
      req.ontology_tag = "imu";
      req.serialization_format = "default";
      ASSERT_TRUE(lc_->CreateTopic(req).ok());
      for (const char* msg : {"first", "second"}) {
        ASSERT_TRUE(lc_->Notify(seq, "sensor/" + std::to_string(i), "error", msg).ok());
      }
    }
    ASSERT_TRUE(lc_->FinalizeSession(session->uuid).ok());
  }

  std::shared_ptr<CountingCatalog> counting_;
  std::shared_ptr<store::ObjectStore> store_;
  std::unique_ptr<lifecycle::Lifecycle> lc_;
};

TEST_P(RecoverSequenceQueriesTest, TheCheckOfOneSequenceAsksTheCatalogAFixedNumberOfQuestions) {
  Recorded("small", 1);
  Recorded("large", 12);
  std::map<std::string, int> calls[2];
  int i = 0;
  for (const char* seq : {"small", "large"}) {
    std::vector<lifecycle::MarkTarget> notifications;
    counting_->Take();
    auto report = RecoverSequences(*counting_, *store_, {seq}, &notifications, 0);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report->repaired, 0) << seq;
    EXPECT_TRUE(report->left.empty()) << seq;
    EXPECT_TRUE(notifications.empty()) << seq << ": the notifications are in step";
    calls[i++] = counting_->Take();
  }
  // The sequence, its sessions, its topics, its notifications: one question each, however many topics.
  EXPECT_EQ(calls[1], calls[0]);
  EXPECT_EQ(Total(calls[1]), 4) << "GetSequence " << calls[1]["GetSequence"] << ", ListSessions "
                                << calls[1]["ListSessions"] << ", ListTopics " << calls[1]["ListTopics"]
                                << ", ListNotifications " << calls[1]["ListNotifications"];
  EXPECT_EQ(calls[1]["ListSequenceNotifications"], 1);
  EXPECT_EQ(calls[1]["ListNotifications"], 0);
}

TEST_P(RecoverSequenceQueriesTest, NotificationsOutOfStepAreStillFoundPerResource) {
  Recorded("seq", 5);
  Recorded("other", 2);
  // Topic 3 lost its catalog rows (its store objects are still there), the sequence has a catalog row the store
  // lacks (a purge cut between its two steps), and another sequence is out of step too (not looked at).
  ASSERT_TRUE(catalog_->PurgeNotifications("seq", std::string("sensor/3")).ok());
  catalog::NotificationRecord extra;
  extra.sequence_name = "seq";
  extra.notification_type = "error";
  extra.msg = "catalog only";
  extra.created_at_ns = 5;
  ASSERT_TRUE(catalog_->AddNotification(extra).ok());
  ASSERT_TRUE(catalog_->PurgeNotifications("other", std::string("sensor/0")).ok());

  auto all = catalog_->ListSequenceNotifications("seq");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::map<std::string, int> per_resource;
  for (const auto& n : *all) {
    EXPECT_EQ(n.sequence_name, "seq");
    ++per_resource[n.topic_name.value_or("<sequence>")];
  }
  EXPECT_EQ(per_resource, (std::map<std::string, int>{{"<sequence>", 2}, {"sensor/0", 2}, {"sensor/1", 2},
                                                      {"sensor/2", 2}, {"sensor/4", 2}}));

  std::vector<lifecycle::MarkTarget> notifications;
  auto report = RecoverSequences(*counting_, *store_, {"seq"}, &notifications, 0);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  std::set<std::string> targets;
  for (const auto& t : notifications) {
    EXPECT_EQ(t.sequence, "seq");
    targets.insert(t.topic.value_or("<sequence>"));
  }
  EXPECT_EQ(targets, (std::set<std::string>{"<sequence>", "sensor/3"}));
  EXPECT_EQ(counting_->Take()["ListSequenceNotifications"], 1);
}

TEST_P(RecoverSequenceQueriesTest, AnUnknownSequenceHasNoNotificationsToList) {
  Recorded("seq", 1);
  auto missing = catalog_->ListSequenceNotifications("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsKeyError()) << missing.status().ToString();
  ASSERT_TRUE(catalog_->PurgeNotifications("seq", std::nullopt).ok());
  ASSERT_TRUE(catalog_->PurgeNotifications("seq", std::string("sensor/0")).ok());
  auto none = catalog_->ListSequenceNotifications("seq");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
}

MOSAICO_CATALOG_BACKENDS(RecoverSequenceQueriesTest);

}  // namespace
}  // namespace mosaico::recovery
