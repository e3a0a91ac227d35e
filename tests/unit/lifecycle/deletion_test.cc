// The deletion protocol (lifecycle/deletion.h): tombstones, how they are judged against the catalog, and that
// finishing a deletion is idempotent from any point a crash can leave.
#include "mosaico/lifecycle/deletion.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "mosaico/lifecycle/lifecycle.h"
#include "mosaico/store/layout.h"

namespace mosaico::lifecycle {
namespace {
namespace layout = store::layout;

class DeletionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mosaico-deletion-XXXXXX";
    dir_ = mkdtemp(tmpl);
    catalog_ = *catalog::OpenCatalog("sqlite://" + dir_ + "/catalog.db");
    store_ = *store::ObjectStore::Open(dir_ + "/store");
    lc_ = std::make_unique<Lifecycle>(catalog_, store_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  bool Exists(const std::string& key) { return *store_->Exists(key); }
  bool DirExists(const std::string& dir) { return std::filesystem::exists(dir_ + "/store/" + dir); }
  size_t Objects(const std::string& prefix) { return store_->List(prefix, true)->size(); }

  // A sequence with one session and the given topics, each with a notification and a stand-in data object.
  catalog::SessionRecord World(const std::string& seq, const std::vector<std::string>& topics) {
    EXPECT_TRUE(lc_->CreateSequence(seq, "{}").ok());
    auto session = lc_->CreateSession(seq);
    EXPECT_TRUE(session.ok());
    for (const auto& t : topics) {
      EXPECT_TRUE(lc_->CreateTopic({session->uuid, TopicLocator{seq, t}, "default", "imu", "{}"}).ok());
      EXPECT_TRUE(lc_->Notify(seq, t, "error", "n").ok());
      EXPECT_TRUE(store_->PutAtomic(layout::ChunkObject(seq, t, "01UPLOAD", 0), "data").ok());
    }
    EXPECT_TRUE(lc_->Notify(seq, std::nullopt, "error", "n").ok());
    return *session;
  }

  std::string dir_;
  std::shared_ptr<catalog::Catalog> catalog_;
  std::shared_ptr<store::ObjectStore> store_;
  std::unique_ptr<Lifecycle> lc_;
};

TEST(TombstoneJsonTest, RoundTripsAndNamesOneIncarnation) {
  Tombstone t{"topic", 42, "uuid-1", 99};
  auto parsed = ParseTombstone(TombstoneJson(t));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->entity, "topic");
  EXPECT_EQ(parsed->created_at_ns, 42);
  EXPECT_EQ(parsed->uuid, "uuid-1");
  EXPECT_EQ(parsed->requested_at_ns, 99);
  EXPECT_TRUE(parsed->Names(42, "uuid-1"));
  EXPECT_FALSE(parsed->Names(42, "uuid-2"));
  EXPECT_FALSE(parsed->Names(43, "uuid-1"));
  EXPECT_TRUE(ParseTombstone(R"({"version":1,"entity":"bucket","created_at_ns":1,"uuid":"","requested_at_ns":1})")
                  .status()
                  .IsInvalid());
  EXPECT_TRUE(ParseTombstone(R"({"version":2})").status().IsInvalid());
}

TEST_F(DeletionTest, DeletesLeaveNeitherTombstonesNorDirectories) {
  auto session = World("seq_a", {"x", "y/z"});
  ASSERT_TRUE(lc_->DeleteTopic(TopicLocator{"seq_a", "y/z"}).ok());
  EXPECT_FALSE(DirExists(layout::TopicDir("seq_a", "y/z")));
  EXPECT_TRUE(Exists(layout::TopicManifest("seq_a", "x")));
  ASSERT_TRUE(lc_->DeleteSession(SessionLocator{"seq_a", session.key}).ok());
  EXPECT_FALSE(DirExists(layout::SessionDir("seq_a", session.key)));
  EXPECT_FALSE(DirExists(layout::TopicDir("seq_a", "x")));
  EXPECT_TRUE(catalog_->GetTopic("seq_a", "x").status().IsKeyError());
  EXPECT_TRUE(Exists(layout::SequenceManifest("seq_a")));
  ASSERT_TRUE(lc_->DeleteSequence("seq_a").ok());
  EXPECT_FALSE(DirExists(layout::SequenceDir("seq_a")));
  EXPECT_TRUE(catalog_->GetSequence("seq_a").status().IsKeyError());
}

TEST_F(DeletionTest, TombstonesAreJudgedAgainstTheCatalog) {
  World("seq_b", {"x"});
  auto seq = *catalog_->GetSequence("seq_b");
  auto topic = *catalog_->GetTopic("seq_b", "x");
  auto session = *catalog_->GetSession("seq_b", topic.session_key);
  EXPECT_EQ(*JudgeSequenceTombstone(*catalog_, "seq_b", TombstoneOf(seq, 1)), TombstoneState::kInProgress);
  EXPECT_EQ(*JudgeSessionTombstone(*catalog_, "seq_b", session.key, TombstoneOf(session, 1)),
            TombstoneState::kInProgress);
  EXPECT_EQ(*JudgeTopicTombstone(*catalog_, "seq_b", "x", TombstoneOf(topic, 1)), TombstoneState::kInProgress);

  auto earlier = TombstoneOf(topic, 1);
  earlier.uuid = "an-earlier-topic-x";
  EXPECT_EQ(*JudgeTopicTombstone(*catalog_, "seq_b", "x", earlier), TombstoneState::kStale);
  auto older_seq = TombstoneOf(seq, 1);
  older_seq.created_at_ns -= 1;
  EXPECT_EQ(*JudgeSequenceTombstone(*catalog_, "seq_b", older_seq), TombstoneState::kStale);
  EXPECT_EQ(*JudgeTopicTombstone(*catalog_, "seq_b", "gone", earlier), TombstoneState::kCatalogDone);
  EXPECT_EQ(*JudgeSessionTombstone(*catalog_, "seq_b", "NOKEY", TombstoneOf(session, 1)),
            TombstoneState::kCatalogDone);
  EXPECT_EQ(*JudgeSequenceTombstone(*catalog_, "nope", older_seq), TombstoneState::kCatalogDone);
}

TEST_F(DeletionTest, FinishingIsIdempotentFromEveryCrashPoint) {
  // After the tombstone (nothing else done), after part of the data, after the catalog: finishing twice ends in
  // the same clean state.
  for (int crashed_after = 0; crashed_after < 3; ++crashed_after) {
    const std::string name = "seq_c" + std::to_string(crashed_after);
    World(name, {"x", "y"});
    auto seq = *catalog_->GetSequence(name);
    ASSERT_TRUE(store_->PutAtomic(layout::SequenceTombstone(name), TombstoneJson(TombstoneOf(seq, 5))).ok());
    if (crashed_after >= 1) ASSERT_TRUE(store_->DeletePrefix(layout::TopicDir(name, "x")).ok());
    if (crashed_after >= 2) ASSERT_TRUE(catalog_->DeleteSequence(name).ok());
    for (int run = 0; run < 2; ++run) {
      auto state = JudgeSequenceTombstone(*catalog_, name, TombstoneOf(seq, 5));
      ASSERT_TRUE(state.ok());
      EXPECT_EQ(*state, run == 0 && crashed_after < 2 ? TombstoneState::kInProgress : TombstoneState::kCatalogDone);
      ASSERT_TRUE(FinishSequenceDeletion(*catalog_, *store_, name, *state).ok());
      EXPECT_FALSE(DirExists(layout::SequenceDir(name)));
      EXPECT_TRUE(catalog_->GetSequence(name).status().IsKeyError());
    }
  }
}

TEST_F(DeletionTest, AStaleTombstoneOnlyLosesItself) {
  World("seq_d", {"x"});
  auto topic = *catalog_->GetTopic("seq_d", "x");
  auto earlier = TombstoneOf(topic, 1);
  earlier.uuid = "an-earlier-topic-x";
  ASSERT_TRUE(store_->PutAtomic(layout::TopicTombstone("seq_d", "x"), TombstoneJson(earlier)).ok());
  ASSERT_TRUE(FinishTopicDeletion(*catalog_, *store_, "seq_d", "x", TombstoneState::kStale).ok());
  EXPECT_FALSE(Exists(layout::TopicTombstone("seq_d", "x")));
  EXPECT_TRUE(Exists(layout::TopicManifest("seq_d", "x")));
  EXPECT_EQ(Objects(layout::TopicDir("seq_d", "x")), 3u);  // manifest, notification, data
  EXPECT_TRUE(catalog_->GetTopic("seq_d", "x").ok());
}

TEST_F(DeletionTest, ASessionDeletionTakesTheTopicsItIsGivenAndNoOthers) {
  auto session = World("seq_e", {"mine"});
  auto other = *lc_->CreateSession("seq_e");
  ASSERT_TRUE(lc_->CreateTopic({other.uuid, TopicLocator{"seq_e", "theirs"}, "default", "imu", "{}"}).ok());
  ASSERT_TRUE(store_->PutAtomic(layout::SessionTombstone("seq_e", session.key),
                                TombstoneJson(TombstoneOf(session, 1))).ok());
  ASSERT_TRUE(catalog_->DeleteSession(session.id).ok());  // crashed after the catalog step
  ASSERT_TRUE(FinishSessionDeletion(*catalog_, *store_, "seq_e", session.key, {"mine"},
                                    TombstoneState::kCatalogDone).ok());
  EXPECT_FALSE(DirExists(layout::SessionDir("seq_e", session.key)));
  EXPECT_FALSE(DirExists(layout::TopicDir("seq_e", "mine")));
  EXPECT_TRUE(Exists(layout::TopicManifest("seq_e", "theirs")));
  EXPECT_TRUE(Exists(layout::SessionManifest("seq_e", other.key)));
}

TEST_F(DeletionTest, PruneEmptyDirsNeverRemovesAnObject) {
  ASSERT_TRUE(store_->PutAtomic("sequences/p/a/b/keep.json", "{}").ok());
  std::filesystem::create_directories(dir_ + "/store/sequences/p/a/empty/deeper");
  ASSERT_TRUE(store_->PruneEmptyDirs("sequences/p").ok());
  EXPECT_TRUE(Exists("sequences/p/a/b/keep.json"));
  EXPECT_FALSE(DirExists("sequences/p/a/empty"));
  ASSERT_TRUE(store_->Delete("sequences/p/a/b/keep.json").ok());
  ASSERT_TRUE(store_->PruneEmptyDirs("sequences/p").ok());
  EXPECT_FALSE(DirExists("sequences/p"));
  EXPECT_TRUE(store_->PruneEmptyDirs("sequences/never").ok());
}

}  // namespace
}  // namespace mosaico::lifecycle
