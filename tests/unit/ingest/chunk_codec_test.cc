#include "mosaico/ingest/chunk_codec.h"

#include <algorithm>
#include <cmath>
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
  ASSERT_EQ(choices.size(), 4u);  // binary and float leaves, in schema order, struct children by dotted path
  EXPECT_EQ(choices[0].path, "jpeg");
  EXPECT_FALSE(choices[0].compressed());
  EXPECT_LT(choices[0].zstd_saving, kMinZstdSaving);
  EXPECT_EQ(choices[0].sample_bytes, 14 * (64 << 10));  // 2 x 7 non-null values of 64 KiB, below the sample cap
  EXPECT_EQ(choices[1].path, "raw");
  EXPECT_TRUE(choices[1].compressed());
  EXPECT_GT(choices[1].zstd_saving, 0.5);
  EXPECT_EQ(choices[2].path, "cloud.points");
  EXPECT_FALSE(choices[2].compressed());
  EXPECT_EQ(choices[3].path, "x");  // 16 values: too few to measure, keeps zstd
  EXPECT_EQ(choices[3].kind, CodecColumnKind::kFloat);
  EXPECT_TRUE(choices[3].compressed());
  EXPECT_EQ(UncompressedColumns(choices), (std::vector<std::string>{"jpeg", "cloud.points"}));
}

TEST(ChunkCodecTest, SampleIsCappedAndEmptyColumnsKeepZstd) {
  auto table = arrow::Table::FromRecordBatches({BlobBatch(40, 0)}).ValueOrDie();
  ASSERT_OK_AND_ASSIGN(auto choices, ChooseChunkCodecs(*table, 1));
  ASSERT_EQ(choices.size(), 4u);
  EXPECT_EQ(choices[0].sample_bytes, kCodecSampleBytes);

  ASSERT_OK_AND_ASSIGN(auto empty, arrow::Table::MakeEmpty(BlobSchema()));
  ASSERT_OK_AND_ASSIGN(choices, ChooseChunkCodecs(*empty, 1));
  for (const auto& c : choices) {
    EXPECT_TRUE(c.compressed()) << c.path;
    EXPECT_EQ(c.sample_bytes, 0);
  }
  // No blob or float column at all: nothing to decide.
  auto numbers = arrow::schema({arrow::field("timestamp_ns", arrow::int64(), false), arrow::field("n", arrow::int32()),
                                arrow::field("s", arrow::utf8())});
  ASSERT_OK_AND_ASSIGN(auto no_choice, arrow::Table::MakeEmpty(numbers));
  ASSERT_OK_AND_ASSIGN(choices, ChooseChunkCodecs(*no_choice, 1));
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
  EXPECT_EQ(codec["timestamp_ns"], arrow::Compression::LZ4);  // delta-packed: zstd finds nothing more
  EXPECT_EQ(codec["jpeg"], arrow::Compression::UNCOMPRESSED);
  EXPECT_EQ(codec["raw"], arrow::Compression::ZSTD);
  EXPECT_EQ(codec["cloud.points"], arrow::Compression::UNCOMPRESSED);
  EXPECT_EQ(codec["frame_id"], arrow::Compression::ZSTD);
  EXPECT_EQ(codec["x"], arrow::Compression::ZSTD);
  ASSERT_OK_AND_ASSIGN(auto table, ReadParquet(*store, chunks[0].object_key));
  auto expected = arrow::Table::FromRecordBatches({batch}).ValueOrDie();
  ASSERT_OK_AND_ASSIGN(auto as_topic, testing::AsTopic(table, expected->schema()));  // null-free: stored required
  EXPECT_TRUE(as_topic->Equals(*expected));
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

// Float columns of several kinds of measurement, kRows rows: what a sensor topic holds.
//  - noise:     full-precision N(0,1) doubles (random mantissas): zstd over the split bytes saves ~10 %.
//  - widened:   float32 readings widened to double (29 zero mantissa bits): saves ~50 %.
//  - adc:       16-bit ADC counts scaled to m/s^2 (few distinct mantissas): saves ~20 %.
//  - constant:  a calibration value repeated: saves ~100 %.
//  - f32noise:  float32 N(0,1) (random 23-bit mantissas): saves little.
//  - sparse:    noise with every other value null (nulls are not stored and not sampled).
constexpr int64_t kRows = 20000;

std::shared_ptr<arrow::Schema> SensorSchema() {
  auto vec = arrow::struct_({arrow::field("noise", arrow::float64()), arrow::field("widened", arrow::float64())});
  return arrow::schema({arrow::field("timestamp_ns", arrow::int64(), false), arrow::field("imu", vec),
                        arrow::field("adc", arrow::float64()), arrow::field("constant", arrow::float64()),
                        arrow::field("f32noise", arrow::float32()), arrow::field("sparse", arrow::float64()),
                        arrow::field("count", arrow::int64())});
}

std::shared_ptr<arrow::Table> SensorTable(int64_t rows = kRows) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(0.0, 1.0);
  arrow::Int64Builder ts, count;
  auto noise = std::make_shared<arrow::DoubleBuilder>();
  auto widened = std::make_shared<arrow::DoubleBuilder>();
  arrow::StructBuilder imu(SensorSchema()->field(1)->type(), arrow::default_memory_pool(), {noise, widened});
  arrow::DoubleBuilder adc, constant, sparse;
  arrow::FloatBuilder f32noise;
  for (int64_t i = 0; i < rows; ++i) {
    EXPECT_OK(ts.Append(i * 1000));
    EXPECT_OK(imu.Append());
    EXPECT_OK(noise->Append(normal(rng)));
    EXPECT_OK(widened->Append(static_cast<double>(static_cast<float>(normal(rng)))));
    EXPECT_OK(adc.Append(static_cast<double>(std::lround(normal(rng) * 2048)) / 2048.0 * 9.81));
    EXPECT_OK(constant.Append(9.80665));
    EXPECT_OK(f32noise.Append(static_cast<float>(normal(rng))));
    if (i % 2 == 0) {
      EXPECT_OK(sparse.AppendNull());
    } else {
      EXPECT_OK(sparse.Append(normal(rng)));
    }
    EXPECT_OK(count.Append(i));
  }
  std::vector<std::shared_ptr<arrow::Array>> arrays(7);
  EXPECT_OK(ts.Finish(&arrays[0]));
  EXPECT_OK(imu.Finish(&arrays[1]));
  EXPECT_OK(adc.Finish(&arrays[2]));
  EXPECT_OK(constant.Finish(&arrays[3]));
  EXPECT_OK(f32noise.Finish(&arrays[4]));
  EXPECT_OK(sparse.Finish(&arrays[5]));
  EXPECT_OK(count.Finish(&arrays[6]));
  return arrow::Table::Make(SensorSchema(), arrays, rows);
}

// The measured decision per float column: noisy full-precision values go PLAIN uncompressed, values of limited
// precision stay compressed, with LZ4 or zstd. The savings are asserted with margins from the threshold so the test fails if the sample
// were not byte-stream-split (noise saves ~0 % unsplit, widened ~35 %) or the threshold were applied the wrong way.
TEST(ChunkCodecTest, FloatColumnsOfNoiseAreStoredUncompressedPrecisionLimitedCompressed) {
  ASSERT_OK_AND_ASSIGN(auto choices, ChooseChunkCodecs(*SensorTable(), 1));
  std::map<std::string, ColumnCodecChoice> by_path;
  std::vector<std::string> order;
  for (const auto& c : choices) {
    EXPECT_EQ(c.kind, CodecColumnKind::kFloat) << c.path;
    by_path[c.path] = c;
    order.push_back(c.path);
  }
  // Every float leaf, in Parquet leaf order; not the int64 columns.
  EXPECT_EQ(order, (std::vector<std::string>{"imu.noise", "imu.widened", "adc", "constant", "f32noise", "sparse"}));
  EXPECT_FALSE(by_path["imu.noise"].compressed());
  EXPECT_GT(by_path["imu.noise"].zstd_saving, 0.05);  // the split exponent bytes do compress a little
  EXPECT_LT(by_path["imu.noise"].zstd_saving, 0.13);
  EXPECT_EQ(by_path["imu.noise"].sample_bytes, kRows * 8);
  EXPECT_TRUE(by_path["imu.widened"].compressed());
  EXPECT_GT(by_path["imu.widened"].zstd_saving, 0.4);
  EXPECT_TRUE(by_path["adc"].compressed());
  EXPECT_GT(by_path["adc"].zstd_saving, kMinFloatZstdSaving);
  EXPECT_TRUE(by_path["constant"].compressed());
  EXPECT_GT(by_path["constant"].zstd_saving, 0.9);
  // Compressed columns: LZ4 where it keeps at least kMinLz4ShareOfZstdSaving of zstd's saving (runs of zero
  // mantissa bytes, repeats), zstd where the saving is skewed byte frequencies LZ4 cannot use (ADC counts).
  EXPECT_EQ(by_path["imu.widened"].codec, arrow::Compression::LZ4);
  EXPECT_GT(by_path["imu.widened"].lz4_saving, 0.35);
  EXPECT_EQ(by_path["constant"].codec, arrow::Compression::LZ4);
  EXPECT_EQ(by_path["adc"].codec, arrow::Compression::ZSTD);
  EXPECT_LT(by_path["adc"].lz4_saving, by_path["adc"].zstd_saving * kMinLz4ShareOfZstdSaving);
  EXPECT_EQ(by_path["imu.noise"].codec, arrow::Compression::UNCOMPRESSED);
  EXPECT_EQ(by_path["imu.noise"].lz4_saving, 0);  // not measured: zstd already saved too little
  EXPECT_FALSE(by_path["f32noise"].compressed());
  EXPECT_EQ(by_path["f32noise"].sample_bytes, kRows * 4);
  EXPECT_FALSE(by_path["sparse"].compressed());
  EXPECT_EQ(by_path["sparse"].sample_bytes, kRows / 2 * 8);  // non-null values only
  EXPECT_EQ(UncompressedColumns(choices), (std::vector<std::string>{"imu.noise", "f32noise", "sparse"}));
  std::vector<std::pair<std::string, arrow::Compression::type>> overrides;
  for (const auto& c : ColumnCodecs(choices)) overrides.emplace_back(c.path, c.codec);
  EXPECT_EQ(overrides, (std::vector<std::pair<std::string, arrow::Compression::type>>{
                           {"imu.noise", arrow::Compression::UNCOMPRESSED}, {"imu.widened", arrow::Compression::LZ4},
                           {"constant", arrow::Compression::LZ4}, {"f32noise", arrow::Compression::UNCOMPRESSED},
                           {"sparse", arrow::Compression::UNCOMPRESSED}}));
}

// The sample is capped; fewer values than kMinFloatSampleValues are not measured.
TEST(ChunkCodecTest, FloatSampleIsCappedAndSmallColumnsKeepZstd) {
  auto table = SensorTable();
  const int64_t cap_rows = kFloatSampleBytes / 8;
  auto big = SensorTable(cap_rows + 5000);
  ASSERT_OK_AND_ASSIGN(auto choices, ChooseChunkCodecs(*big, 1));
  EXPECT_EQ(choices[0].sample_bytes, cap_rows * 8);
  EXPECT_FALSE(choices[0].compressed());
  ASSERT_OK_AND_ASSIGN(choices, ChooseChunkCodecs(*table->Slice(0, kMinFloatSampleValues - 1), 1));
  for (const auto& c : choices) {
    EXPECT_TRUE(c.compressed()) << c.path;
    EXPECT_EQ(c.zstd_saving, 0) << c.path;
  }
}

// The writer stores the noise columns PLAIN + UNCOMPRESSED and the others BYTE_STREAM_SPLIT + LZ4 (Parquet's LZ4_RAW)
// or ZSTD, the footer says so per column chunk, and every value reads back unchanged.
TEST(ChunkCodecTest, ChunkWriterStoresNoisyFloatsPlainUncompressed) {
  TempDir dir;
  auto store = store::ObjectStore::Open(dir.path()).ValueOrDie();
  ChunkWriter writer(store, "seq", "imu", "UPLOAD1", SensorSchema());
  auto table = SensorTable();
  ASSERT_OK_AND_ASSIGN(auto batch, table->CombineChunksToBatch());
  ASSERT_OK(writer.Append(batch));
  ASSERT_OK_AND_ASSIGN(auto chunks, writer.Finish());
  ASSERT_EQ(chunks.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto file, store->OpenRead(chunks[0].object_key));
  auto md = parquet::ParquetFileReader::Open(file)->metadata();
  auto rg = md->RowGroup(0);
  std::map<std::string, std::pair<arrow::Compression::type, std::vector<parquet::Encoding::type>>> col;
  for (int i = 0; i < rg->num_columns(); ++i) {
    auto c = rg->ColumnChunk(i);
    col[c->path_in_schema()->ToDotString()] = {c->compression(), c->encodings()};
  }
  auto has = [&](const std::string& path, parquet::Encoding::type e) {
    const auto& v = col.at(path).second;
    return std::find(v.begin(), v.end(), e) != v.end();
  };
  for (const std::string path : {"imu.noise", "f32noise", "sparse"}) {
    EXPECT_EQ(col.at(path).first, arrow::Compression::UNCOMPRESSED) << path;
    EXPECT_TRUE(has(path, parquet::Encoding::PLAIN)) << path;
    EXPECT_FALSE(has(path, parquet::Encoding::BYTE_STREAM_SPLIT)) << path;
  }
  for (const std::string path : {"imu.widened", "adc", "constant"}) {
    EXPECT_EQ(col.at(path).first, path == "adc" ? arrow::Compression::ZSTD : arrow::Compression::LZ4) << path;
    EXPECT_TRUE(has(path, parquet::Encoding::BYTE_STREAM_SPLIT)) << path;
  }
  EXPECT_EQ(col.at("timestamp_ns").first, arrow::Compression::LZ4);
  EXPECT_TRUE(has("timestamp_ns", parquet::Encoding::DELTA_BINARY_PACKED));
  EXPECT_EQ(col.at("count").first, arrow::Compression::ZSTD);
  ASSERT_OK_AND_ASSIGN(auto back, ReadParquet(*store, chunks[0].object_key));
  ASSERT_OK_AND_ASSIGN(auto as_topic, testing::AsTopic(back, table->schema()));  // null-free: stored required
  EXPECT_TRUE(as_topic->Equals(*table->CombineChunks().ValueOrDie()));
}

}  // namespace
}  // namespace mosaico::ingest
