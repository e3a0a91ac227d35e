// The scoped recovery (recovery/startup_recovery.h RecoverSequences, run by the recover_sequence job after every
// finalize and delete) costs what its sequences hold, not what the catalog holds: it never lists the catalog's
// sequences and never looks at another sequence's store objects. A real SQLite catalog and local store, with a
// catalog wrapper counting the whole-catalog listings and a filesystem wrapper recording every path the store asks
// about.
#include <gtest/gtest.h>

#include <arrow/filesystem/localfs.h>

#include <atomic>
#include <mutex>

#include "../catalog/catalog_test_util.h"
#include "jobs/compaction_test_util.h"
#include "mosaico/core/clock.h"
#include "mosaico/lifecycle/lifecycle.h"
#include "mosaico/lifecycle/manifests.h"
#include "mosaico/recovery/startup_recovery.h"
#include "mosaico/store/layout.h"

namespace mosaico::recovery {
namespace {

namespace layout = store::layout;
using catalog::testing::TempDir;

class CountingCatalog : public jobs::testing::ForwardingCatalog {
 public:
  using ForwardingCatalog::ForwardingCatalog;
  arrow::Result<std::vector<catalog::SequenceRecord>> ListSequences() override {
    ++list_sequences;
    return ForwardingCatalog::ListSequences();
  }
  arrow::Result<std::vector<std::string>> ListOpenSequences() override {
    ++list_sequences;
    return inner().ListOpenSequences();
  }
  std::atomic<int> list_sequences{0};
};

// Every path the store stats or lists (single objects and recursive listings).
class RecordingFileSystem : public arrow::fs::LocalFileSystem {
 public:
  using arrow::fs::LocalFileSystem::GetFileInfo;
  arrow::Result<arrow::fs::FileInfo> GetFileInfo(const std::string& path) override {
    Record(path);
    return LocalFileSystem::GetFileInfo(path);
  }
  arrow::Result<std::vector<arrow::fs::FileInfo>> GetFileInfo(const arrow::fs::FileSelector& select) override {
    Record(select.base_dir);
    return LocalFileSystem::GetFileInfo(select);
  }
  arrow::Result<std::shared_ptr<arrow::io::InputStream>> OpenInputStream(const std::string& path) override {
    Record(path);
    return LocalFileSystem::OpenInputStream(path);
  }
  arrow::Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenInputFile(const std::string& path) override {
    Record(path);
    return LocalFileSystem::OpenInputFile(path);
  }
  std::vector<std::string> Paths() {
    std::lock_guard lock(mu_);
    return paths_;
  }
  void Clear() {
    std::lock_guard lock(mu_);
    paths_.clear();
  }

 private:
  void Record(const std::string& path) {
    std::lock_guard lock(mu_);
    paths_.push_back(path);
  }
  std::mutex mu_;
  std::vector<std::string> paths_;
};

class ScopedRecoveryCostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    inner_ = *catalog::OpenCatalog("sqlite://" + (dir_.path() / "catalog.db").string());
    catalog_ = std::make_shared<CountingCatalog>(inner_);
    root_ = (dir_.path() / "store").string();
    fs_ = std::make_shared<RecordingFileSystem>();
    ASSERT_TRUE(fs_->CreateDir(root_, true).ok());
    store_ = std::make_shared<store::ObjectStore>(fs_, root_, /*local=*/true);
    lc_ = std::make_unique<lifecycle::Lifecycle>(inner_, store_);
  }

  // A finalized sequence with two topics.
  void Finalized(const std::string& seq) {
    ASSERT_TRUE(lc_->CreateSequence(seq, "{}").ok());
    auto session = *lc_->CreateSession(seq);
    for (const char* topic : {"imu", "cam/front"}) {
      lifecycle::CreateTopicRequest req;
      req.session_uuid = session.uuid;
      req.locator = {seq, topic};
      req.ontology_tag = "IMU";
      req.serialization_format = "default";
      ASSERT_TRUE(lc_->CreateTopic(req).ok());
    }
    ASSERT_TRUE(lc_->FinalizeSession(session.uuid).ok());
  }

  // The sequences (directly under sequences/) whose store paths were touched.
  std::set<std::string> TouchedSequences() {
    const std::string base = root_ + "/" + layout::SequencesRoot();
    std::set<std::string> out;
    for (const auto& p : fs_->Paths()) {
      if (p == base) {
        out.insert("<all>");  // the whole sequences/ tree
        continue;
      }
      if (p.rfind(base + "/", 0) != 0) continue;
      const std::string rest = p.substr(base.size() + 1);
      out.insert(rest.substr(0, rest.find('/')));
    }
    return out;
  }

  TempDir dir_;
  std::shared_ptr<catalog::Catalog> inner_;
  std::shared_ptr<CountingCatalog> catalog_;
  std::string root_;
  std::shared_ptr<RecordingFileSystem> fs_;
  std::shared_ptr<store::ObjectStore> store_;
  std::unique_ptr<lifecycle::Lifecycle> lc_;
};

TEST_F(ScopedRecoveryCostTest, ASettledSequenceIsCheckedWithoutListingTheCatalogOrOtherSequences) {
  for (int i = 0; i < 12; ++i) Finalized("other_" + std::to_string(i));
  Finalized("target");
  fs_->Clear();
  std::vector<lifecycle::MarkTarget> notifications;
  auto report = RecoverSequences(*catalog_, *store_, {"target"}, &notifications, 0);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->repaired, 0);
  EXPECT_TRUE(report->left.empty());
  EXPECT_TRUE(notifications.empty());
  EXPECT_EQ(catalog_->list_sequences.load(), 0);
  EXPECT_EQ(TouchedSequences(), (std::set<std::string>{"target"}));
}

TEST_F(ScopedRecoveryCostTest, TheScopedRunStillRepairsItsSequenceAndOnlyIt) {
  for (int i = 0; i < 5; ++i) Finalized("other_" + std::to_string(i));
  Finalized("target");
  // Crash states in the target (a create cut before its manifest) and in another sequence (left alone).
  ASSERT_TRUE(store_->Delete(layout::TopicManifest("target", "imu")).ok());
  ASSERT_TRUE(store_->Delete(layout::TopicManifest("other_3", "imu")).ok());
  fs_->Clear();
  auto report = RecoverSequences(*catalog_, *store_, {"target"}, nullptr, 0);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->repaired, 1);
  EXPECT_EQ(catalog_->list_sequences.load(), 0);
  EXPECT_EQ(TouchedSequences(), (std::set<std::string>{"target"}));
  EXPECT_TRUE(*store_->Exists(layout::TopicManifest("target", "imu")));
  EXPECT_FALSE(*store_->Exists(layout::TopicManifest("other_3", "imu")));
}

TEST_F(ScopedRecoveryCostTest, ANamedSequenceGoneFromTheCatalogIsNoErrorAndAStoreOnlyOneIsReported) {
  Finalized("other");
  ASSERT_TRUE(store_->PutAtomic(layout::SequenceManifest("store_only"),
                                lifecycle::SequenceManifestJson({0, "store_only", "{}", 1})).ok());
  auto report = RecoverSequences(*catalog_, *store_, {"gone", "store_only"}, nullptr, 0);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->repaired, 0);  // restore_sequence is not a start-up repair
  ASSERT_EQ(report->left.size(), 1u);
  EXPECT_EQ(report->left[0].kind, "missing_in_catalog");
  EXPECT_EQ(report->left[0].subject, "store_only");
  EXPECT_EQ(catalog_->list_sequences.load(), 0);
}

TEST_F(ScopedRecoveryCostTest, TheFullCheckStillListsEverything) {
  Finalized("a");
  Finalized("b");
  auto report = Check(*catalog_, *store_, CheckOptions{.min_upload_age_ns = 0});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->clean());
  EXPECT_EQ(report->sequences_checked, 2);
  EXPECT_EQ(catalog_->list_sequences.load(), 1);
  EXPECT_TRUE(TouchedSequences().count("<all>"));
}

}  // namespace
}  // namespace mosaico::recovery
