// Schema fidelity of the read path: nested/binary columns and (nested) field metadata come back exactly,
// and every batch carries the topic's Schema object.
#include "mosaico/read/topic_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>

#include <arrow/compute/api.h>
#include <arrow/compute/initialize.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include "read/read_test_util.h"

namespace mosaico::read {
namespace {

using testing::Window;

std::shared_ptr<arrow::KeyValueMetadata> Meta(const std::string& k, const std::string& v) {
  return arrow::key_value_metadata({k}, {v});
}

// A sensor-like schema: struct with annotated children, list, binary, string, map; metadata at every level.
std::shared_ptr<arrow::Schema> NestedSchema(bool with_metadata) {
  auto m = [&](const std::string& v) { return with_metadata ? Meta("unit", v) : nullptr; };
  auto vec3 = arrow::struct_({arrow::field("x", arrow::float64(), true, m("m/s2")),
                              arrow::field("y", arrow::float64(), true, m("m/s2")),
                              arrow::field("z", arrow::float64(), false, m("m/s2"))});
  std::vector<std::shared_ptr<arrow::Field>> fields = {
      arrow::field("timestamp_ns", arrow::int64(), false, m("ns")),
      arrow::field("acceleration", vec3, true, m("struct")),
      arrow::field("covariance", arrow::list(arrow::field("item", arrow::float32(), true, m("cov"))), true),
      arrow::field("frame", arrow::binary(), true, m("bytes")),
      arrow::field("label", arrow::utf8(), true),
      arrow::field("tags", arrow::map(arrow::utf8(), arrow::int32()), true, m("tags")),
  };
  return arrow::schema(fields, with_metadata ? Meta("mosaico:ontology", "imu") : nullptr);
}

// Random rows of NestedSchema with sorted timestamps drawn from [0, max_ts].
std::shared_ptr<arrow::Table> NestedTable(const std::shared_ptr<arrow::Schema>& schema, int64_t rows, int64_t max_ts,
                                          std::mt19937_64& rng) {
  std::vector<int64_t> ts(rows);
  for (auto& t : ts) t = std::uniform_int_distribution<int64_t>(0, max_ts)(rng);
  std::sort(ts.begin(), ts.end());
  std::unique_ptr<arrow::ArrayBuilder> builder;
  EXPECT_TRUE(arrow::MakeBuilder(arrow::default_memory_pool(), arrow::struct_(schema->fields()), &builder).ok());
  auto& row = static_cast<arrow::StructBuilder&>(*builder);
  auto& ts_b = static_cast<arrow::Int64Builder&>(*row.field_builder(0));
  auto& acc_b = static_cast<arrow::StructBuilder&>(*row.field_builder(1));
  auto& cov_b = static_cast<arrow::ListBuilder&>(*row.field_builder(2));
  auto& frame_b = static_cast<arrow::BinaryBuilder&>(*row.field_builder(3));
  auto& label_b = static_cast<arrow::StringBuilder&>(*row.field_builder(4));
  auto& tags_b = static_cast<arrow::MapBuilder&>(*row.field_builder(5));
  std::uniform_real_distribution<double> real(-10, 10);
  for (int64_t i = 0; i < rows; ++i) {
    EXPECT_TRUE(row.Append().ok());
    EXPECT_TRUE(ts_b.Append(ts[i]).ok());
    if (i % 7 == 3) {
      EXPECT_TRUE(acc_b.AppendNull().ok());
    } else {
      EXPECT_TRUE(acc_b.Append().ok());
      for (int f = 0; f < 3; ++f) {
        auto& d = static_cast<arrow::DoubleBuilder&>(*acc_b.field_builder(f));
        EXPECT_TRUE((f < 2 && i % 5 == 1 ? d.AppendNull() : d.Append(real(rng))).ok());
      }
    }
    if (i % 4 == 2) {
      EXPECT_TRUE(cov_b.AppendNull().ok());
    } else {
      EXPECT_TRUE(cov_b.Append().ok());
      for (int k = 0; k < static_cast<int>(i % 10); ++k) {
        EXPECT_TRUE(static_cast<arrow::FloatBuilder&>(*cov_b.value_builder()).Append(static_cast<float>(real(rng))).ok());
      }
    }
    EXPECT_TRUE((i % 6 == 5 ? frame_b.AppendNull() : frame_b.Append(std::string(i % 50, static_cast<char>(i)))).ok());
    EXPECT_TRUE(label_b.Append("row-" + std::to_string(ts[i])).ok());
    EXPECT_TRUE(tags_b.Append().ok());
    for (int k = 0; k < static_cast<int>(i % 3); ++k) {
      EXPECT_TRUE(static_cast<arrow::StringBuilder&>(*tags_b.key_builder()).Append("k" + std::to_string(k)).ok());
      EXPECT_TRUE(static_cast<arrow::Int32Builder&>(*tags_b.item_builder()).Append(k).ok());
    }
  }
  std::shared_ptr<arrow::Array> rows_array;
  EXPECT_TRUE(row.Finish(&rows_array).ok());
  auto batch = arrow::RecordBatch::FromStructArray(rows_array).ValueOrDie();
  return arrow::Table::FromRecordBatches({arrow::RecordBatch::Make(schema, batch->num_rows(), batch->columns())})
      .ValueOrDie();
}

// Expected output: all chunks in upload order, stable-sorted by timestamp_ns, trimmed to the window.
std::shared_ptr<arrow::Table> Expected(const std::vector<std::shared_ptr<arrow::Table>>& chunks, const TimeWindow& w) {
  EXPECT_TRUE(arrow::compute::Initialize().ok());
  auto all = arrow::ConcatenateTables(chunks).ValueOrDie()->CombineChunks().ValueOrDie();
  auto order = arrow::compute::SortIndices(*all->GetColumnByName("timestamp_ns"), arrow::compute::SortOrder::Ascending)
                   .ValueOrDie();  // stable
  auto sorted = arrow::compute::Take(all, order).ValueOrDie().table();
  auto ts = std::static_pointer_cast<arrow::Int64Array>(sorted->GetColumnByName("timestamp_ns")->chunk(0));
  int64_t lo = 0, hi = 0;
  for (int64_t i = 0; i < ts->length(); ++i) {
    if (w.start_ns && ts->Value(i) < *w.start_ns) lo = i + 1;
    if (!w.end_ns || ts->Value(i) < *w.end_ns) hi = i + 1;
  }
  return sorted->Slice(lo, std::max<int64_t>(0, hi - lo));
}

class NestedReadTest : public ::testing::Test {
 protected:
  void WriteChunks(const std::shared_ptr<arrow::Schema>& chunk_schema, int n, int64_t rows, int64_t max_ts) {
    std::mt19937_64 rng(1234);
    for (int c = 0; c < n; ++c) {
      tables_.push_back(NestedTable(chunk_schema, rows, max_ts, rng));
      records_.push_back(testing::WriteChunk(*tmp_.store(), tables_.back(), c, {.row_group_rows = 37}));
    }
  }

  void ExpectExact(const std::shared_ptr<arrow::Schema>& topic, const TimeWindow& w, ReadOptions opts) {
    auto reader = OpenTopicReader(tmp_.store(), topic, records_, w, opts);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ((*reader)->schema(), topic);
    auto batches = testing::Drain(**reader, opts.max_batch_rows);
    ASSERT_TRUE(batches.ok()) << batches.status().ToString();
    for (const auto& b : *batches) {
      for (int i = 0; i < topic->num_fields(); ++i) {
        ASSERT_TRUE(b->column(i)->type()->Equals(*topic->field(i)->type(), /*check_metadata=*/true))
            << b->column(i)->type()->ToString(true) << " vs " << topic->field(i)->type()->ToString(true);
      }
    }
    auto expected = Expected(tables_, w);
    auto actual = arrow::Table::FromRecordBatches(topic, *batches).ValueOrDie();
    ASSERT_EQ(actual->num_rows(), expected->num_rows());
    // Content equality (the reference carries the chunk schema; metadata was checked above).
    for (int i = 0; i < topic->num_fields(); ++i) {
      auto a = arrow::Concatenate(actual->column(i)->chunks()).ValueOr(nullptr);
      auto e = arrow::Concatenate(expected->column(i)->chunks()).ValueOr(nullptr);
      if (expected->num_rows() == 0) continue;
      ASSERT_TRUE(a && e);
      ASSERT_TRUE(a->RangeEquals(*e, 0, a->length(), 0, arrow::EqualOptions::Defaults())) << "column " << i;
    }
  }

  testing::TempStore tmp_;
  std::vector<std::shared_ptr<arrow::Table>> tables_;
  std::vector<catalog::ChunkRecord> records_;
};

TEST_F(NestedReadTest, NestedColumnsAndFieldMetadataPreservedThroughMerge) {
  auto schema = NestedSchema(/*with_metadata=*/true);
  WriteChunks(schema, 4, 400, 2000);  // fully interleaved: exercises the gather (Take) path on nested types
  for (int64_t max_rows : {5, 100, 65536}) {
    SCOPED_TRACE(max_rows);
    ExpectExact(schema, Window({}, {}), {.max_batch_rows = max_rows});
    ExpectExact(schema, Window(500, 1500), {.max_batch_rows = max_rows});
  }
}

TEST_F(NestedReadTest, ChunkSchemaDifferingOnlyInMetadataIsRebuiltWithTopicSchema) {
  WriteChunks(NestedSchema(/*with_metadata=*/false), 2, 300, 1000);
  auto topic = NestedSchema(/*with_metadata=*/true);
  ExpectExact(topic, Window({}, {}), {});
  ExpectExact(topic, Window(100, 700), {.max_batch_rows = 9});
}

TEST_F(NestedReadTest, IncompatibleChunkSchemaIsAnError) {
  WriteChunks(NestedSchema(true), 1, 50, 100);
  auto topic = arrow::schema({arrow::field("timestamp_ns", arrow::int64(), false), arrow::field("other", arrow::utf8())});
  auto reader = OpenTopicReader(tmp_.store(), topic, records_, Window({}, {}));
  ASSERT_TRUE(reader.ok());
  auto st = testing::Drain(**reader, 65536).status();
  EXPECT_TRUE(st.IsIOError()) << st.ToString();
  EXPECT_NE(st.message().find(records_[0].object_key), std::string::npos) << st.ToString();
}

// timestamp_ns + a struct of two doubles; `required`: the struct and its children not nullable.
std::shared_ptr<arrow::Schema> XySchema(bool required) {
  auto xy = arrow::struct_({arrow::field("x", arrow::float64(), !required), arrow::field("y", arrow::float64(), !required)});
  return arrow::schema({arrow::field("timestamp_ns", arrow::int64(), false), arrow::field("xy", xy, !required)});
}

// Rows t0..t0+n-1 typed as `schema`; `nulls`: null structs and null y values among them.
std::shared_ptr<arrow::Table> XyTable(const std::shared_ptr<arrow::Schema>& schema, int64_t t0, int64_t n, bool nulls) {
  auto builder = arrow::MakeBuilder(schema->field(1)->type()).ValueOrDie();
  auto& xy = static_cast<arrow::StructBuilder&>(*builder);
  auto& x = static_cast<arrow::DoubleBuilder&>(*xy.field_builder(0));
  auto& y = static_cast<arrow::DoubleBuilder&>(*xy.field_builder(1));
  arrow::Int64Builder ts;
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_TRUE(ts.Append(t0 + i).ok());
    if (nulls && i % 7 == 3) {
      EXPECT_TRUE(xy.AppendNull().ok());
      continue;
    }
    EXPECT_TRUE(xy.Append().ok());
    EXPECT_TRUE(x.Append(static_cast<double>(t0 + i) * 0.5).ok());
    EXPECT_TRUE((nulls && i % 5 == 1 ? y.AppendNull() : y.Append(static_cast<double>(t0 + i) * 0.25)).ok());
  }
  std::shared_ptr<arrow::Array> ts_array, xy_array;
  EXPECT_TRUE(ts.Finish(&ts_array).ok());
  EXPECT_TRUE(xy.Finish(&xy_array).ok());
  return arrow::Table::Make(schema, {ts_array, xy_array}, n);
}

// A chunk may store fields the topic declares nullable as required (a chunk without nulls there: no definition
// levels to decode); it reads as the topic's schema, mixed with chunks that keep them nullable and hold nulls.
// The reverse -- a chunk nullable where the topic is required -- is a corrupt chunk.
TEST(ChunkNullabilityTest, RequiredChunkFieldsReadAsTheTopicsNullableOnes) {
  testing::TempStore tmp;
  auto topic = XySchema(/*required=*/false);
  std::vector<catalog::ChunkRecord> records;
  records.push_back(testing::WriteChunk(*tmp.store(), XyTable(XySchema(true), 0, 100, false), 0));
  records.push_back(testing::WriteChunk(*tmp.store(), XyTable(topic, 100, 100, true), 1));
  records.push_back(testing::WriteChunk(*tmp.store(), XyTable(XySchema(true), 200, 100, false), 2));
  {
    auto file = tmp.store()->OpenRead(records[0].object_key).ValueOrDie();
    auto md = parquet::ParquetFileReader::Open(file)->metadata();
    EXPECT_EQ(md->schema()->Column(md->schema()->ColumnIndex("xy.x"))->max_definition_level(), 0);
  }
  auto expected = arrow::ConcatenateTables({XyTable(topic, 0, 100, false), XyTable(topic, 100, 100, true),
                                            XyTable(topic, 200, 100, false)})
                      .ValueOrDie();
  for (const ReadOptions& opts : {ReadOptions{}, ReadOptions{.max_batch_rows = 30},
                                  ReadOptions{.use_threads = true, .readahead_batches = 2}}) {
    auto reader = OpenTopicReader(tmp.store(), topic, records, Window({}, {}), opts);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    auto batches = testing::Drain(**reader, opts.max_batch_rows);
    ASSERT_TRUE(batches.ok()) << batches.status().ToString();
    for (const auto& b : *batches) {
      ASSERT_TRUE(b->schema()->Equals(*topic, /*check_metadata=*/true)) << b->schema()->ToString();
      ASSERT_TRUE(b->ValidateFull().ok());
    }
    auto actual = arrow::Table::FromRecordBatches(topic, *batches).ValueOrDie();
    EXPECT_TRUE(actual->Equals(*expected)) << actual->ToString();
  }
  auto strict = XySchema(/*required=*/true);
  auto reader = OpenTopicReader(tmp.store(), strict, {records[1]}, Window({}, {}));
  ASSERT_TRUE(reader.ok());
  auto st = testing::Drain(**reader, 65536).status();
  EXPECT_TRUE(st.IsIOError()) << st.ToString();
  EXPECT_NE(st.message().find(records[1].object_key), std::string::npos) << st.ToString();
}

// One topic whose chunks store their float columns differently -- BYTE_STREAM_SPLIT + zstd (every chunk written
// before 857e2ea, and limited-precision data since) and PLAIN + UNCOMPRESSED (full-precision noise since 857e2ea,
// ingest/chunk_codec.h) -- reads as one merged, sorted stream equal to the rows written: each column chunk's footer
// names its codec and encodings, the reader needs nothing else. Also with readahead and column-parallel decode.
TEST_F(NestedReadTest, ChunksWithDifferentFloatCodecsReadAsOneStream) {
  // Every float codec chunk_codec.h has chosen over time, one per chunk: byte-stream-split + zstd (all chunks before
  // 857e2ea), PLAIN uncompressed (noise), byte-stream-split + LZ4_RAW (limited precision, since LZ4).
  const std::vector<std::string> floats = {"acceleration.x", "acceleration.y", "acceleration.z"};
  auto split_zstd = [&](parquet::WriterProperties::Builder& b) {
    b.compression(arrow::Compression::ZSTD);
    for (const auto& p : floats) b.disable_dictionary(p)->encoding(p, parquet::Encoding::BYTE_STREAM_SPLIT);
  };
  auto plain_uncompressed = [&](parquet::WriterProperties::Builder& b) {
    b.compression(arrow::Compression::UNCOMPRESSED);
    for (const auto& p : floats) b.disable_dictionary(p)->encoding(p, parquet::Encoding::PLAIN);
  };
  auto split_lz4 = [&](parquet::WriterProperties::Builder& b) {
    b.compression(arrow::Compression::ZSTD);
    for (const auto& p : floats) {
      b.disable_dictionary(p)->encoding(p, parquet::Encoding::BYTE_STREAM_SPLIT)->compression(p, arrow::Compression::LZ4);
    }
  };
  using Tune = std::function<void(parquet::WriterProperties::Builder&)>;
  const std::vector<Tune> tunes = {split_zstd, plain_uncompressed, split_lz4};
  const std::vector<arrow::Compression::type> codecs = {arrow::Compression::ZSTD, arrow::Compression::UNCOMPRESSED,
                                                        arrow::Compression::LZ4};
  auto schema = NestedSchema(/*with_metadata=*/false);
  std::mt19937_64 rng(99);
  for (int c = 0; c < 6; ++c) {  // overlapping time ranges: the merge interleaves rows of every kind of chunk
    tables_.push_back(NestedTable(schema, 300, 1000, rng));
    testing::WriteOptions opts{.row_group_rows = 37};
    opts.tune = tunes[c % 3];
    records_.push_back(testing::WriteChunk(*tmp_.store(), tables_.back(), c, opts));
  }
  // The three kinds of footer, as written.
  for (int c = 0; c < 3; ++c) {
    auto file = tmp_.store()->OpenRead(records_[c].object_key).ValueOrDie();
    auto md = parquet::ParquetFileReader::Open(file)->metadata();
    const int leaf = md->schema()->ColumnIndex("acceleration.x");
    ASSERT_GE(leaf, 0);
    auto column = md->RowGroup(0)->ColumnChunk(leaf);
    const auto encodings = column->encodings();
    const bool split = std::find(encodings.begin(), encodings.end(), parquet::Encoding::BYTE_STREAM_SPLIT) !=
                       encodings.end();
    EXPECT_EQ(column->compression(), codecs[c]) << c;
    EXPECT_EQ(split, c != 1) << c;
  }
  ExpectExact(schema, Window({}, {}), ReadOptions{});
  ExpectExact(schema, Window(250, 700), ReadOptions{.max_batch_rows = 50});
  ExpectExact(schema, Window({}, {}), ReadOptions{.use_threads = true, .readahead_batches = 2});
}

TEST(GetReadStats, UnsetForForeignReaders) {
  auto reader = arrow::RecordBatchReader::Make({}, testing::SimpleSchema()).ValueOrDie();
  EXPECT_FALSE(GetReadStats(*reader).has_value());
}

}  // namespace
}  // namespace mosaico::read
