#include "mosaico/ingest/chunk_writer.h"

#include <algorithm>
#include <numeric>
#include <random>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <parquet/statistics.h>

#include "ingest/test_util.h"
#include "mosaico/ingest/column_stats.h"
#include "mosaico/store/checksum.h"
#include "mosaico/store/layout.h"

namespace mosaico::ingest {
namespace {

using testing::ReadParquet;
using testing::RobotBatch;
using testing::RobotSchema;
using testing::TempDir;

class ChunkWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = store::ObjectStore::Open(dir_.path()).ValueOrDie(); }

  std::unique_ptr<ChunkWriter> Writer(ChunkWriterOptions options = {}) {
    return std::make_unique<ChunkWriter>(store_, "seq", "front/imu", "UPLOAD1", RobotSchema(), options);
  }

  std::vector<std::string> Objects() { return store_->List(store::layout::SequencesRoot()).ValueOrDie(); }

  // All rows of `batches`, stably sorted by timestamp_ns.
  static std::shared_ptr<arrow::Table> Sorted(const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches) {
    auto table = arrow::Table::FromRecordBatches(RobotSchema(), batches).ValueOrDie();
    auto idx = arrow::compute::SortIndices(*table->column(0)).ValueOrDie();
    return arrow::compute::Take(table, idx).ValueOrDie().table()->CombineChunks().ValueOrDie();
  }

  TempDir dir_;
  std::shared_ptr<store::ObjectStore> store_;
};

// Field by field equality including (nested) field metadata. A map's entries field is named after its column by
// the Parquet reader ("labels" instead of "entries"); read/schema_conform restores the topic's types, so for maps
// only that name may differ (keys, items and all metadata must still be identical).
void ExpectSameFields(const arrow::Schema& got, const arrow::Schema& want) {
  ASSERT_EQ(got.num_fields(), want.num_fields());
  for (int i = 0; i < want.num_fields(); ++i) {
    const auto& g = *got.field(i);
    const auto& w = *want.field(i);
    if (w.type()->id() == arrow::Type::MAP) {
      const auto& gm = static_cast<const arrow::MapType&>(*g.type());
      const auto& wm = static_cast<const arrow::MapType&>(*w.type());
      EXPECT_TRUE(gm.key_field()->Equals(wm.key_field(), true)) << gm.ToString();
      EXPECT_TRUE(gm.item_field()->Equals(wm.item_field(), true)) << gm.ToString();
      EXPECT_TRUE(g.Equals(w, /*check_metadata=*/false));
      EXPECT_TRUE(g.metadata() == nullptr ? w.metadata() == nullptr : g.metadata()->Equals(*w.metadata()));
      continue;
    }
    EXPECT_TRUE(g.Equals(w, /*check_metadata=*/true)) << "field " << i << ": " << g.ToString(true) << " vs "
                                                       << w.ToString(true);
  }
}

std::vector<int64_t> Ints(const arrow::ChunkedArray& c) {
  std::vector<int64_t> out;
  for (const auto& chunk : c.chunks()) {
    const auto& a = static_cast<const arrow::Int64Array&>(*chunk);
    for (int64_t i = 0; i < a.length(); ++i) out.push_back(a.Value(i));
  }
  return out;
}

TEST_F(ChunkWriterTest, UnorderedRowsComeOutSortedAndStable) {
  auto w = Writer();
  // Equal timestamps (7, 7, 7) across batches: arrival order (seq) must be kept.
  auto b1 = RobotBatch({9, 7, 3, 7}, 0);
  auto b2 = RobotBatch({1, 7, 2}, 4);
  ASSERT_OK(w->Append(b1));
  ASSERT_OK(w->Append(b2));
  ASSERT_OK_AND_ASSIGN(auto chunks, w->Finish());
  ASSERT_EQ(chunks.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto table, ReadParquet(*store_, chunks[0].object_key));
  EXPECT_EQ(Ints(*table->GetColumnByName("timestamp_ns")), (std::vector<int64_t>{1, 2, 3, 7, 7, 7, 9}));
  EXPECT_EQ(Ints(*table->GetColumnByName("seq")), (std::vector<int64_t>{4, 6, 2, 1, 3, 5, 0}));
  EXPECT_EQ(chunks[0].ts_min, 1);
  EXPECT_EQ(chunks[0].ts_max, 9);
  EXPECT_EQ(chunks[0].row_count, 7);
  EXPECT_EQ(chunks[0].index, 0);
  EXPECT_EQ(chunks[0].object_key, store::layout::ChunkObject("seq", "front/imu", "UPLOAD1", 0));
}

// RobotSchema as a chunk of RobotBatch rows stores it: every field without nulls required. `z_null`: some
// acceleration.z is null (a timestamp divisible by 3); `pose_null`: some pose is null (divisible by 5).
std::shared_ptr<arrow::Schema> StoredRobotSchema(bool z_null, bool pose_null) {
  auto topic = RobotSchema();
  auto required = [&](const std::string& name) { return topic->GetFieldByName(name)->WithNullable(false); };
  auto acc = static_cast<const arrow::StructType&>(*topic->GetFieldByName("acceleration")->type()).fields();
  acc[0] = acc[0]->WithNullable(false);
  acc[1] = acc[1]->WithNullable(false);
  if (!z_null) acc[2] = acc[2]->WithNullable(false);
  auto pose = topic->GetFieldByName("pose");
  if (!pose_null) {
    auto position = arrow::field("position", arrow::struct_({arrow::field("x", arrow::float64(), false),
                                                             arrow::field("y", arrow::int32(), false)}),
                                 false);
    pose = arrow::field("pose", arrow::struct_({position}), false);
  }
  return arrow::schema({topic->field(0), required("acceleration")->WithType(arrow::struct_(acc)), pose,
                        required("frame_id"), required("valid"), required("ranges"), required("labels"),
                        required("image"), required("seq")},
                       topic->metadata());
}

TEST_F(ChunkWriterTest, ReadBackEqualsInputWithTheTopicsSchemaButNullFreeFieldsRequired) {
  auto w = Writer();
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches = {RobotBatch({30, 10, 20, 15}, 0),
                                                              RobotBatch({5, 25}, 4)};
  for (const auto& b : batches) ASSERT_OK(w->Append(b));
  ASSERT_OK_AND_ASSIGN(auto chunks, w->Finish());
  ASSERT_EQ(chunks.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto table, ReadParquet(*store_, chunks[0].object_key));

  // Types and field metadata (top-level and nested) read back as written; fields without nulls in the chunk are
  // stored required (chunk_nullability.h): list and map fields themselves too, not their items.
  auto expected = Sorted(batches);
  ExpectSameFields(*table->schema(), *StoredRobotSchema(/*z_null=*/true, /*pose_null=*/true));
  ASSERT_OK_AND_ASSIGN(auto as_topic, testing::AsTopic(table, RobotSchema()));
  EXPECT_TRUE(as_topic->Equals(*expected)) << as_topic->ToString() << "\nvs\n" << expected->ToString();
  // The stored Arrow schema carries the schema-level metadata too.
  EXPECT_TRUE(table->schema()->HasMetadata());
  EXPECT_EQ(table->schema()->metadata()->Get("schema_level").ValueOr(""), "ignored by comparisons");
}

TEST_F(ChunkWriterTest, ParquetFileProperties) {
  ChunkWriterOptions options;
  options.row_group_rows = 4;
  auto w = Writer(options);
  ASSERT_OK(w->Append(RobotBatch({10, 9, 8, 7, 6, 5, 4, 3, 2, 1})));
  ASSERT_OK_AND_ASSIGN(auto chunks, w->Finish());
  ASSERT_EQ(chunks.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto file, store_->OpenRead(chunks[0].object_key));
  auto reader = parquet::ParquetFileReader::Open(file);
  auto md = reader->metadata();
  EXPECT_EQ(md->num_rows(), 10);
  ASSERT_EQ(md->num_row_groups(), 3);  // 4 + 4 + 2 rows
  EXPECT_EQ(md->RowGroup(0)->num_rows(), 4);
  auto col = md->RowGroup(0)->ColumnChunk(0);  // timestamp_ns: delta-packed, LZ4 (chunk_parquet.cc)
  EXPECT_EQ(col->compression(), arrow::Compression::LZ4);
  EXPECT_EQ(md->RowGroup(0)->ColumnChunk(1)->compression(), arrow::Compression::ZSTD);  // other columns: zstd
  ASSERT_TRUE(col->is_stats_set());
  auto stats = std::static_pointer_cast<parquet::Int64Statistics>(col->statistics());
  EXPECT_EQ(stats->min(), 1);
  EXPECT_EQ(stats->max(), 4);
  EXPECT_TRUE(md->key_value_metadata()->Contains("ARROW:schema"));
}

// Column-parallel encode (buffered row groups on Arrow's CPU pool) writes the very file the column-after-column
// encode writes, whichever the machine picks (parallel_encode_min_threads against the pool's threads).
TEST_F(ChunkWriterTest, ColumnParallelAndSerialEncodesWriteTheSameFile) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches = {RobotBatch({10, 9, 8, 7, 6}, 0),
                                                              RobotBatch({5, 4, 3}, 5), RobotBatch({2, 1}, 8)};
  std::vector<std::shared_ptr<arrow::Buffer>> files;
  for (int min_threads : {1, 1 << 20}) {  // 1: parallel whenever the pool exists; 1 << 20: never
    ChunkWriterOptions options;
    options.row_group_rows = 4;
    options.parallel_encode_min_threads = min_threads;
    auto w = std::make_unique<ChunkWriter>(store_, "seq", "front/imu", "UPLOAD" + std::to_string(min_threads),
                                           RobotSchema(), options);
    for (const auto& b : batches) ASSERT_OK(w->Append(b));
    ASSERT_OK_AND_ASSIGN(auto chunks, w->Finish());
    ASSERT_EQ(chunks.size(), 1u);
    ASSERT_OK_AND_ASSIGN(auto bytes, store_->Get(chunks[0].object_key));
    files.push_back(bytes);
    ASSERT_OK_AND_ASSIGN(auto table, ReadParquet(*store_, chunks[0].object_key));
    ASSERT_OK_AND_ASSIGN(auto as_topic, testing::AsTopic(table, RobotSchema()));
    EXPECT_TRUE(as_topic->Equals(*Sorted(batches)));
  }
  ASSERT_EQ(files.size(), 2u);
  EXPECT_TRUE(files[0]->Equals(*files[1])) << files[0]->size() << " vs " << files[1]->size() << " bytes";
}

TEST_F(ChunkWriterTest, RollsChunksAtTargetSizeWithCorrectRecords) {
  ChunkWriterOptions options;
  options.target_chunk_bytes = 4 << 10;  // a few batches per chunk
  auto w = Writer(options);
  std::mt19937_64 rng(42);
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  int64_t rows = 0;
  for (int b = 0; b < 40; ++b) {
    std::vector<int64_t> ts(20);
    for (auto& t : ts) t = static_cast<int64_t>(rng() % 100000);
    batches.push_back(RobotBatch(ts, rows));
    rows += static_cast<int64_t>(ts.size());
    ASSERT_OK(w->Append(batches.back()));
    // Memory stays bounded: after each Append, at most one chunk's worth is buffered.
    EXPECT_LT(w->buffered_bytes(), options.target_chunk_bytes);
  }
  ASSERT_OK_AND_ASSIGN(auto chunks, w->Finish());
  ASSERT_GE(chunks.size(), 3u);

  int64_t total = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const auto& c = chunks[i];
    EXPECT_EQ(c.index, static_cast<int32_t>(i));
    EXPECT_EQ(c.object_key, store::layout::ChunkObject("seq", "front/imu", "UPLOAD1", c.index));
    EXPECT_EQ(c.topic_id, 0);
    ASSERT_OK_AND_ASSIGN(auto table, ReadParquet(*store_, c.object_key));
    EXPECT_EQ(table->num_rows(), c.row_count);
    auto ts = Ints(*table->GetColumnByName("timestamp_ns"));
    EXPECT_TRUE(std::is_sorted(ts.begin(), ts.end()));
    EXPECT_EQ(ts.front(), c.ts_min);
    EXPECT_EQ(ts.back(), c.ts_max);
    // Chunks hold the rows in arrival order: chunk i has exactly the next row_count seq numbers.
    auto seq = Ints(*table->GetColumnByName("seq"));
    std::sort(seq.begin(), seq.end());
    std::vector<int64_t> want(static_cast<size_t>(c.row_count));
    std::iota(want.begin(), want.end(), total);
    EXPECT_EQ(seq, want);
    total += c.row_count;

    // Stats are those of the chunk's rows; the timestamp stats equal the chunk's range.
    ASSERT_OK_AND_ASSIGN(auto recomputed, ComputeColumnStats(*table));
    EXPECT_EQ(c.stats, recomputed);
    ASSERT_FALSE(c.stats.empty());
    EXPECT_EQ(c.stats[0].column, "timestamp_ns");
    EXPECT_EQ(c.stats[0].min_int, c.ts_min);
    EXPECT_EQ(c.stats[0].max_int, c.ts_max);

    // size and checksum describe the stored bytes.
    ASSERT_OK_AND_ASSIGN(auto bytes, store_->Get(c.object_key));
    EXPECT_EQ(c.size_bytes, bytes->size());
    EXPECT_EQ(c.checksum, store::Crc32Hex(*bytes));
    EXPECT_EQ(c.checksum.size(), 8u);
  }
  EXPECT_EQ(total, rows);
  EXPECT_EQ(Objects().size(), chunks.size());
}

TEST_F(ChunkWriterTest, StatsCoverNestedColumns) {
  auto w = Writer();
  ASSERT_OK(w->Append(RobotBatch({3, 5, 4, 6})));
  ASSERT_OK_AND_ASSIGN(auto chunks, w->Finish());
  ASSERT_EQ(chunks.size(), 1u);
  std::vector<std::string> columns;
  for (const auto& s : chunks[0].stats) columns.push_back(s.column);
  EXPECT_EQ(columns, (std::vector<std::string>{"timestamp_ns", "acceleration.x", "acceleration.y", "acceleration.z",
                                               "pose.position.x", "pose.position.y", "frame_id", "valid", "seq"}));
  const auto& acc_z = chunks[0].stats[3];  // null where ts % 3 == 0 -> ts 3 and 6
  EXPECT_EQ(acc_z.null_count, 2);
  EXPECT_EQ(acc_z.min_float, 4.0);
  EXPECT_EQ(acc_z.max_float, 5.0);
  const auto& pos_x = chunks[0].stats[4];  // pose null where ts % 5 == 0 -> ts 5
  EXPECT_EQ(pos_x.null_count, 1);
  EXPECT_EQ(pos_x.min_float, 3.0);
  EXPECT_EQ(pos_x.max_float, 6.0);
}

TEST_F(ChunkWriterTest, SlicedBatchesAndEmptyBatches) {
  auto w = Writer();
  auto big = RobotBatch({8, 1, 6, 3, 4, 5, 2, 7});
  ASSERT_OK(w->Append(big->Slice(0, 0)));
  ASSERT_OK(w->Append(big->Slice(2, 3)));  // 6, 3, 4
  ASSERT_OK(w->Append(big->Slice(6)));     // 2, 7
  ASSERT_OK_AND_ASSIGN(auto chunks, w->Finish());
  ASSERT_EQ(chunks.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto table, ReadParquet(*store_, chunks[0].object_key));
  EXPECT_EQ(Ints(*table->GetColumnByName("timestamp_ns")), (std::vector<int64_t>{2, 3, 4, 6, 7}));
  EXPECT_EQ(Ints(*table->GetColumnByName("seq")), (std::vector<int64_t>{6, 3, 4, 2, 7}));
}

TEST_F(ChunkWriterTest, FinishWithoutRowsWritesNothing) {
  auto w = Writer();
  ASSERT_OK(w->Append(RobotBatch({})));
  ASSERT_OK_AND_ASSIGN(auto chunks, w->Finish());
  EXPECT_TRUE(chunks.empty());
  EXPECT_TRUE(Objects().empty());
  // Finished: no more data accepted.
  EXPECT_FALSE(w->Append(RobotBatch({1})).ok());
}

TEST_F(ChunkWriterTest, AbortRemovesEveryObjectOfTheUpload) {
  ChunkWriterOptions options;
  options.target_chunk_bytes = 1;  // every batch is a chunk
  auto w = Writer(options);
  ASSERT_OK(w->Append(RobotBatch({1, 2})));
  ASSERT_OK(w->Append(RobotBatch({3, 4})));
  EXPECT_EQ(w->chunks_started(), 2);
  EXPECT_EQ(w->chunks().size(), 1u);  // the second chunk encodes in the background; the first one is done
  // Another upload of the same topic is left alone.
  ASSERT_OK(store_->PutAtomic(store::layout::UploadManifest("seq", "front/imu", "OTHER"), std::string("{}")));
  EXPECT_GE(Objects().size(), 2u);
  ASSERT_OK(w->Abort());
  EXPECT_EQ(Objects(), (std::vector<std::string>{store::layout::UploadManifest("seq", "front/imu", "OTHER")}));
  EXPECT_FALSE(w->Append(RobotBatch({5})).ok());
}

}  // namespace
}  // namespace mosaico::ingest
