// Striped uploads: the stripe bookkeeping (StripeLedger), StripedUpload against a real local store, and the
// per-daemon registry (StripedUploads) with its idle limit.
#include "mosaico/ingest/striped_upload.h"

#include <thread>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "ingest/test_util.h"
#include "mosaico/core/errors.h"
#include "mosaico/ingest/stripe_ledger.h"
#include "mosaico/ingest/striped_uploads.h"
#include "mosaico/ingest/upload_manifest.h"
#include "mosaico/store/layout.h"

namespace mosaico::ingest {
namespace {

using testing::Contains;
using testing::FakeCatalog;
using testing::ReadParquet;
using testing::RobotBatch;
using testing::RobotSchema;
using testing::TempDir;

// The ErrorKind of `st`; kUnavailable stands for "none" here (no test expects that kind).
ErrorKind KindOf(const arrow::Status& st) {
  ErrorKind kind = ErrorKind::kUnavailable;
  GetErrorKind(st, &kind);
  return kind;
}

catalog::ChunkRecord Chunk(int32_t index) {
  catalog::ChunkRecord c;
  c.index = index;
  c.object_key = "k" + std::to_string(index);
  return c;
}

// --- StripeLedger ---

TEST(StripeLedgerTest, ValidateFieldsNamesTheField) {
  EXPECT_OK(StripeLedger::ValidateFields(1, 0));
  EXPECT_OK(StripeLedger::ValidateFields(64, 63));
  for (auto [n, i] : {std::pair<int64_t, int64_t>{0, 0}, {65, 0}, {-1, 0}}) {
    auto st = StripeLedger::ValidateFields(n, i);
    EXPECT_TRUE(st.IsInvalid() && Contains(st.message(), "'stripes'")) << n << ": " << st.ToString();
  }
  for (auto [n, i] : {std::pair<int64_t, int64_t>{4, 4}, {4, -1}, {1, 1}}) {
    auto st = StripeLedger::ValidateFields(n, i);
    EXPECT_TRUE(st.IsInvalid() && Contains(st.message(), "'stripe'")) << n << "," << i << ": " << st.ToString();
  }
}

TEST(StripeLedgerTest, RefusalsChangeNothing) {
  StripeLedger ledger(3);
  ASSERT_OK(ledger.Open(1, 3));
  const auto before = ledger.waiting_for();
  auto dup = ledger.Open(1, 3);
  EXPECT_TRUE(dup.IsAlreadyExists() && Contains(dup.message(), "'stripe'")) << dup.ToString();
  auto count = ledger.Open(0, 4);
  EXPECT_TRUE(count.IsInvalid() && Contains(count.message(), "'stripes'")) << count.ToString();
  auto range = ledger.Open(3, 3);
  EXPECT_TRUE(range.IsInvalid() && Contains(range.message(), "'stripe'")) << range.ToString();
  EXPECT_EQ(ledger.waiting_for(), before);
  EXPECT_EQ(ledger.open_streams(), 1);
  EXPECT_EQ(ledger.state(), StripeLedger::State::kOpen);
  // A closed stripe cannot be sent again either.
  ASSERT_OK_AND_ASSIGN(bool last, ledger.Close(1, {Chunk(StripeLedger::FirstChunkIndex(1))}, 5));
  EXPECT_FALSE(last);
  auto again = ledger.Open(1, 3);
  EXPECT_TRUE(again.IsAlreadyExists() && Contains(again.message(), "closed")) << again.ToString();
}

TEST(StripeLedgerTest, LastCloseCompletesAndChunksComeByStripeThenIndex) {
  StripeLedger ledger(3);
  for (int i : {2, 0, 1}) ASSERT_OK(ledger.Open(i, 3));
  const int32_t s1 = StripeLedger::FirstChunkIndex(1), s2 = StripeLedger::FirstChunkIndex(2);
  ASSERT_OK_AND_ASSIGN(bool a, ledger.Close(2, {Chunk(s2), Chunk(s2 + 1)}, 20));
  EXPECT_FALSE(a);
  EXPECT_EQ(ledger.waiting_for(), (std::vector<int>{0, 1}));
  ASSERT_OK_AND_ASSIGN(bool b, ledger.Close(0, {Chunk(0), Chunk(1), Chunk(2)}, 30));
  EXPECT_FALSE(b);
  ASSERT_OK_AND_ASSIGN(bool c, ledger.Close(1, {}, 0));  // an empty stripe is a stripe too
  EXPECT_TRUE(c);
  EXPECT_EQ(ledger.state(), StripeLedger::State::kCommitting);
  EXPECT_TRUE(ledger.waiting_for().empty());
  EXPECT_EQ(ledger.rows(), 50);
  std::vector<int32_t> order;
  for (const auto& ch : ledger.AllChunks()) order.push_back(ch.index);
  EXPECT_EQ(order, (std::vector<int32_t>{0, 1, 2, s2, s2 + 1}));
  EXPECT_LT(2, s1);
  // Committing: a late stripe is refused naming the field; a failure reported by the committer sticks.
  auto late = ledger.Open(0, 3);
  EXPECT_EQ(KindOf(late), ErrorKind::kFailedPrecondition);
  EXPECT_TRUE(Contains(late.message(), "'stripe'")) << late.ToString();
  ledger.Committed();
  EXPECT_FALSE(ledger.Fail(arrow::Status::IOError("late")));
  EXPECT_EQ(ledger.state(), StripeLedger::State::kCommitted);
}

TEST(StripeLedgerTest, FailureIsStickyAndOpenStreamsDrain) {
  StripeLedger ledger(2);
  ASSERT_OK(ledger.Open(0, 2));
  ASSERT_OK(ledger.Open(1, 2));
  EXPECT_TRUE(ledger.Fail(arrow::Status::IOError("disk")));
  EXPECT_FALSE(ledger.Fail(arrow::Status::IOError("second")));
  EXPECT_EQ(ledger.failure().message(), "disk");
  auto open = ledger.Open(0, 2);
  EXPECT_EQ(KindOf(open), ErrorKind::kAborted);
  EXPECT_TRUE(Contains(open.message(), "disk")) << open.ToString();
  auto close = ledger.Close(0, {}, 0);
  EXPECT_EQ(KindOf(close.status()), ErrorKind::kAborted);
  ledger.StreamEnded(0);
  ledger.StreamEnded(1);
  ledger.StreamEnded(1);  // idempotent
  EXPECT_EQ(ledger.open_streams(), 0);
}

TEST(StripeLedgerTest, StripeChunkNamesParseBack) {
  for (int32_t index : {0, 12, 999999, StripeLedger::FirstChunkIndex(1), StripeLedger::FirstChunkIndex(63) + 41}) {
    const auto key = store::layout::ChunkObject("s", "t", "U", index);
    auto ref = store::layout::ParseKey(key);
    EXPECT_EQ(ref.kind, store::layout::ObjectRef::Kind::kChunk) << key;
    EXPECT_EQ(ref.chunk_index, index) << key;
  }
  // Non-canonical spellings are not chunks: 7+ digits with a leading zero, 11 digits, a sign.
  for (const char* name : {"chunk-0000012.parquet", "chunk-12345678901.parquet", "chunk-+00012.parquet",
                           "chunk-99999999999.parquet"}) {
    auto ref = store::layout::ParseKey(std::string("sequences/s/topics/t/uploads/U/") + name);
    EXPECT_NE(ref.kind, store::layout::ObjectRef::Kind::kChunk) << name;
  }
}

// --- StripedUpload ---

class StripedUploadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::ObjectStore::Open(dir_.path()).ValueOrDie();
    catalog_ = std::make_shared<FakeCatalog>(store_);
    topic_ = catalog_->AddTopic("run1", "cam");
    slot_ = std::make_shared<int>(7);
    slot_watch_ = slot_;
  }

  arrow::Result<std::shared_ptr<StripedUpload>> Begin(int stripes) {
    auto slot = std::move(slot_);
    return StripedUpload::Begin(catalog_, store_, catalog_->topic(topic_.id), RobotSchema(), stripes, std::move(slot));
  }
  ChunkWriterOptions SmallChunks() {
    ChunkWriterOptions o;
    o.target_chunk_bytes = 2 << 10;
    return o;
  }
  std::vector<std::string> UploadObjects(const std::string& upload_id) {
    return store_->List(store::layout::UploadDir("run1", "cam", upload_id)).ValueOrDie();
  }

  TempDir dir_;
  std::shared_ptr<store::ObjectStore> store_;
  std::shared_ptr<FakeCatalog> catalog_;
  catalog::TopicRecord topic_;
  std::shared_ptr<int> slot_;
  std::weak_ptr<int> slot_watch_;  // expired once the upload released the topic's slot
};

TEST_F(StripedUploadTest, ConcurrentStripesCommitOnceWithOneManifest) {
  ASSERT_OK_AND_ASSIGN(auto upload, Begin(3));
  std::vector<std::unique_ptr<Stripe>> stripes;
  for (int i : {1, 0, 2}) {
    ASSERT_OK_AND_ASSIGN(auto s, upload->OpenStripe(i, 3, RobotSchema(), SmallChunks()));
    stripes.push_back(std::move(s));
  }
  std::vector<arrow::Result<StripeOutcome>> outcomes(3, arrow::Status::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (size_t k = 0; k < stripes.size(); ++k) {
    threads.emplace_back([&, k] {
      Stripe* s = stripes[k].get();
      for (int b = 0; b < 8; ++b) {
        std::vector<int64_t> ts;
        for (int r = 0; r < 10; ++r) ts.push_back(1000 - (b * 10 + r) + s->index());  // overlapping ranges
        if (auto st = s->Write(RobotBatch(ts, b * 10)); !st.ok()) {
          outcomes[k] = st;
          return;
        }
      }
      outcomes[k] = s->Close();
    });
  }
  for (auto& t : threads) t.join();
  int committed = 0;
  for (auto& o : outcomes) {
    ASSERT_OK(o.status());
    committed += o->committed ? 1 : 0;
    EXPECT_EQ(o->rows, 80);
    EXPECT_GE(o->chunks, 2);
  }
  EXPECT_EQ(committed, 1);
  EXPECT_TRUE(upload->ended());
  EXPECT_TRUE(slot_watch_.expired());
  EXPECT_TRUE(catalog_->manifest_in_store_at_commit);
  ASSERT_EQ(catalog_->committed.count(topic_.id), 1u);
  const auto& chunks = catalog_->committed[topic_.id];
  int64_t rows = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    rows += chunks[i].row_count;
    if (i > 0) EXPECT_LT(chunks[i - 1].index, chunks[i].index);
    EXPECT_EQ(chunks[i].object_key, store::layout::ChunkObject("run1", "cam", upload->upload_id(), chunks[i].index));
    ASSERT_OK_AND_ASSIGN(auto table, ReadParquet(*store_, chunks[i].object_key));
    EXPECT_EQ(table->num_rows(), chunks[i].row_count);
  }
  EXPECT_EQ(rows, 240);
  EXPECT_GE(chunks.back().index, StripeLedger::FirstChunkIndex(2));
  ASSERT_OK_AND_ASSIGN(auto text, store_->Get(store::layout::UploadManifest("run1", "cam", upload->upload_id())));
  ASSERT_OK_AND_ASSIGN(auto manifest, UploadManifest::Parse(text->ToString()));
  EXPECT_EQ(manifest.row_count, 240);
  EXPECT_EQ(manifest.chunks.size(), chunks.size());
}

TEST_F(StripedUploadTest, OneStripeFailingAbortsTheOthersAndDeletesEverything) {
  ASSERT_OK_AND_ASSIGN(auto upload, Begin(3));
  ASSERT_OK_AND_ASSIGN(auto s0, upload->OpenStripe(0, 3, RobotSchema(), SmallChunks()));
  ASSERT_OK_AND_ASSIGN(auto s1, upload->OpenStripe(1, 3, RobotSchema(), SmallChunks()));
  ASSERT_OK_AND_ASSIGN(auto s2, upload->OpenStripe(2, 3, RobotSchema(), SmallChunks()));
  for (int b = 0; b < 5; ++b) {
    ASSERT_OK(s0->Write(RobotBatch({b * 10, b * 10 + 1, b * 10 + 2})));
    ASSERT_OK(s1->Write(RobotBatch({b * 10 + 5})));
  }
  ASSERT_OK_AND_ASSIGN(auto closed, s0->Close());
  EXPECT_FALSE(closed.committed);
  EXPECT_EQ(closed.waiting_for, (std::vector<int>{1, 2}));
  EXPECT_FALSE(UploadObjects(upload->upload_id()).empty());
  s1->Fail(arrow::Status::IOError("client vanished"));
  EXPECT_TRUE(upload->ended());
  EXPECT_FALSE(slot_watch_.expired()) << "stripe 2 still streams: the topic's slot must stay held";
  auto write = s2->Write(RobotBatch({1}));
  EXPECT_EQ(KindOf(write), ErrorKind::kAborted);
  EXPECT_TRUE(Contains(write.message(), "stripe 1 failed") && Contains(write.message(), "client vanished"))
      << write.ToString();
  s2.reset();
  EXPECT_TRUE(slot_watch_.expired());
  EXPECT_TRUE(UploadObjects(upload->upload_id()).empty());
  EXPECT_EQ(catalog_->committed.count(topic_.id), 0u);
  auto late = upload->OpenStripe(2, 3, RobotSchema(), SmallChunks());
  EXPECT_EQ(KindOf(late.status()), ErrorKind::kAborted);
}

TEST_F(StripedUploadTest, RefusedCommitDeletesEveryStripesObjects) {
  ASSERT_OK_AND_ASSIGN(auto upload, Begin(2));
  ASSERT_OK_AND_ASSIGN(auto s0, upload->OpenStripe(0, 2, RobotSchema(), SmallChunks()));
  ASSERT_OK_AND_ASSIGN(auto s1, upload->OpenStripe(1, 2, RobotSchema(), SmallChunks()));
  ASSERT_OK(s0->Write(RobotBatch({1, 2, 3})));
  ASSERT_OK(s1->Write(RobotBatch({2, 3, 4})));
  ASSERT_OK(s0->Close().status());
  catalog_->refuse_commit = FailedPrecondition("session finalized meanwhile");
  auto last = s1->Close();
  EXPECT_EQ(KindOf(last.status()), ErrorKind::kFailedPrecondition);
  EXPECT_TRUE(UploadObjects(upload->upload_id()).empty());
  EXPECT_TRUE(slot_watch_.expired());
  EXPECT_TRUE(upload->ended());
}

TEST_F(StripedUploadTest, SchemaMismatchIsRefusedAndChangesNothing) {
  ASSERT_OK_AND_ASSIGN(auto upload, Begin(2));
  auto other = RobotSchema()->WithMetadata(nullptr);
  auto fields = other->fields();
  fields.push_back(arrow::field("extra", arrow::int32()));
  auto mismatch = upload->OpenStripe(1, 2, arrow::schema(fields), SmallChunks());
  ASSERT_FALSE(mismatch.ok());
  EXPECT_TRUE(mismatch.status().IsInvalid() && Contains(mismatch.status().message(), "extra"))
      << mismatch.status().ToString();
  EXPECT_EQ(upload->waiting_for(), (std::vector<int>{0, 1}));
  ASSERT_OK_AND_ASSIGN(auto s1, upload->OpenStripe(1, 2, RobotSchema(), SmallChunks()));
  ASSERT_OK_AND_ASSIGN(auto s0, upload->OpenStripe(0, 2, RobotSchema(), SmallChunks()));
  ASSERT_OK(s1->Close().status());
  ASSERT_OK_AND_ASSIGN(auto done, s0->Close());
  EXPECT_TRUE(done.committed);
}

TEST_F(StripedUploadTest, RegistryJoinsReopensAfterAnEndAndAbortsIdleUploads) {
  StripedUploads registry(/*idle_limit_seconds=*/0.5, "--upload-idle-timeout-seconds");
  int opened = 0;
  auto open = [&]() -> arrow::Result<std::shared_ptr<StripedUpload>> {
    ++opened;
    return Begin(2);
  };
  ASSERT_OK_AND_ASSIGN(auto a, registry.FindOrOpen("run1/cam", open));
  ASSERT_OK_AND_ASSIGN(auto b, registry.FindOrOpen("run1/cam", open));
  EXPECT_EQ(a, b);
  EXPECT_EQ(opened, 1);
  ASSERT_OK_AND_ASSIGN(auto s0, a->OpenStripe(0, 2, RobotSchema(), SmallChunks()));
  ASSERT_OK(s0->Write(RobotBatch({1, 2})));
  const auto later = StripedUpload::Clock::now() + std::chrono::seconds(5);
  EXPECT_EQ(registry.ReapIdle(later), 0) << "a stripe is streaming: not idle";
  ASSERT_OK(s0->Close().status());
  EXPECT_EQ(registry.ReapIdle(), 0) << "idle for less than the limit";
  EXPECT_FALSE(UploadObjects(a->upload_id()).empty());
  EXPECT_EQ(registry.ReapIdle(StripedUpload::Clock::now() + std::chrono::seconds(5)), 1);
  EXPECT_TRUE(a->ended());
  EXPECT_TRUE(UploadObjects(a->upload_id()).empty());
  EXPECT_EQ(registry.in_progress(), 0u);
  slot_ = std::make_shared<int>(8);
  ASSERT_OK_AND_ASSIGN(auto c, registry.FindOrOpen("run1/cam", open));
  EXPECT_NE(c, a);
  EXPECT_EQ(opened, 2);
}

}  // namespace
}  // namespace mosaico::ingest
