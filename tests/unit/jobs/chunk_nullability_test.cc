// Chunks that store null-free fields required (ingest/chunk_nullability.h, since f467a5c) next to chunks that store
// every field as the topic declares it (all chunks written before) and chunks holding nulls: the read path returns the
// rows under the topic's schema whatever mix a topic holds, and compaction merges such chunks into chunks that are
// again required only where they hold no null. Here because it needs ingest (writer) and read/jobs together.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/io/buffered.h>
#include <gtest/gtest.h>
#include <parquet/arrow/writer.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <parquet/schema.h>

#include "catalog/catalog_test_util.h"
#include "mosaico/catalog/catalog.h"
#include "mosaico/core/locator.h"
#include "mosaico/ingest/chunk_parquet.h"
#include "mosaico/ingest/chunk_writer.h"
#include "mosaico/ingest/schema_check.h"
#include "mosaico/ingest/topic_upload.h"
#include "mosaico/jobs/compaction.h"
#include "mosaico/lifecycle/lifecycle.h"
#include "mosaico/read/topic_reader.h"
#include "mosaico/store/layout.h"

namespace mosaico::jobs {
namespace {

using catalog::testing::TempDir;

#define ASSERT_OK_AND_ASSIGN(lhs, expr) MOSAICO_ASSERT_OK_AND_ASSIGN(lhs, expr)
#define ASSERT_OK(expr) MOSAICO_ASSERT_OK(expr)

// As the SDK declares them: everything but the timestamp nullable; field metadata on a struct child.
std::shared_ptr<arrow::Schema> Topic() {
  auto pos = arrow::struct_({arrow::field("x", arrow::float64(), true, arrow::key_value_metadata({"unit"}, {"m"})),
                             arrow::field("y", arrow::float64())});
  return arrow::schema({arrow::field("timestamp_ns", arrow::int64(), false), arrow::field("value", arrow::float64()),
                        arrow::field("pos", pos), arrow::field("label", arrow::utf8())},
                       arrow::key_value_metadata({"mosaico:ontology"}, {"imu"}));
}

// Rows with timestamps ts0, ts0 + step, ...; `value_nulls`: every 4th value null; `pos_nulls`: every 5th pos null.
std::shared_ptr<arrow::RecordBatch> Rows(int64_t ts0, int64_t step, int64_t n, bool value_nulls, bool pos_nulls) {
  auto schema = Topic();
  auto builder = arrow::MakeBuilder(schema->field(2)->type()).ValueOrDie();
  auto& pos = static_cast<arrow::StructBuilder&>(*builder);
  auto& x = static_cast<arrow::DoubleBuilder&>(*pos.field_builder(0));
  auto& y = static_cast<arrow::DoubleBuilder&>(*pos.field_builder(1));
  arrow::Int64Builder ts;
  arrow::DoubleBuilder value;
  arrow::StringBuilder label;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t t = ts0 + i * step;
    EXPECT_TRUE(ts.Append(t).ok());
    EXPECT_TRUE((value_nulls && i % 4 == 1 ? value.AppendNull() : value.Append(static_cast<double>(t) / 8)).ok());
    if (pos_nulls && i % 5 == 2) {
      EXPECT_TRUE(pos.AppendNull().ok());
    } else {
      EXPECT_TRUE(pos.Append().ok());
      EXPECT_TRUE(x.Append(static_cast<double>(t) * 0.5).ok());
      EXPECT_TRUE(y.Append(-static_cast<double>(t)).ok());
    }
    EXPECT_TRUE(label.Append("l" + std::to_string(t % 7)).ok());
  }
  std::shared_ptr<arrow::Array> a, b, c, d;
  EXPECT_TRUE(ts.Finish(&a).ok());
  EXPECT_TRUE(value.Finish(&b).ok());
  EXPECT_TRUE(pos.Finish(&c).ok());
  EXPECT_TRUE(label.Finish(&d).ok());
  return arrow::RecordBatch::Make(schema, n, {a, b, c, d});
}

// Max definition level of every leaf of a chunk ("value" -> 1 when it is stored nullable, 0 when required).
std::map<std::string, int16_t> Levels(store::ObjectStore& store, const std::string& key) {
  auto md = parquet::ParquetFileReader::Open(store.OpenRead(key).ValueOrDie())->metadata();
  std::map<std::string, int16_t> out;
  for (int i = 0; i < md->schema()->num_columns(); ++i) {
    out[md->schema()->Column(i)->path()->ToDotString()] = md->schema()->Column(i)->max_definition_level();
  }
  return out;
}

using Levels_t = std::map<std::string, int16_t>;

// A chunk as every ChunkWriter before f467a5c wrote it: the topic's schema, every declared-nullable leaf with
// definition levels, whatever it holds.
catalog::ChunkRecord WriteLegacyChunk(store::ObjectStore& store, const std::shared_ptr<arrow::RecordBatch>& batch,
                                      const std::string& key, int32_t index) {
  auto table = arrow::Table::FromRecordBatches({batch}).ValueOrDie();
  auto arrow_props = ingest::ChunkArrowWriterProperties();
  auto props = ingest::ChunkWriterProperties(*table->schema(), 1, 65536, arrow_props).ValueOrDie();
  auto sink = store.OpenWrite(key).ValueOrDie();
  auto writer = parquet::arrow::FileWriter::Open(*table->schema(), arrow::default_memory_pool(), sink, props,
                                                 arrow_props)
                    .ValueOrDie();
  EXPECT_TRUE(writer->WriteTable(*table, 65536).ok());
  EXPECT_TRUE(writer->Close().ok());
  EXPECT_TRUE(sink->Close().ok());
  catalog::ChunkRecord rec;
  rec.index = index;
  rec.object_key = key;
  rec.row_count = table->num_rows();
  rec.size_bytes = store.Size(key).ValueOr(0);
  const auto& ts = static_cast<const arrow::Int64Array&>(*batch->column(0));
  rec.ts_min = ts.Value(0);
  rec.ts_max = ts.Value(ts.length() - 1);
  return rec;
}

// Every row of `batches`, stably sorted by timestamp (the order the read path merges chunks in, for distinct
// timestamps), in [start, end).
std::shared_ptr<arrow::Table> Expected(const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches, int64_t start,
                                       int64_t end) {
  auto table = arrow::Table::FromRecordBatches(Topic(), batches).ValueOrDie();
  auto idx = arrow::compute::SortIndices(*table->column(0)).ValueOrDie();
  auto sorted = arrow::compute::Take(table, idx).ValueOrDie().table()->CombineChunks().ValueOrDie();
  const auto& ts = static_cast<const arrow::Int64Array&>(*sorted->column(0)->chunk(0));
  int64_t lo = 0, hi = sorted->num_rows();
  while (lo < hi && ts.Value(lo) < start) ++lo;
  while (hi > lo && ts.Value(hi - 1) >= end) --hi;
  return sorted->Slice(lo, hi - lo);
}

std::shared_ptr<arrow::Table> ReadAll(const std::shared_ptr<store::ObjectStore>& store,
                                      const std::vector<catalog::ChunkRecord>& chunks, TimeWindow window,
                                      const read::ReadOptions& options) {
  auto reader = read::OpenTopicReader(store, Topic(), chunks, window, options);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return nullptr;
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  while (true) {
    auto next = (*reader)->Next();
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    if (!next.ok() || !*next) break;
    // Every batch carries the topic's schema exactly: nullability and (nested) field metadata included.
    EXPECT_TRUE((*next)->schema()->Equals(*Topic(), /*check_metadata=*/true)) << (*next)->schema()->ToString(true);
    EXPECT_TRUE((*next)->ValidateFull().ok());
    batches.push_back(*next);
  }
  return arrow::Table::FromRecordBatches(Topic(), batches).ValueOrDie()->CombineChunks().ValueOrDie();
}

// One topic holding a chunk written before f467a5c (all nullable), a null-free chunk written now (all required)
// and one holding nulls written now, their timestamps interleaved so the reader merges them row by row.
TEST(ChunkNullabilityMixTest, OldAndNewChunksOfOneTopicReadBackAsTheRowsUnderTheTopicSchema) {
  TempDir dir;
  auto store = store::ObjectStore::Open((dir.path() / "store").string()).ValueOrDie();
  const auto legacy_rows = Rows(0, 3, 200, false, false);
  const auto clean_rows = Rows(1, 3, 200, false, false);
  const auto null_rows = Rows(2, 3, 200, true, true);
  std::vector<catalog::ChunkRecord> chunks = {
      WriteLegacyChunk(*store, legacy_rows, store::layout::ChunkObject("s", "t", "OLD", 0), 0)};
  int32_t index = 1;
  for (const auto& rows : {clean_rows, null_rows}) {
    ingest::ChunkWriterOptions options;
    options.first_chunk_index = index++;
    options.row_group_rows = 64;
    ingest::ChunkWriter writer(store, "s", "t", "NEW", Topic(), options);
    ASSERT_OK(writer.Append(rows));
    ASSERT_OK_AND_ASSIGN(auto written, writer.Finish());
    ASSERT_EQ(written.size(), 1u);
    chunks.push_back(written[0]);
  }
  EXPECT_EQ(Levels(*store, chunks[0].object_key),
            (Levels_t{{"timestamp_ns", 0}, {"value", 1}, {"pos.x", 2}, {"pos.y", 2}, {"label", 1}}));
  EXPECT_EQ(Levels(*store, chunks[1].object_key),
            (Levels_t{{"timestamp_ns", 0}, {"value", 0}, {"pos.x", 0}, {"pos.y", 0}, {"label", 0}}));
  EXPECT_EQ(Levels(*store, chunks[2].object_key),
            (Levels_t{{"timestamp_ns", 0}, {"value", 1}, {"pos.x", 2}, {"pos.y", 2}, {"label", 0}}));

  const std::vector<std::shared_ptr<arrow::RecordBatch>> all = {legacy_rows, clean_rows, null_rows};
  for (const read::ReadOptions& options : {read::ReadOptions{}, read::ReadOptions{.max_batch_rows = 7},
                                           read::ReadOptions{.use_threads = true, .readahead_batches = 2}}) {
    for (auto [start, end] : std::vector<std::pair<int64_t, int64_t>>{{0, 1000}, {100, 401}, {597, 598}}) {
      SCOPED_TRACE(std::to_string(start) + ".." + std::to_string(end) + " rows " +
                   std::to_string(options.max_batch_rows));
      TimeWindow window;
      window.start_ns = start;
      window.end_ns = end;
      auto got = ReadAll(store, chunks, window, options);
      ASSERT_TRUE(got);
      auto want = Expected(all, start, end)->CombineChunks().ValueOrDie();
      EXPECT_EQ(got->num_rows(), want->num_rows());
      EXPECT_TRUE(got->Equals(*want, /*check_metadata=*/true)) << got->ToString();
    }
  }
}

class CompactMixedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_ = *catalog::OpenCatalog("sqlite://" + (dir_.path() / "catalog.db").string());
    store_ = *store::ObjectStore::Open((dir_.path() / "store").string());
    lc_ = std::make_unique<lifecycle::Lifecycle>(catalog_, store_);
  }

  // A finalized topic with one chunk per batch.
  catalog::TopicRecord Upload(const std::string& seq, const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches) {
    EXPECT_TRUE(lc_->CreateSequence(seq, "{}").ok());
    auto session = *lc_->CreateSession(seq);
    auto record = *lc_->CreateTopic({session.uuid, TopicLocator{seq, "imu"}, "default", "imu", "{}"});
    ingest::ChunkWriterOptions writer;
    writer.target_chunk_bytes = 1;  // every batch its own chunk
    auto upload = ingest::TopicUpload::Begin(catalog_, store_, record, Topic(), writer);
    EXPECT_TRUE(upload.ok()) << upload.status().ToString();
    for (const auto& b : batches) EXPECT_TRUE((*upload)->Write(b).ok());
    EXPECT_TRUE((*upload)->Commit().ok());
    EXPECT_TRUE(lc_->FinalizeSession(session.uuid).ok());
    return *catalog_->GetTopic(seq, "imu");
  }

  std::vector<catalog::ChunkRecord> Chunks(const std::string& seq) {
    return *catalog_->ListChunks(catalog_->GetTopic(seq, "imu")->id, false);
  }

  TempDir dir_;
  std::shared_ptr<catalog::Catalog> catalog_;
  std::shared_ptr<store::ObjectStore> store_;
  std::unique_ptr<lifecycle::Lifecycle> lc_;
};

// Chunks of mixed nullability merge into one chunk that is nullable where any of them held a null and required
// elsewhere; a topic without any null compacts into an all-required chunk. Answers stay the same.
TEST_F(CompactMixedTest, MergedChunksAreRequiredOnlyWhereTheyHoldNoNull) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> mixed, clean;
  for (int b = 0; b < 8; ++b) {
    mixed.push_back(Rows(b * 1000, 1, 100, /*value_nulls=*/b == 3, /*pos_nulls=*/false));
    clean.push_back(Rows(b * 1000, 1, 100, false, false));
  }
  Upload("mixed", mixed);
  Upload("clean", clean);
  auto before = Chunks("mixed");
  ASSERT_EQ(before.size(), 8u);
  EXPECT_EQ(Levels(*store_, before[3].object_key).at("value"), 1);
  EXPECT_EQ(Levels(*store_, before[4].object_key).at("value"), 0);
  const auto answer_before = ReadAll(store_, before, TimeWindow{}, {});

  CompactionOptions options;
  options.min_chunk_bytes = 1 << 20;
  options.writer.target_chunk_bytes = 64 << 20;
  for (const std::string seq : {"mixed", "clean"}) {
    ASSERT_OK_AND_ASSIGN(auto report, CompactTopic(*catalog_, store_, seq, "imu", options));
    EXPECT_TRUE(report.compacted) << seq << ": " << report.skipped;
    ASSERT_EQ(Chunks(seq).size(), 1u) << seq;
  }
  const auto merged = Chunks("mixed");
  EXPECT_EQ(Levels(*store_, merged[0].object_key),
            (Levels_t{{"timestamp_ns", 0}, {"value", 1}, {"pos.x", 0}, {"pos.y", 0}, {"label", 0}}));
  EXPECT_EQ(Levels(*store_, Chunks("clean")[0].object_key),
            (Levels_t{{"timestamp_ns", 0}, {"value", 0}, {"pos.x", 0}, {"pos.y", 0}, {"label", 0}}));
  const auto answer_after = ReadAll(store_, merged, TimeWindow{}, {});
  ASSERT_TRUE(answer_before && answer_after);
  EXPECT_TRUE(answer_after->Equals(*answer_before, /*check_metadata=*/true));
  EXPECT_TRUE(answer_after->Equals(*Expected(mixed, 0, 1 << 30)->CombineChunks().ValueOrDie()));
}

}  // namespace
}  // namespace mosaico::jobs
