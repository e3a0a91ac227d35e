// StoreScan and Restore over a hand-written store: what the scan reads, which problems it reports, and that a
// restored catalog holds exactly the store's records.
#include <filesystem>

#include <gtest/gtest.h>

#include "../catalog/catalog_test_util.h"
#include "mosaico/ingest/upload_manifest.h"
#include "mosaico/lifecycle/manifests.h"
#include "mosaico/recovery/restore.h"
#include "mosaico/recovery/store_scan.h"
#include "mosaico/store/layout.h"

namespace mosaico::recovery {
namespace {

namespace layout = store::layout;
using catalog::testing::TempDir;
using Kind = ScanProblem::Kind;

class StoreScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::ObjectStore::Open((dir_.path() / "store").string());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = *opened;
  }

  void Put(const std::string& key, const std::string& text) { ASSERT_TRUE(store_->PutAtomic(key, text).ok()); }

  void PutSequence(const std::string& name, int64_t created) {
    catalog::SequenceRecord seq;
    seq.name = name;
    seq.created_at_ns = created;
    seq.user_metadata_json = R"({"site":"lab","n":{"k":[1,2]}})";
    Put(layout::SequenceManifest(name), lifecycle::SequenceManifestJson(seq));
  }

  void PutSession(const std::string& seq, const std::string& key, int64_t created, std::optional<int64_t> done) {
    catalog::SessionRecord s;
    s.sequence_name = seq;
    s.key = key;
    s.uuid = "uuid-" + key;
    s.created_at_ns = created;
    Put(layout::SessionManifest(seq, key), lifecycle::SessionManifestJson(s));
    if (done) Put(layout::SessionFinalizedMarker(seq, key), lifecycle::SessionFinalizedJson(*done));
  }

  void PutTopic(const std::string& seq, const std::string& name, const std::string& session) {
    catalog::TopicRecord t;
    t.sequence_name = seq;
    t.name = name;
    t.session_key = session;
    t.uuid = "tuuid-" + name;
    t.ontology_tag = "imu";
    t.serialization_format = "default";
    t.created_at_ns = 7;
    Put(layout::TopicManifest(seq, name), lifecycle::TopicManifestJson(t));
  }

  // A committed upload with one chunk object of `bytes` (the chunk's content is not Parquet: the scan only
  // checks presence and size unless checksums are verified).
  void PutUpload(const std::string& seq, const std::string& topic, const std::string& id, const std::string& bytes) {
    ingest::UploadManifest m;
    m.upload_id = id;
    m.topic = topic;
    m.row_count = 3;
    catalog::ChunkRecord c;
    c.index = 0;
    c.object_key = layout::ChunkObject(seq, topic, id, 0);
    c.row_count = 3;
    c.size_bytes = static_cast<int64_t>(bytes.size());
    c.ts_min = 10;
    c.ts_max = 30;
    c.checksum = "00000000";
    m.chunks.push_back(c);
    Put(c.object_key, bytes);
    Put(layout::UploadManifest(seq, topic, id), m.Serialize());
  }

  StoreSnapshot Scan(bool verify = false) {
    ScanOptions options;
    options.verify_checksums = verify;
    auto snapshot = ScanStore(*store_, options);
    EXPECT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    return snapshot.ok() ? *snapshot : StoreSnapshot{};
  }

  static std::vector<std::pair<Kind, std::string>> Problems(const StoreSnapshot& s) {
    std::vector<std::pair<Kind, std::string>> out;
    for (const auto& p : s.problems) out.emplace_back(p.kind, p.key);
    return out;
  }

  TempDir dir_;
  std::shared_ptr<store::ObjectStore> store_;
};

TEST_F(StoreScanTest, ReadsRecordsLockStateAndCommittedUploads) {
  PutSequence("run", 100);
  PutSession("run", "S2", 300, std::nullopt);
  PutSession("run", "S1", 200, 250);
  PutTopic("run", "front/imu", "S1");
  PutTopic("run", "gps", "S2");
  PutUpload("run", "front/imu", "01A", "abc");
  const auto s = Scan();
  EXPECT_TRUE(s.problems.empty());
  ASSERT_EQ(s.sequences.size(), 1u);
  const auto& seq = s.sequences[0];
  EXPECT_EQ(seq.record.name, "run");
  EXPECT_EQ(seq.record.created_at_ns, 100);
  ASSERT_EQ(seq.sessions.size(), 2u);
  EXPECT_EQ(seq.sessions[0].record.key, "S1");  // by creation time
  EXPECT_TRUE(seq.sessions[0].record.locked);
  EXPECT_EQ(seq.sessions[0].record.completed_at_ns, 250);
  EXPECT_FALSE(seq.sessions[1].record.locked);
  ASSERT_EQ(seq.topics.size(), 2u);
  EXPECT_EQ(seq.topics[0].record.name, "front/imu");
  EXPECT_TRUE(seq.topics[0].record.locked);
  EXPECT_EQ(seq.topics[0].record.upload_id, "01A");
  ASSERT_NE(seq.topics[0].committed_upload(), nullptr);
  EXPECT_FALSE(seq.topics[1].record.locked);
  EXPECT_EQ(seq.topics[1].committed_upload(), nullptr);
}

TEST_F(StoreScanTest, ReportsEveryInconsistencyWithoutStopping) {
  PutSequence("good", 1);
  PutSession("good", "S", 2, 3);
  PutTopic("good", "t", "S");
  PutUpload("good", "t", "01A", "old");
  PutUpload("good", "t", "01B", "new");  // newer committed upload wins
  Put(layout::ChunkObject("good", "t", "01C", 0), "cut");  // no upload.json
  PutTopic("good", "orphan", "NOPE");                       // unknown session
  Put(layout::TopicSchema("good", "noman"), "x");           // topic dir without topic.json
  Put(layout::SequenceManifest("bad"), "{not json");
  Put(layout::SessionManifest("lost", "S"), "{}");          // sequence without manifest
  Put("sequences/good/stray.bin", "?");
  const auto s = Scan();
  ASSERT_EQ(s.sequences.size(), 1u);
  ASSERT_EQ(s.sequences[0].topics.size(), 1u);
  EXPECT_EQ(s.sequences[0].topics[0].record.upload_id, "01B");
  const std::vector<std::pair<Kind, std::string>> want = {
      {Kind::kUnreadableObject, layout::SequenceManifest("bad")},
      {Kind::kUnlistedObject, "sequences/good/stray.bin"},
      {Kind::kMissingManifest, layout::TopicDir("good", "noman")},
      {Kind::kDanglingReference, layout::TopicManifest("good", "orphan")},
      {Kind::kSupersededUpload, layout::UploadDir("good", "t", "01A")},
      {Kind::kInterruptedUpload, layout::UploadDir("good", "t", "01C")},
      {Kind::kMissingManifest, layout::SequenceDir("lost")},
  };
  EXPECT_EQ(Problems(s), want);
}

TEST_F(StoreScanTest, DetectsMissingResizedAndCorruptChunks) {
  PutSequence("run", 1);
  PutSession("run", "S", 2, 3);
  PutTopic("run", "a", "S");
  PutTopic("run", "b", "S");
  PutTopic("run", "c", "S");
  PutUpload("run", "a", "01A", "abc");
  PutUpload("run", "b", "01A", "abc");
  PutUpload("run", "c", "01A", "abc");
  ASSERT_TRUE(store_->Delete(layout::ChunkObject("run", "a", "01A", 0)).ok());
  Put(layout::ChunkObject("run", "b", "01A", 0), "abcd");
  auto s = Scan();
  EXPECT_EQ(Problems(s), (std::vector<std::pair<Kind, std::string>>{
                             {Kind::kMissingChunk, layout::ChunkObject("run", "a", "01A", 0)},
                             {Kind::kSizeMismatch, layout::ChunkObject("run", "b", "01A", 0)}}));
  s = Scan(/*verify=*/true);
  EXPECT_EQ(s.chunks_verified, 1);  // only the intact-looking chunk is read; its CRC32 is not 00000000
  ASSERT_EQ(s.problems.size(), 3u);
  EXPECT_EQ(s.problems[2].kind, Kind::kChecksumMismatch);
  EXPECT_EQ(s.problems[2].key, layout::ChunkObject("run", "c", "01A", 0));
}

TEST_F(StoreScanTest, RestoreRecreatesTheRecordsAndIsAllOrNothing) {
  PutSequence("run", 100);
  PutSession("run", "S1", 200, 250);
  PutSession("run", "S2", 300, std::nullopt);
  PutTopic("run", "front/imu", "S1");
  PutTopic("run", "gps", "S2");
  PutUpload("run", "front/imu", "01A", "abc");
  const auto s = Scan();
  auto opened = catalog::OpenCatalog((dir_.path() / "catalog.db").string());
  ASSERT_TRUE(opened.ok());
  auto& cat = **opened;
  auto counts = RestoreAll(s, cat);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->sequences, 1);
  EXPECT_EQ(counts->topics, 2);
  EXPECT_EQ(counts->chunks, 1);
  auto seq = cat.GetSequence("run");
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(seq->created_at_ns, 100);
  auto s1 = cat.GetSession("run", "S1");
  ASSERT_TRUE(s1.ok());
  EXPECT_TRUE(s1->locked);
  EXPECT_EQ(s1->completed_at_ns, 250);
  EXPECT_EQ(s1->uuid, "uuid-S1");
  auto topic = cat.GetTopic("run", "front/imu");
  ASSERT_TRUE(topic.ok());
  EXPECT_TRUE(topic->locked);
  EXPECT_EQ(topic->upload_id, "01A");
  EXPECT_EQ(topic->uuid, "tuuid-front/imu");
  auto gps = cat.GetTopic("run", "gps");
  ASSERT_TRUE(gps.ok());
  EXPECT_FALSE(gps->locked);
  // Restoring the same sequence again fails and leaves the first copy alone.
  EXPECT_FALSE(RestoreSequence(s.sequences[0], cat).ok());
  EXPECT_TRUE(cat.GetTopic("run", "gps").ok());
}

}  // namespace
}  // namespace mosaico::recovery
