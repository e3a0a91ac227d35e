// Fixtures of the event-queue tests (job runner, scheduler, sweeps, GC): a temporary directory with a real SQLite
// catalog, a local store and a Lifecycle over both, plus helpers to plant store objects and wait for conditions.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"
#include "mosaico/catalog/catalog.h"
#include "mosaico/core/clock.h"
#include "mosaico/core/ids.h"
#include "mosaico/ingest/upload_manifest.h"
#include "mosaico/lifecycle/lifecycle.h"
#include "mosaico/store/layout.h"
#include "mosaico/store/object_store.h"

namespace mosaico::jobs::queue_testing {

using catalog::testing::TempDir;
constexpr int64_t kSecond = 1000000000;
constexpr int64_t kHour = 3600 * kSecond;

// Polls `done` every 10 ms until it holds or `timeout` passes; returns whether it held.
inline bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

class QueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    auto cat = catalog::OpenCatalog(db_path());
    ASSERT_TRUE(cat.ok()) << cat.status().ToString();
    catalog_ = *cat;
    auto st = store::ObjectStore::Open((dir_.path() / "store").string());
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    store_ = *st;
    lc_ = std::make_shared<lifecycle::Lifecycle>(catalog_, store_);
  }

  std::string db_path() const { return (dir_.path() / "catalog.db").string(); }

  // The job as the catalog holds it now.
  catalog::JobRecord Job(int64_t id) {
    auto all = catalog_->ListJobs(std::nullopt, 100000);
    EXPECT_TRUE(all.ok()) << all.status().ToString();
    if (all.ok()) {
      for (const auto& j : *all) {
        if (j.id == id) return j;
      }
    }
    ADD_FAILURE() << "job " << id << " not found";
    return {};
  }

  catalog::JobRecord MustEnqueue(const std::string& kind, const std::string& payload = "{}",
                                 const std::string& dedup = "", int64_t run_after = 0) {
    auto r = catalog_->EnqueueJob(kind, payload, dedup, run_after, NowNs());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : catalog::JobRecord{};
  }

  bool Exists(const std::string& key) {
    auto r = store_->Exists(key);
    return r.ok() && *r;
  }

  // A committed upload in the store (upload.json + one stand-in chunk); returns its manifest.
  ingest::UploadManifest PutCommittedUpload(const std::string& seq, const std::string& topic, const std::string& id) {
    ingest::UploadManifest m;
    m.upload_id = id;
    m.topic = topic;
    m.row_count = 3;
    catalog::ChunkRecord c;
    c.object_key = store::layout::ChunkObject(seq, topic, id, 0);
    c.row_count = 3;
    c.size_bytes = 5;
    c.ts_min = 10;
    c.ts_max = 30;
    c.checksum = "00000000";
    m.chunks.push_back(c);
    EXPECT_TRUE(store_->PutAtomic(c.object_key, "chunk").ok());
    EXPECT_TRUE(store_->PutAtomic(store::layout::UploadManifest(seq, topic, id), m.Serialize()).ok());
    return m;
  }

  // Chunks of a stream that never wrote upload.json.
  void PutInterruptedUpload(const std::string& seq, const std::string& topic, const std::string& id) {
    EXPECT_TRUE(store_->PutAtomic(store::layout::ChunkObject(seq, topic, id, 0), "chunk0").ok());
    EXPECT_TRUE(store_->PutAtomic(store::layout::ChunkObject(seq, topic, id, 1), "chunk1").ok());
  }

  // sequence -> one unfinalized session -> the given topics, all through the Lifecycle (manifests included).
  catalog::SessionRecord OpenSession(const std::string& seq, const std::vector<std::string>& topics) {
    if (!catalog_->GetSequence(seq).ok()) EXPECT_TRUE(lc_->CreateSequence(seq, "{}").ok());
    auto session = lc_->CreateSession(seq);
    EXPECT_TRUE(session.ok()) << session.status().ToString();
    for (const auto& t : topics) {
      auto created = lc_->CreateTopic({session->uuid, TopicLocator{seq, t}, "default", "imu", "{}"});
      EXPECT_TRUE(created.ok()) << created.status().ToString();
    }
    return *session;
  }

  TempDir dir_;
  std::shared_ptr<catalog::Catalog> catalog_;
  std::shared_ptr<store::ObjectStore> store_;
  std::shared_ptr<lifecycle::Lifecycle> lc_;
};

}  // namespace mosaico::jobs::queue_testing
