#include "mosaico/ingest/chunk_codec.h"

#include <map>
#include <random>
#include <string>

#include <arrow/api.h>
#include <gtest/gtest.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include "ingest/test_util.h"
#include "mosaico/ingest/chunk_writer.h"

namespace mosaico::ingest {
namespace {

using testing::ReadParquet;
using testing::TempDir;

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng());
  return out;
}

std::string Repetitive(size_t n) {
  std::string out;
  while (out.size() < n) out += "frame header, then the same pixels again; ";
  out.resize(n);
  return out;
}

// timestamp_ns, a random blob (camera-frame stand-in), a repetitive blob, a struct with a random fixed-size blob,
// a string and a double: one row per timestamp.
std::shared_ptr<arrow::Schema> BlobSchema() {
  return arrow::schema({arrow::field("timestamp_ns", arrow::int64(), false), arrow::field("jpeg", arrow::binary()),
                        arrow::field("raw", arrow::large_binary()),
                        arrow::field("cloud", arrow::struct_({arrow::field("points", arrow::fixed_size_binary(4096))})),
                        arrow::field("frame_id", arrow::utf8()), arrow::field("x", arrow::float64())});
}

std::shared_ptr<arrow::RecordBatch> BlobBatch(int64_t rows, int64_t t0) {
  arrow::Int64Builder ts;
  arrow::BinaryBuilder jpeg;
  arrow::LargeBinaryBuilder raw;
  auto points = std::make_shared<arrow::FixedSizeBinaryBuilder>(arrow::fixed_size_binary(4096));
  arrow::StructBuilder cloud(BlobSchema()->field(3)->type(), arrow::default_memory_pool(), {points});
  arrow::StringBuilder frame;
  arrow::DoubleBuilder x;
  for (int64_t i = 0; i < rows; ++i) {
    EXPECT_OK(ts.Append(t0 + i));
    if (i == 0) {
      EXPECT_OK(jpeg.AppendNull());  // nulls are skipped by the sample
    } else {
      EXPECT_OK(jpeg.Append(RandomBytes(64 << 10, static_cast<uint64_t>(t0 + i))));
    }
    EXPECT_OK(raw.Append(Repetitive(64 << 10)));
    EXPECT_OK(cloud.Append());
    EXPECT_OK(points->Append(RandomBytes(4096, static_cast<uint64_t>(1000 + t0 + i))));
    EXPECT_OK(frame.Append("camera"));
    EXPECT_OK(x.Append(static_cast<double>(i) * 0.5));
  }
  std::vector<std::shared_ptr<arrow::Array>> arrays(6);
  EXPECT_OK(ts.Finish(&arrays[0]));
  EXPECT_OK(jpeg.Finish(&arrays[1]));
  EXPECT_OK(raw.Finish(&arrays[2]));
  EXPECT_OK(cloud.Finish(&arrays[3]));
  EXPECT_OK(frame.Finish(&arrays[4]));
  EXPECT_OK(x.Finish(&arrays[5]));
  return arrow::RecordBatch::Make(BlobSchema(), rows, arrays);
}

TEST(ChunkCodecTest, IncompressibleBlobColumnsAreStoredUncompressed) {
  auto table = arrow::Table::FromRecordBatches({BlobBatch(8, 0), BlobBatch(8, 8)}).ValueOrDie();
  ASSERT_OK_AND_ASSIGN(auto choices, ChooseChunkCodecs(*table, 1));
  ASSERT_EQ(choices.size(), 3u);  // binary leaves only, in schema order, struct children by dotted path
  EXPECT_EQ(choices[0].path, "jpeg");
  EXPECT_FALSE(choices[0].compress);
  EXPECT_LT(choices[0].zstd_saving, kMinZstdSaving);
  EXPECT_EQ(choices[0].sample_bytes, 14 * (64 << 10));  // 2 x 7 non-null values of 64 KiB, below the sample cap
  EXPECT_EQ(choices[1].path, "raw");
  EXPECT_TRUE(choices[1].compress);
  EXPECT_GT(choices[1].zstd_saving, 0.5);
  EXPECT_EQ(choices[2].path, "cloud.points");
  EXPECT_FALSE(choices[2].compress);
  EXPECT_EQ(UncompressedColumns(choices), (std::vector<std::string>{"jpeg", "cloud.points"}));
}

TEST(ChunkCodecTest, SampleIsCappedAndEmptyColumnsKeepZstd) {
  auto table = arrow::Table::FromRecordBatches({BlobBatch(40, 0)}).ValueOrDie();
  ASSERT_OK_AND_ASSIGN(auto choices, ChooseChunkCodecs(*table, 1));
  ASSERT_EQ(choices.size(), 3u);
  EXPECT_EQ(choices[0].sample_bytes, kCodecSampleBytes);

  ASSERT_OK_AND_ASSIGN(auto empty, arrow::Table::MakeEmpty(BlobSchema()));
  ASSERT_OK_AND_ASSIGN(choices, ChooseChunkCodecs(*empty, 1));
  for (const auto& c : choices) {
    EXPECT_TRUE(c.compress) << c.path;
    EXPECT_EQ(c.sample_bytes, 0);
  }
  // No blob column at all: nothing to decide.
  auto numbers = arrow::schema({arrow::field("timestamp_ns", arrow::int64(), false), arrow::field("x", arrow::float64())});
  ASSERT_OK_AND_ASSIGN(auto no_blobs, arrow::Table::MakeEmpty(numbers));
  ASSERT_OK_AND_ASSIGN(choices, ChooseChunkCodecs(*no_blobs, 1));
  EXPECT_TRUE(choices.empty());
}

// The decision lands in the Parquet footer, per column chunk, and the data reads back unchanged.
TEST(ChunkCodecTest, ChunkWriterRecordsTheCodecPerColumnInTheFooter) {
  TempDir dir;
  auto store = store::ObjectStore::Open(dir.path()).ValueOrDie();
  ChunkWriter writer(store, "seq", "cam", "UPLOAD1", BlobSchema());
  auto batch = BlobBatch(8, 0);
  ASSERT_OK(writer.Append(batch));
  ASSERT_OK_AND_ASSIGN(auto chunks, writer.Finish());
  ASSERT_EQ(chunks.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto file, store->OpenRead(chunks[0].object_key));
  auto md = parquet::ParquetFileReader::Open(file)->metadata();
  auto rg = md->RowGroup(0);
  std::map<std::string, arrow::Compression::type> codec;
  for (int i = 0; i < rg->num_columns(); ++i) {
    auto col = rg->ColumnChunk(i);
    codec[col->path_in_schema()->ToDotString()] = col->compression();
  }
  EXPECT_EQ(codec["timestamp_ns"], arrow::Compression::ZSTD);
  EXPECT_EQ(codec["jpeg"], arrow::Compression::UNCOMPRESSED);
  EXPECT_EQ(codec["raw"], arrow::Compression::ZSTD);
  EXPECT_EQ(codec["cloud.points"], arrow::Compression::UNCOMPRESSED);
  EXPECT_EQ(codec["frame_id"], arrow::Compression::ZSTD);
  EXPECT_EQ(codec["x"], arrow::Compression::ZSTD);
  ASSERT_OK_AND_ASSIGN(auto table, ReadParquet(*store, chunks[0].object_key));
  auto expected = arrow::Table::FromRecordBatches({batch}).ValueOrDie();
  EXPECT_TRUE(table->Equals(*expected));
}

// Binary blob columns carry no Parquet statistics (nothing reads their min/max and collecting them copied every
// blob several times); the timestamp, string and numeric columns keep theirs (row-group pruning, query pruning).
TEST(ChunkCodecTest, BlobColumnsHaveNoStatisticsOtherColumnsDo) {
  TempDir dir;
  auto store = store::ObjectStore::Open(dir.path()).ValueOrDie();
  ChunkWriter writer(store, "seq", "cam", "UPLOAD1", BlobSchema());
  ASSERT_OK(writer.Append(BlobBatch(8, 0)));
  ASSERT_OK_AND_ASSIGN(auto chunks, writer.Finish());
  ASSERT_EQ(chunks.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto file, store->OpenRead(chunks[0].object_key));
  auto md = parquet::ParquetFileReader::Open(file)->metadata();
  auto rg = md->RowGroup(0);
  std::map<std::string, bool> stats;
  for (int i = 0; i < rg->num_columns(); ++i) {
    auto col = rg->ColumnChunk(i);
    stats[col->path_in_schema()->ToDotString()] = col->is_stats_set();
  }
  EXPECT_FALSE(stats.at("jpeg"));
  EXPECT_FALSE(stats.at("raw"));
  EXPECT_TRUE(stats.at("timestamp_ns"));
  EXPECT_TRUE(stats.at("frame_id"));
  EXPECT_TRUE(stats.at("x"));
}

}  // namespace
}  // namespace mosaico::ingest
