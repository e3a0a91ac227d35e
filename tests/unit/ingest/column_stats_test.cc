#include "mosaico/ingest/column_stats.h"

#include <cmath>
#include <limits>
#include <random>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <gtest/gtest.h>

#include "ingest/test_util.h"

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
