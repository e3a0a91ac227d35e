#include "mosaico/ingest/column_stats.h"

#include <cmath>
#include <limits>
#include <random>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/io/memory.h>
#include <gtest/gtest.h>
#include <parquet/arrow/writer.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include "ingest/test_util.h"
#include "mosaico/ingest/chunk_parquet.h"

namespace mosaico::ingest {
namespace {

using catalog::ColumnStats;
using testing::ArrayOf;

std::shared_ptr<arrow::RecordBatch> Batch(std::vector<std::pair<std::string, std::shared_ptr<arrow::Array>>> cols) {
  arrow::FieldVector fields;
  arrow::ArrayVector arrays;
  for (auto& [name, array] : cols) {
    fields.push_back(arrow::field(name, array->type()));
    arrays.push_back(array);
  }
  return arrow::RecordBatch::Make(arrow::schema(fields), arrays.empty() ? 0 : arrays[0]->length(), arrays);
}

std::vector<ColumnStats> Stats(const arrow::RecordBatch& b) {
  auto r = ComputeColumnStats(b);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<ColumnStats>{};
}

const ColumnStats* Find(const std::vector<ColumnStats>& stats, const std::string& column) {
  for (const auto& s : stats) {
    if (s.column == column) return &s;
  }
  return nullptr;
}

ColumnStats Int(std::string col, std::optional<int64_t> lo, std::optional<int64_t> hi, int64_t nulls,
                ColumnStats::Kind kind = ColumnStats::Kind::kInt) {
  ColumnStats s;
  s.column = std::move(col);
  s.kind = kind;
  s.min_int = lo;
  s.max_int = hi;
  s.null_count = nulls;
  return s;
}

ColumnStats Float(std::string col, std::optional<double> lo, std::optional<double> hi, int64_t nulls) {
  ColumnStats s;
  s.column = std::move(col);
  s.kind = ColumnStats::Kind::kFloat;
  s.min_float = lo;
  s.max_float = hi;
  s.null_count = nulls;
  return s;
}

ColumnStats Str(std::string col, std::optional<std::string> lo, std::optional<std::string> hi, int64_t nulls) {
  ColumnStats s;
  s.column = std::move(col);
  s.kind = ColumnStats::Kind::kString;
  s.min_str = std::move(lo);
  s.max_str = std::move(hi);
  s.null_count = nulls;
  return s;
}

TEST(ColumnStats, IntegersWithNullsAndAllNull) {
  auto b = Batch({{"a", ArrayOf(arrow::int32(), "[3, null, -7, 12]")},
                  {"b", ArrayOf(arrow::int64(), "[null, null, null, null]")},
                  {"c", ArrayOf(arrow::uint8(), "[255, 0, 1, 2]")},
                  {"d", ArrayOf(arrow::int64(), "[-9223372036854775808, 9223372036854775807, 0, 1]")}});
  auto stats = Stats(*b);
  ASSERT_EQ(stats.size(), 4u);
  EXPECT_EQ(stats[0], Int("a", -7, 12, 1));
  EXPECT_EQ(stats[1], Int("b", std::nullopt, std::nullopt, 4));
  EXPECT_EQ(stats[2], Int("c", 0, 255, 0));
  EXPECT_EQ(stats[3], Int("d", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), 0));
}

TEST(ColumnStats, Uint64BeyondInt64HasNoEntry) {
  auto b = Batch({{"fits", ArrayOf(arrow::uint64(), "[1, 9223372036854775807]")},
                  {"huge", ArrayOf(arrow::uint64(), "[1, 18446744073709551615]")}});
  auto stats = Stats(*b);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0], Int("fits", 1, std::numeric_limits<int64_t>::max(), 0));
}

TEST(ColumnStats, FloatsIgnoreNaN) {
  auto b = Batch({{"f", ArrayOf(arrow::float64(), "[NaN, 1.5, null, -2.25, NaN]")},
                  {"all_nan", ArrayOf(arrow::float32(), "[NaN, NaN]")},
                  {"inf", ArrayOf(arrow::float64(), "[Inf, 0.0]")},
                  {"h", ArrayOf(arrow::float32(), "[0.5, null]")}});
  auto stats = Stats(*b);
  ASSERT_EQ(stats.size(), 4u);
  EXPECT_EQ(stats[0], Float("f", -2.25, 1.5, 1));
  EXPECT_EQ(stats[1], Float("all_nan", std::nullopt, std::nullopt, 0));
  EXPECT_EQ(stats[2], Float("inf", 0.0, std::numeric_limits<double>::infinity(), 0));
  EXPECT_EQ(stats[3], Float("h", 0.5, 0.5, 1));
}

TEST(ColumnStats, HalfFloat) {
  auto b = Batch({{"h", ArrayOf(arrow::float16(), "[1.0, -2.0, null]")}});
  auto stats = Stats(*b);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0], Float("h", -2.0, 1.0, 1));
}

TEST(ColumnStats, StringsAndBools) {
  auto b = Batch({{"s", ArrayOf(arrow::utf8(), R"(["base_link", null, "aa", "zz\u00e9"])")},
                  {"ls", ArrayOf(arrow::large_utf8(), R"(["b", "a"])")},
                  {"none", ArrayOf(arrow::utf8(), "[null, null]")},
                  {"ok", ArrayOf(arrow::boolean(), "[true, null, true]")},
                  {"mixed", ArrayOf(arrow::boolean(), "[true, false]")}});
  auto stats = Stats(*b);
  ASSERT_EQ(stats.size(), 5u);
  EXPECT_EQ(stats[0], Str("s", "aa", "zz\xc3\xa9", 1));
  EXPECT_EQ(stats[1], Str("ls", "a", "b", 0));
  EXPECT_EQ(stats[2], Str("none", std::nullopt, std::nullopt, 2));
  EXPECT_EQ(stats[3], Int("ok", 1, 1, 1, ColumnStats::Kind::kBool));
  EXPECT_EQ(stats[4], Int("mixed", 0, 1, 0, ColumnStats::Kind::kBool));
}

TEST(ColumnStats, StringView) {
  auto b = Batch({{"sv", ArrayOf(arrow::utf8_view(), R"(["m", null, "a long string beyond twelve bytes"])")}});
  auto stats = Stats(*b);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0], Str("sv", "a long string beyond twelve bytes", "m", 1));
}

TEST(ColumnStats, TemporalTypesAsIntegers) {
  auto b = Batch({{"t", ArrayOf(arrow::timestamp(arrow::TimeUnit::NANO, "UTC"), "[5, 1, null]")},
                  {"d", ArrayOf(arrow::date32(), "[19000, 18000]")},
                  {"dur", ArrayOf(arrow::duration(arrow::TimeUnit::MICRO), "[-3, 4]")},
                  {"tm", ArrayOf(arrow::time64(arrow::TimeUnit::NANO), "[100, 50]")}});
  auto stats = Stats(*b);
  ASSERT_EQ(stats.size(), 4u);
  EXPECT_EQ(stats[0], Int("t", 1, 5, 1));
  EXPECT_EQ(stats[1], Int("d", 18000, 19000, 0));
  EXPECT_EQ(stats[2], Int("dur", -3, 4, 0));
  EXPECT_EQ(stats[3], Int("tm", 50, 100, 0));
}

TEST(ColumnStats, NestedStructsFlattenWithDotsAndParentNullsCount) {
  auto pose = arrow::struct_(
      {arrow::field("position", arrow::struct_({arrow::field("x", arrow::float64()), arrow::field("y", arrow::int32())})),
       arrow::field("frame", arrow::utf8())});
  auto b = Batch({{"pose", ArrayOf(pose, R"([
      {"position": {"x": 1.0, "y": 7}, "frame": "map"},
      null,
      {"position": null, "frame": "odom"},
      {"position": {"x": -4.5, "y": null}, "frame": null}])")}});
  auto stats = Stats(*b);
  ASSERT_EQ(stats.size(), 3u);
  EXPECT_EQ(stats[0], Float("pose.position.x", -4.5, 1.0, 2));  // the null pose and the null position
  EXPECT_EQ(stats[1], Int("pose.position.y", 7, 7, 3));
  EXPECT_EQ(stats[2], Str("pose.frame", "map", "odom", 2));
}

TEST(ColumnStats, ListsMapsBinariesAreSkipped) {
  auto b = Batch({{"timestamp_ns", ArrayOf(arrow::int64(), "[2, 1]")},
                  {"l", ArrayOf(arrow::list(arrow::int32()), "[[1, 2], null]")},
                  {"m", ArrayOf(arrow::map(arrow::utf8(), arrow::int32()), R"([[["a", 1]], null])")},
                  {"bin", ArrayOf(arrow::binary(), R"(["x", "y"])")},
                  {"img", ArrayOf(arrow::large_binary(), R"(["x", "y"])")},
                  {"fsb", ArrayOf(arrow::fixed_size_binary(2), R"(["xy", "zz"])")},
                  {"n", ArrayOf(arrow::null(), "[null, null]")},
                  {"s", ArrayOf(arrow::struct_({arrow::field("l", arrow::list(arrow::int8())),
                                                arrow::field("v", arrow::int8())}),
                                R"([{"l": [1], "v": 3}, {"l": null, "v": 4}])")}});
  auto stats = Stats(*b);
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0], Int("timestamp_ns", 1, 2, 0));
  EXPECT_EQ(stats[1], Int("s.v", 3, 4, 0));
}

TEST(ColumnStats, DictionaryFollowsValueType) {
  auto type = arrow::dictionary(arrow::int8(), arrow::utf8());
  auto dict = arrow::json::DictArrayFromJSONString(type, "[1, 0, null, 2]", R"(["walk", "run", "idle"])").ValueOrDie();
  auto b = Batch({{"mode", dict}});
  auto stats = Stats(*b);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0], Str("mode", "idle", "walk", 1));
}

TEST(ColumnStats, SlicedArraysAndChunkedTables) {
  auto full = ArrayOf(arrow::int32(), "[100, 1, 2, 3, -100]");
  auto b = Batch({{"v", full->Slice(1, 3)}});
  EXPECT_EQ(Stats(*b)[0], Int("v", 1, 3, 0));

  auto s = arrow::schema({arrow::field("v", arrow::float64()),
                          arrow::field("p", arrow::struct_({arrow::field("x", arrow::int16())}))});
  auto b1 = arrow::RecordBatch::Make(s, 2, {ArrayOf(arrow::float64(), "[1.0, null]"),
                                            ArrayOf(s->field(1)->type(), R"([{"x": 5}, null])")});
  auto b2 = arrow::RecordBatch::Make(s, 2, {ArrayOf(arrow::float64(), "[NaN, -3.0]"),
                                            ArrayOf(s->field(1)->type(), R"([{"x": -5}, {"x": null}])")});
  auto table = arrow::Table::FromRecordBatches(s, {b1, b2}).ValueOrDie();
  auto stats = ComputeColumnStats(*table);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  ASSERT_EQ(stats->size(), 2u);
  EXPECT_EQ((*stats)[0], Float("v", -3.0, 1.0, 1));
  EXPECT_EQ((*stats)[1], Int("p.x", -5, 5, 2));
}

// The direct float scan agrees with Arrow's min_max on random data with nulls, NaN, infinities, slices and a struct
// parent's nulls (what the catalog prunes with must not change).
TEST(ColumnStats, FloatScanMatchesArrowMinMax) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> value(-1e6, 1e6);
  for (int round = 0; round < 20; ++round) {
    arrow::DoubleBuilder doubles;
    arrow::FloatBuilder floats;
    const int n = 1 + static_cast<int>(rng() % 3000);
    for (int i = 0; i < n; ++i) {
      const auto r = rng() % 100;
      if (r < 10) {
        ASSERT_OK(doubles.AppendNull());
        ASSERT_OK(floats.AppendNull());
      } else if (r < 15) {
        ASSERT_OK(doubles.Append(std::nan("")));
        ASSERT_OK(floats.Append(std::nanf("")));
      } else if (r < 16 && round % 2 == 0) {
        ASSERT_OK(doubles.Append(-std::numeric_limits<double>::infinity()));
        ASSERT_OK(floats.Append(std::numeric_limits<float>::infinity()));
      } else {
        const double v = value(rng);
        ASSERT_OK(doubles.Append(v));
        ASSERT_OK(floats.Append(static_cast<float>(v)));
      }
    }
    std::shared_ptr<arrow::Array> d, f;
    ASSERT_OK(doubles.Finish(&d));
    ASSERT_OK(floats.Finish(&f));
    const int64_t off = static_cast<int64_t>(rng() % static_cast<uint64_t>(n));
    d = d->Slice(off);
    f = f->Slice(off);
    auto b = Batch({{"d", d}, {"f", f}});
    auto stats = Stats(*b);
    ASSERT_EQ(stats.size(), 2u);
    for (int c = 0; c < 2; ++c) {
      auto mm = arrow::compute::MinMax(b->column(c)).ValueOrDie().scalar_as<arrow::StructScalar>();
      SCOPED_TRACE("round " + std::to_string(round) + " column " + std::to_string(c));
      EXPECT_EQ(stats[c].null_count, b->column(c)->null_count());
      auto as_double = [](const std::shared_ptr<arrow::Scalar>& sc) {
        return std::static_pointer_cast<arrow::DoubleScalar>(sc->CastTo(arrow::float64()).ValueOrDie())->value;
      };
      if (!mm.value[0]->is_valid || std::isnan(as_double(mm.value[0]))) {  // no value, or only NaN
        EXPECT_FALSE(stats[c].min_float.has_value());
        continue;
      }
      ASSERT_TRUE(stats[c].min_float.has_value());
      EXPECT_EQ(*stats[c].min_float, as_double(mm.value[0]));
      EXPECT_EQ(*stats[c].max_float, as_double(mm.value[1]));
    }
  }
}

// The footer of `table` written as a chunk is (chunk_parquet.h's properties), in row groups of `row_group_rows`.
std::shared_ptr<parquet::FileMetaData> ChunkFooter(const arrow::Table& table, int64_t row_group_rows) {
  auto sink = arrow::io::BufferOutputStream::Create().ValueOrDie();
  auto arrow_properties = ChunkArrowWriterProperties();
  auto properties = ChunkWriterProperties(*table.schema(), 1, row_group_rows, arrow_properties).ValueOrDie();
  EXPECT_OK(parquet::arrow::WriteTable(table, arrow::default_memory_pool(), sink, row_group_rows, properties,
                                       arrow_properties));
  auto reader = parquet::ParquetFileReader::Open(
      std::make_shared<arrow::io::BufferReader>(sink->Finish().ValueOrDie()));
  return reader->metadata();
}

// Float leaves from the written footer give what the scan gives (ChunkWriter takes them from there): random
// doubles and floats with nulls, NaN, infinities, zeros of both signs, all-null and all-NaN stretches, under a
// struct with null rows, over several batches and row groups.
TEST(ColumnStats, FooterFloatStatsMatchTheScan) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> value(-1e3, 1e3);
  auto xyz = arrow::struct_({arrow::field("x", arrow::float64()), arrow::field("y", arrow::float32())});
  auto schema = arrow::schema({arrow::field("timestamp_ns", arrow::int64(), false), arrow::field("d", arrow::float64()),
                               arrow::field("f", arrow::float32()), arrow::field("v", xyz)});
  for (int round = 0; round < 12; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const int special = round % 4;  // 0 mixed, 1 only zeros, 2 only NaN/null, 3 infinities
    arrow::RecordBatchVector batches;
    int64_t ts = 0;
    for (int b = 0; b < 3; ++b) {
      const int n = 1 + static_cast<int>(rng() % 700);
      arrow::Int64Builder t;
      arrow::DoubleBuilder d, x;
      arrow::FloatBuilder f, y;
      std::vector<bool> struct_valid;
      for (int i = 0; i < n; ++i) {
        ASSERT_OK(t.Append(ts++));
        for (int c = 0; c < 4; ++c) {
          const auto r = rng() % 100;
          double v = value(rng);
          if (special == 1) v = (r % 2) ? 0.0 : -0.0;
          if (special == 2) v = std::nan("");
          if (special == 3) v = (r % 3 == 0) ? -std::numeric_limits<double>::infinity()
                                             : std::numeric_limits<double>::infinity();
          if (special == 0 && r < 5) v = std::nan("");
          const bool null = r >= 90;
          if (c == 0) ASSERT_OK(null ? d.AppendNull() : d.Append(v));
          if (c == 1) ASSERT_OK(null ? f.AppendNull() : f.Append(static_cast<float>(v)));
          if (c == 2) ASSERT_OK(null ? x.AppendNull() : x.Append(v));
          if (c == 3) ASSERT_OK(null ? y.AppendNull() : y.Append(static_cast<float>(v)));
        }
        struct_valid.push_back(rng() % 10 != 0);
      }
      std::shared_ptr<arrow::Array> ta, da, fa, xa, ya;
      ASSERT_OK(t.Finish(&ta));
      ASSERT_OK(d.Finish(&da));
      ASSERT_OK(f.Finish(&fa));
      ASSERT_OK(x.Finish(&xa));
      ASSERT_OK(y.Finish(&ya));
      arrow::BooleanBuilder mask;
      for (bool valid : struct_valid) ASSERT_OK(mask.Append(!valid));
      std::shared_ptr<arrow::Array> mask_array;
      ASSERT_OK(mask.Finish(&mask_array));
      ASSERT_OK_AND_ASSIGN(auto v, arrow::StructArray::Make({xa, ya}, xyz->fields(),
                                                            arrow::internal::checked_pointer_cast<arrow::BooleanArray>(
                                                                mask_array)->values(), arrow::kUnknownNullCount));
      batches.push_back(arrow::RecordBatch::Make(schema, n, {ta, da, fa, v}));
    }
    ASSERT_OK_AND_ASSIGN(auto table, arrow::Table::FromRecordBatches(schema, batches));
    auto footer = ChunkFooter(*table, 1 + static_cast<int64_t>(rng() % 500));
    ASSERT_OK_AND_ASSIGN(auto scanned, ComputeColumnStats(*table));
    ASSERT_OK_AND_ASSIGN(auto from_footer, ComputeColumnStats(*table, *footer));
    EXPECT_EQ(from_footer, scanned);
    for (const auto& s : from_footer) {  // zero bounds are +0.0 (Parquet writes a zero minimum as -0.0)
      if (s.min_float && *s.min_float == 0) {
        EXPECT_FALSE(std::signbit(*s.min_float)) << s.column;
      }
      if (s.max_float && *s.max_float == 0) {
        EXPECT_FALSE(std::signbit(*s.max_float)) << s.column;
      }
    }
  }
}

// The footer is what float leaves are taken from (no second pass over their values), every other leaf is
// scanned; a dotted path two leaves share ("a.b" the column and "b" inside struct "a") is scanned too.
TEST(ColumnStats, FooterGivesOnlyUnambiguousFloatLeaves) {
  auto ab = arrow::struct_({arrow::field("b", arrow::float64())});
  auto make = [&](const std::string& floats, const std::string& ints, const std::string& nested) {
    return arrow::Table::Make(
        arrow::schema({arrow::field("f", arrow::float64()), arrow::field("i", arrow::int32()),
                       arrow::field("a.b", arrow::float64()), arrow::field("a", ab)}),
        {std::make_shared<arrow::ChunkedArray>(ArrayOf(arrow::float64(), floats)),
         std::make_shared<arrow::ChunkedArray>(ArrayOf(arrow::int32(), ints)),
         std::make_shared<arrow::ChunkedArray>(ArrayOf(arrow::float64(), floats)),
         std::make_shared<arrow::ChunkedArray>(ArrayOf(ab, nested))});
  };
  auto table = make("[1.0, 2.0]", "[1, 2]", R"([{"b": 1.0}, {"b": 2.0}])");
  auto other = make("[-5.0, null]", "[-5, 9]", R"([{"b": -5.0}, null])");
  ASSERT_OK_AND_ASSIGN(auto stats, ComputeColumnStats(*table, *ChunkFooter(*other, 1024)));
  ASSERT_EQ(stats.size(), 4u);
  EXPECT_EQ(stats[0], Float("f", -5.0, -5.0, 1));  // from the footer given
  EXPECT_EQ(stats[1], Int("i", 1, 2, 0));          // scanned
  EXPECT_EQ(stats[2], Float("a.b", 1.0, 2.0, 0));  // ambiguous path: scanned
  EXPECT_EQ(stats[3], Float("a.b", 1.0, 2.0, 0));
}

TEST(ColumnStats, EmptyInput) {
  auto b = Batch({{"v", ArrayOf(arrow::int32(), "[]")}, {"s", ArrayOf(arrow::utf8(), "[]")}});
  auto stats = Stats(*b);
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0], Int("v", std::nullopt, std::nullopt, 0));
  EXPECT_EQ(stats[1], Str("s", std::nullopt, std::nullopt, 0));
}

TEST(ColumnStats, InvalidUtf8StringHasNoEntry) {
  arrow::StringBuilder builder;
  ASSERT_TRUE(builder.Append(std::string("\xff\xfe")).ok());
  ASSERT_TRUE(builder.Append(std::string("ok")).ok());
  auto b = Batch({{"s", builder.Finish().ValueOrDie()}});
  EXPECT_TRUE(Stats(*b).empty());
}

}  // namespace
}  // namespace mosaico::ingest
