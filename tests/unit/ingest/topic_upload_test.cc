#include "mosaico/ingest/topic_upload.h"

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "ingest/test_util.h"
#include "mosaico/core/errors.h"
#include "mosaico/ingest/schema_check.h"
#include "mosaico/ingest/upload_manifest.h"
#include "mosaico/store/checksum.h"
#include "mosaico/store/layout.h"

namespace mosaico::ingest {
namespace {

using testing::Contains;
using testing::FakeCatalog;
using testing::ReadParquet;
using testing::RobotBatch;
using testing::RobotSchema;
using testing::TempDir;

bool IsFailedPrecondition(const arrow::Status& st) {
  ErrorKind kind;
  return GetErrorKind(st, &kind) && kind == ErrorKind::kFailedPrecondition;
}

class TopicUploadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::ObjectStore::Open(dir_.path()).ValueOrDie();
    catalog_ = std::make_shared<FakeCatalog>(store_);
    topic_ = catalog_->AddTopic("run1", "front/imu");
  }

  arrow::Result<std::unique_ptr<TopicUpload>> Begin(std::shared_ptr<arrow::Schema> schema = RobotSchema(),
                                                    ChunkWriterOptions options = {}) {
    return TopicUpload::Begin(catalog_, store_, catalog_->topic(topic_.id), std::move(schema), options);
  }

  std::vector<std::string> UploadObjects(const std::string& upload_id) {
    return store_->List(store::layout::UploadDir("run1", "front/imu", upload_id)).ValueOrDie();
  }
  std::vector<std::string> AllObjects() { return store_->List(store::layout::SequencesRoot()).ValueOrDie(); }

  TempDir dir_;
  std::shared_ptr<store::ObjectStore> store_;
  std::shared_ptr<FakeCatalog> catalog_;
  catalog::TopicRecord topic_;
};

TEST_F(TopicUploadTest, FirstUploadFreezesSchemaStoreFirstAndCommits) {
  ChunkWriterOptions options;
  options.target_chunk_bytes = 2 << 10;
  ASSERT_OK_AND_ASSIGN(auto upload, Begin(RobotSchema(), options));
  EXPECT_EQ(upload->upload_id().size(), 26u);
  EXPECT_EQ(upload->topic_locator(), "run1/front/imu");

  // Schema snapshot: in the store before the catalog heard of it, identical to the stream schema.
  EXPECT_TRUE(catalog_->schema_in_store_at_set);
  ASSERT_TRUE(catalog_->topic(topic_.id).schema_ipc.has_value());
  ASSERT_OK_AND_ASSIGN(auto stored, store_->Get(store::layout::TopicSchema("run1", "front/imu")));
  EXPECT_EQ(stored->ToString(), *catalog_->topic(topic_.id).schema_ipc);
  ASSERT_OK_AND_ASSIGN(auto snapshot, DeserializeSchema(stored->ToString()));
  EXPECT_TRUE(snapshot->Equals(*RobotSchema(), /*check_metadata=*/true));

  int64_t rows = 0;
  for (int b = 0; b < 10; ++b) {
    std::vector<int64_t> ts;
    for (int i = 0; i < 10; ++i) ts.push_back(1000 - (b * 10 + i));  // strictly decreasing: fully unordered
    ASSERT_OK(upload->Write(RobotBatch(ts, rows)));
    rows += 10;
  }
  EXPECT_EQ(upload->rows_written(), 100);
  EXPECT_TRUE(upload->committed_chunks().empty());
  ASSERT_OK(upload->Commit());
  EXPECT_GE(upload->chunks_written(), 2);

  // Store first: upload.json existed when the catalog committed.
  EXPECT_TRUE(catalog_->manifest_in_store_at_commit);
  EXPECT_EQ(catalog_->topic(topic_.id).upload_id, upload->upload_id());
  const auto& committed = catalog_->committed.at(topic_.id);
  ASSERT_EQ(static_cast<int64_t>(committed.size()), upload->chunks_written());
  EXPECT_EQ(upload->committed_chunks().size(), committed.size());

  // upload.json lists exactly what the catalog got.
  ASSERT_OK_AND_ASSIGN(auto text, store_->Get(store::layout::UploadManifest("run1", "front/imu", upload->upload_id())));
  ASSERT_OK_AND_ASSIGN(auto manifest, UploadManifest::Parse(text->ToString()));
  EXPECT_EQ(manifest.upload_id, upload->upload_id());
  EXPECT_EQ(manifest.topic, "front/imu");
  EXPECT_EQ(manifest.row_count, 100);
  ASSERT_EQ(manifest.chunks.size(), committed.size());
  int64_t sum = 0;
  for (size_t i = 0; i < committed.size(); ++i) {
    const auto& c = committed[i];
    EXPECT_EQ(c.topic_id, topic_.id);
    EXPECT_EQ(c.index, static_cast<int32_t>(i));
    EXPECT_EQ(manifest.chunks[i].object_key, c.object_key);
    EXPECT_EQ(manifest.chunks[i].checksum, c.checksum);
    EXPECT_EQ(manifest.chunks[i].stats, c.stats);
    EXPECT_EQ(manifest.chunks[i].ts_min, c.ts_min);
    ASSERT_OK_AND_ASSIGN(auto bytes, store_->Get(c.object_key));
    EXPECT_EQ(store::Crc32Hex(*bytes), c.checksum);
    ASSERT_OK_AND_ASSIGN(auto table, ReadParquet(*store_, c.object_key));
    EXPECT_EQ(table->num_rows(), c.row_count);
    sum += c.row_count;
  }
  EXPECT_EQ(sum, 100);
  // The first chunk holds the first rows that arrived (the highest timestamps), sorted.
  EXPECT_EQ(committed[0].ts_max, 1000);
  EXPECT_EQ(catalog_->calls, (std::vector<std::string>{"SetTopicSchema", "GetTopic", "CommitTopicData"}));

  // Done: no more writes, commits, and the destructor keeps the data.
  EXPECT_TRUE(IsFailedPrecondition(upload->Write(RobotBatch({1}))));
  EXPECT_TRUE(IsFailedPrecondition(upload->Commit()));
  upload.reset();
  EXPECT_EQ(UploadObjects(manifest.upload_id).size(), committed.size() + 1);
}

TEST_F(TopicUploadTest, LaterStreamIsCheckedAgainstTheSnapshot) {
  {
    ASSERT_OK_AND_ASSIGN(auto first, Begin());
    first->Abort();  // the snapshot stays: it belongs to the topic
  }
  ASSERT_TRUE(catalog_->topic(topic_.id).schema_ipc.has_value());
  catalog_->calls.clear();

  // Same schema (schema-level metadata may differ): accepted, snapshot untouched.
  ASSERT_OK_AND_ASSIGN(auto again, Begin(RobotSchema()->RemoveMetadata()));
  EXPECT_TRUE(catalog_->calls.empty());
  again->Abort();

  auto changed = RobotSchema()->SetField(3, arrow::field("frame_id", arrow::large_utf8())).ValueOrDie();
  auto r = Begin(changed);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalid());
  EXPECT_EQ(r.status().message(),
            "schema mismatch for topic 'run1/front/imu': field 3 'frame_id': type: expected string got large_string");
}

TEST_F(TopicUploadTest, RejectsInvalidStreamSchema) {
  auto r = Begin(arrow::schema({arrow::field("timestamp_ns", arrow::int64(), true)}));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalid());
  EXPECT_TRUE(Contains(r.status().message(), "run1/front/imu")) << r.status().message();
  EXPECT_TRUE(Contains(r.status().message(), "'timestamp_ns' must be non-nullable")) << r.status().message();
  EXPECT_FALSE(catalog_->topic(topic_.id).schema_ipc.has_value());
  EXPECT_TRUE(AllObjects().empty());
}

TEST_F(TopicUploadTest, RejectsLockedTopicOrTopicWithData) {
  auto t = catalog_->topic(topic_.id);
  t.locked = true;
  catalog_->set_topic(t);
  auto r = Begin();
  EXPECT_TRUE(IsFailedPrecondition(r.status())) << r.status().ToString();
  EXPECT_TRUE(Contains(r.status().message(), "'run1/front/imu' is locked"));

  t.locked = false;
  t.upload_id = "01PREVIOUS";
  catalog_->set_topic(t);
  r = Begin();
  EXPECT_TRUE(IsFailedPrecondition(r.status())) << r.status().ToString();
  EXPECT_TRUE(Contains(r.status().message(), "already has data"));
}

TEST_F(TopicUploadTest, CorruptSnapshotIsReported) {
  auto t = catalog_->topic(topic_.id);
  t.schema_ipc = "garbage";
  catalog_->set_topic(t);
  auto r = Begin();
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "invalid schema snapshot")) << r.status().ToString();
}

TEST_F(TopicUploadTest, BatchSchemaMismatchNamesFirstFieldAndKeepsUploadUsable) {
  ASSERT_OK_AND_ASSIGN(auto upload, Begin());
  ASSERT_OK(upload->Write(RobotBatch({1, 2})));

  auto good = RobotBatch({3});
  auto bad_schema = good->schema()->SetField(4, arrow::field("valid", arrow::boolean(), false)).ValueOrDie();
  auto bad = arrow::RecordBatch::Make(bad_schema, good->num_rows(), good->columns());
  auto st = upload->Write(bad);
  ASSERT_TRUE(st.IsInvalid());
  EXPECT_EQ(st.message(),
            "schema mismatch for topic 'run1/front/imu': field 4 'valid': nullability: expected nullable got not null");

  // Batches whose schema is an equal but distinct object (e.g. other schema-level metadata) are fine.
  ASSERT_OK(upload->Write(arrow::RecordBatch::Make(good->schema()->RemoveMetadata(), 1, good->columns())));
  ASSERT_OK(upload->Commit());
  EXPECT_EQ(upload->rows_written(), 3);
}

TEST_F(TopicUploadTest, NullTimestampsAreRejected) {
  ASSERT_OK_AND_ASSIGN(auto upload, Begin());
  auto good = RobotBatch({1, 2, 3});
  auto columns = good->columns();
  columns[0] = testing::ArrayOf(arrow::int64(), "[1, null, 3]");
  auto st = upload->Write(arrow::RecordBatch::Make(good->schema(), 3, columns));
  ASSERT_TRUE(st.IsInvalid());
  EXPECT_EQ(st.message(),
            "column 'timestamp_ns' of topic 'run1/front/imu' has 1 null value(s) in a batch; every row needs a "
            "timestamp");
  EXPECT_EQ(upload->rows_written(), 0);
  ASSERT_OK(upload->Write(good));
  EXPECT_EQ(upload->rows_written(), 3);
}

TEST_F(TopicUploadTest, EmptyUploadCommitsZeroChunks) {
  ASSERT_OK_AND_ASSIGN(auto upload, Begin());
  ASSERT_OK(upload->Write(RobotBatch({})));
  ASSERT_OK(upload->Commit());
  EXPECT_EQ(upload->rows_written(), 0);
  EXPECT_EQ(upload->chunks_written(), 0);
  EXPECT_TRUE(catalog_->committed.at(topic_.id).empty());
  EXPECT_EQ(UploadObjects(upload->upload_id()),
            (std::vector<std::string>{store::layout::UploadManifest("run1", "front/imu", upload->upload_id())}));
}

TEST_F(TopicUploadTest, AbortAndDestructorRemoveEverythingOfTheUpload) {
  ChunkWriterOptions options;
  options.target_chunk_bytes = 1;  // a chunk per batch
  std::string id;
  {
    ASSERT_OK_AND_ASSIGN(auto upload, Begin(RobotSchema(), options));
    id = upload->upload_id();
    ASSERT_OK(upload->Write(RobotBatch({1, 2})));
    ASSERT_OK(upload->Write(RobotBatch({3})));
    EXPECT_EQ(upload->chunks_written(), 1);  // the second chunk may still be encoding in the background
    EXPECT_GE(UploadObjects(id).size(), 1u);
    upload->Abort();
    EXPECT_TRUE(UploadObjects(id).empty());
    EXPECT_TRUE(IsFailedPrecondition(upload->Write(RobotBatch({4}))));
    EXPECT_TRUE(IsFailedPrecondition(upload->Commit()));
  }
  {
    ASSERT_OK_AND_ASSIGN(auto upload, Begin(RobotSchema(), options));
    id = upload->upload_id();
    ASSERT_OK(upload->Write(RobotBatch({1, 2})));
    ASSERT_OK(upload->Write(RobotBatch({3})));
    EXPECT_GE(UploadObjects(id).size(), 1u);
  }  // destroyed without Commit (e.g. the client cancelled the stream)
  EXPECT_TRUE(UploadObjects(id).empty());
  EXPECT_FALSE(catalog_->topic(topic_.id).upload_id.has_value());
  // Only the topic's schema snapshot remains.
  EXPECT_EQ(AllObjects(), (std::vector<std::string>{store::layout::TopicSchema("run1", "front/imu")}));
}

TEST_F(TopicUploadTest, CatalogRefusalDeletesTheUploadAndReturnsItsError) {
  ASSERT_OK_AND_ASSIGN(auto upload, Begin());
  ASSERT_OK(upload->Write(RobotBatch({5, 1, 3})));
  catalog_->refuse_commit = FailedPrecondition("topic 'run1/front/imu' is locked");
  auto st = upload->Commit();
  EXPECT_TRUE(IsFailedPrecondition(st)) << st.ToString();
  EXPECT_EQ(st.message(), "topic 'run1/front/imu' is locked");
  EXPECT_TRUE(UploadObjects(upload->upload_id()).empty());
  EXPECT_TRUE(IsFailedPrecondition(upload->Commit()));
}

TEST_F(TopicUploadTest, SnapshotReplacedByAnotherStreamFailsTheCommit) {
  ASSERT_OK_AND_ASSIGN(auto upload, Begin());
  ASSERT_OK(upload->Write(RobotBatch({1})));
  // Another stream (e.g. another daemon) froze a different schema meanwhile.
  auto other = RobotSchema()->RemoveField(8).ValueOrDie();
  auto t = catalog_->topic(topic_.id);
  t.schema_ipc = SerializeSchema(*other).ValueOrDie();
  catalog_->set_topic(t);
  auto st = upload->Commit();
  EXPECT_TRUE(IsFailedPrecondition(st)) << st.ToString();
  EXPECT_TRUE(Contains(st.message(), "was set by another upload")) << st.message();
  EXPECT_TRUE(UploadObjects(upload->upload_id()).empty());
  EXPECT_FALSE(catalog_->committed.count(topic_.id));
}

}  // namespace
}  // namespace mosaico::ingest
