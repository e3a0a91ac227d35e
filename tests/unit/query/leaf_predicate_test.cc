// LeafPredicate: column-wise operators agree with core::Holds value by value, exactly, on every leaf type.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include <arrow/api.h>
#include <arrow/json/from_string.h>

#include "mosaico/query/leaf_predicate.h"
#include "query_test_util.h"

namespace mosaico::query {
namespace {

using V = std::vector<ScalarValue>;

std::shared_ptr<arrow::Array> ArrayOf(const std::shared_ptr<arrow::DataType>& type, const std::string& json) {
  return arrow::json::ArrayFromJSONString(type, json).ValueOrDie();
}

// Indices of the rows where the predicate holds.
std::vector<int64_t> Hits(const std::shared_ptr<arrow::Array>& values, PredicateOp op, V args) {
  auto leaf = LeafPredicate::Make(ScalarPredicate{op, std::move(args)}, values->type());
  EXPECT_TRUE(leaf.ok()) << leaf.status().ToString();
  auto mask = leaf->Evaluate(values);
  EXPECT_TRUE(mask.ok()) << mask.status().ToString();
  std::vector<int64_t> out;
  if (!mask.ok()) return out;
  EXPECT_EQ((*mask)->null_count(), 0);
  EXPECT_EQ((*mask)->length(), values->length());
  for (int64_t i = 0; i < (*mask)->length(); ++i) {
    if ((*mask)->Value(i)) out.push_back(i);
  }
  return out;
}

using I = std::vector<int64_t>;

TEST(LeafPredicateTest, IntegersAgainstFloatBoundsAreExact) {
  auto a = ArrayOf(arrow::int64(), "[-3, 0, 2, 3, 9223372036854775807, -9223372036854775808, null]");
  EXPECT_EQ(Hits(a, PredicateOp::kLt, {2.5}), (I{0, 1, 2, 5}));
  EXPECT_EQ(Hits(a, PredicateOp::kLeq, {2.5}), (I{0, 1, 2, 5}));
  EXPECT_EQ(Hits(a, PredicateOp::kGt, {2.5}), (I{3, 4}));
  EXPECT_EQ(Hits(a, PredicateOp::kGeq, {-2.5}), (I{1, 2, 3, 4}));
  EXPECT_EQ(Hits(a, PredicateOp::kEq, {2.0}), (I{2}));
  EXPECT_EQ(Hits(a, PredicateOp::kEq, {2.5}), I{});
  EXPECT_EQ(Hits(a, PredicateOp::kNeq, {2.5}), (I{0, 1, 2, 3, 4, 5}));  // null rows never satisfy $neq
  EXPECT_EQ(Hits(a, PredicateOp::kNeq, {int64_t{2}}), (I{0, 1, 3, 4, 5}));
  EXPECT_EQ(Hits(a, PredicateOp::kBetween, {-3.5, int64_t{2}}), (I{0, 1, 2}));
  EXPECT_EQ(Hits(a, PredicateOp::kOutside, {int64_t{0}, int64_t{2}}), (I{0, 3, 4, 5}));
  EXPECT_EQ(Hits(a, PredicateOp::kIn, {int64_t{2}, 2.5, 3.0}), (I{2, 3}));
  EXPECT_EQ(Hits(a, PredicateOp::kGeq, {1e300}), I{});
  EXPECT_EQ(Hits(a, PredicateOp::kLt, {1e300}), (I{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(Hits(a, PredicateOp::kGt, {-1e300}), (I{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(Hits(a, PredicateOp::kLeq, {9.2233720368547758e18}), (I{0, 1, 2, 3, 4, 5}));  // 2^63 > INT64_MAX
  EXPECT_EQ(Hits(a, PredicateOp::kExists, {}), (I{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(Hits(a, PredicateOp::kNotExists, {}), (I{6}));
  EXPECT_EQ(Hits(a, PredicateOp::kEq, {std::string("2")}), I{});  // another kind never matches
  EXPECT_EQ(Hits(a, PredicateOp::kMatch, {std::string("*")}), I{});
}

TEST(LeafPredicateTest, LargeIntegersDoNotRoundThroughDouble) {
  auto a = ArrayOf(arrow::int64(), "[9007199254740992, 9007199254740993]");  // 2^53, 2^53 + 1
  EXPECT_EQ(Hits(a, PredicateOp::kEq, {int64_t{9007199254740993}}), (I{1}));
  EXPECT_EQ(Hits(a, PredicateOp::kEq, {9007199254740992.0}), (I{0}));
  EXPECT_EQ(Hits(a, PredicateOp::kGt, {9007199254740992.0}), (I{1}));
  auto u = ArrayOf(arrow::uint64(), "[0, 9223372036854775808, 18446744073709551615, null]");
  EXPECT_EQ(Hits(u, PredicateOp::kGt, {int64_t{9223372036854775807}}), (I{1, 2}));
  EXPECT_EQ(Hits(u, PredicateOp::kLt, {int64_t{-1}}), I{});
  EXPECT_EQ(Hits(u, PredicateOp::kGeq, {int64_t{-5}}), (I{0, 1, 2}));
  EXPECT_EQ(Hits(u, PredicateOp::kEq, {1.8446744073709552e19}), I{});  // 2^64
  EXPECT_EQ(Hits(u, PredicateOp::kLt, {1.8446744073709552e19}), (I{0, 1, 2}));
  EXPECT_EQ(Hits(u, PredicateOp::kEq, {9.2233720368547758e18}), (I{1}));  // 2^63 exactly
  EXPECT_EQ(Hits(u, PredicateOp::kIn, {int64_t{-1}, int64_t{0}, 9.2233720368547758e18}), (I{0, 1}));
  // Doubles against ints no double represents.
  auto d = ArrayOf(arrow::float64(), "[9007199254740992.0, 9007199254740994.0]");
  const ScalarValue odd = int64_t{9007199254740993};
  EXPECT_EQ(Hits(d, PredicateOp::kLt, {odd}), (I{0}));
  EXPECT_EQ(Hits(d, PredicateOp::kLeq, {odd}), (I{0}));
  EXPECT_EQ(Hits(d, PredicateOp::kGt, {odd}), (I{1}));
  EXPECT_EQ(Hits(d, PredicateOp::kGeq, {odd}), (I{1}));
  EXPECT_EQ(Hits(d, PredicateOp::kEq, {odd}), I{});
  EXPECT_EQ(Hits(d, PredicateOp::kNeq, {odd}), (I{0, 1}));
  EXPECT_EQ(Hits(d, PredicateOp::kIn, {odd, int64_t{9007199254740992}}), (I{0}));
}

TEST(LeafPredicateTest, FloatsNanAndSignedZero) {
  auto f = ArrayOf(arrow::float32(), "[0.1, 0.125, null]");
  EXPECT_EQ(Hits(f, PredicateOp::kEq, {0.1}), I{});  // 0.1f is not 0.1
  EXPECT_EQ(Hits(f, PredicateOp::kGt, {0.1}), (I{0, 1}));
  EXPECT_EQ(Hits(f, PredicateOp::kEq, {0.125}), (I{1}));
  arrow::DoubleBuilder b;
  ASSERT_TRUE(b.AppendValues({std::nan(""), 1.0, -0.0, 0.0}).ok());
  std::shared_ptr<arrow::Array> d = b.Finish().ValueOrDie();
  EXPECT_EQ(Hits(d, PredicateOp::kNeq, {int64_t{1}}), (I{2, 3}));  // NaN satisfies nothing but $ex
  EXPECT_EQ(Hits(d, PredicateOp::kLt, {int64_t{5}}), (I{1, 2, 3}));
  EXPECT_EQ(Hits(d, PredicateOp::kOutside, {int64_t{2}, int64_t{3}}), (I{1, 2, 3}));
  EXPECT_EQ(Hits(d, PredicateOp::kExists, {}), (I{0, 1, 2, 3}));
  EXPECT_EQ(Hits(d, PredicateOp::kNotExists, {}), I{});
  EXPECT_EQ(Hits(d, PredicateOp::kEq, {int64_t{0}}), (I{2, 3}));
  EXPECT_EQ(Hits(d, PredicateOp::kIn, {0.0}), (I{2, 3}));
  EXPECT_EQ(Hits(d, PredicateOp::kIn, {-0.0}), (I{2, 3}));
}

TEST(LeafPredicateTest, StringsByteOrderAndGlob) {
  for (auto type : {arrow::utf8(), arrow::large_utf8(), arrow::utf8_view()}) {
    auto s = ArrayOf(type, R"(["Z", "a", "é", "a1b", "", null, "abc"])");
    EXPECT_EQ(Hits(s, PredicateOp::kLt, {std::string("a")}), (I{0, 4})) << type->ToString();
    EXPECT_EQ(Hits(s, PredicateOp::kGt, {std::string("z")}), (I{2})) << type->ToString();  // UTF-8 bytes > ASCII
    EXPECT_EQ(Hits(s, PredicateOp::kBetween, {std::string("a"), std::string("ab")}), (I{1, 3}));
    EXPECT_EQ(Hits(s, PredicateOp::kMatch, {std::string("a#?")}), (I{3}));
    EXPECT_EQ(Hits(s, PredicateOp::kMatch, {std::string("a*")}), (I{1, 3, 6}));
    EXPECT_EQ(Hits(s, PredicateOp::kMatch, {std::string("?")}), (I{0, 1, 2}));  // é is one character
    EXPECT_EQ(Hits(s, PredicateOp::kMatch, {std::string("*")}), (I{0, 1, 2, 3, 4, 6}));
    EXPECT_EQ(Hits(s, PredicateOp::kMatch, {std::string("[A-Z]")}), (I{0}));
    EXPECT_EQ(Hits(s, PredicateOp::kIn, {std::string(""), std::string("abc")}), (I{4, 6}));
    EXPECT_EQ(Hits(s, PredicateOp::kNeq, {std::string("a")}), (I{0, 2, 3, 4, 6}));
    EXPECT_EQ(Hits(s, PredicateOp::kEq, {int64_t{1}}), I{});
  }
  auto dict = arrow::DictionaryArray::FromArrays(arrow::dictionary(arrow::int32(), arrow::utf8()),
                                           ArrayOf(arrow::int32(), "[0, 1, null, 1]"),
                                           ArrayOf(arrow::utf8(), R"(["x", "y"])"))
                  .ValueOrDie();
  EXPECT_EQ(Hits(dict, PredicateOp::kEq, {std::string("y")}), (I{1, 3}));
  EXPECT_EQ(Hits(dict, PredicateOp::kNotExists, {}), (I{2}));
}

TEST(LeafPredicateTest, BooleansTemporalAndNonScalars) {
  auto b = ArrayOf(arrow::boolean(), "[true, false, null]");
  EXPECT_EQ(Hits(b, PredicateOp::kEq, {true}), (I{0}));
  EXPECT_EQ(Hits(b, PredicateOp::kNeq, {true}), (I{1}));
  EXPECT_EQ(Hits(b, PredicateOp::kIn, {false}), (I{1}));
  EXPECT_EQ(Hits(b, PredicateOp::kIn, {false, true}), (I{0, 1}));
  EXPECT_EQ(Hits(b, PredicateOp::kLt, {int64_t{1}}), I{});
  auto t = ArrayOf(arrow::timestamp(arrow::TimeUnit::NANO), "[5, 10, null]");
  EXPECT_EQ(Hits(t, PredicateOp::kGt, {7.5}), (I{1}));
  auto d32 = ArrayOf(arrow::date32(), "[1, 2]");
  EXPECT_EQ(Hits(d32, PredicateOp::kEq, {int64_t{2}}), (I{1}));
  auto st = ArrayOf(arrow::struct_({arrow::field("x", arrow::int32())}), R"([{"x": 1}, null])");
  EXPECT_EQ(Hits(st, PredicateOp::kExists, {}), (I{0}));
  EXPECT_EQ(Hits(st, PredicateOp::kNotExists, {}), (I{1}));
  EXPECT_EQ(Hits(st, PredicateOp::kEq, {int64_t{1}}), I{});
  auto nulls = std::make_shared<arrow::NullArray>(3);
  EXPECT_EQ(Hits(nulls, PredicateOp::kNotExists, {}), (I{0, 1, 2}));
  EXPECT_EQ(Hits(nulls, PredicateOp::kNeq, {int64_t{1}}), I{});
  // Sliced input.
  auto sliced = ArrayOf(arrow::int32(), "[1, 2, 3, 4, null]")->Slice(1, 4);
  EXPECT_EQ(Hits(sliced, PredicateOp::kGeq, {int64_t{3}}), (I{1, 2}));
  EXPECT_EQ(Hits(sliced, PredicateOp::kNotExists, {}), (I{3}));
}

// Random values and predicates: LeafPredicate agrees with core::Holds on every value.
TEST(LeafPredicateTest, AgreesWithScalarHoldsOnRandomData) {
  std::mt19937_64 rng(42);
  const std::vector<int64_t> ints = {0, 1, -1, 2, 3, 100, -100, 127, -128, 9007199254740992, 9007199254740993,
                                     std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()};
  const std::vector<double> floats = {0.0, -0.0, 0.5, 1.0, 1.5, -2.25, 3.0, 100.0, 1e300, -1e300, 0.1,
                                      9007199254740992.0, 9.2233720368547758e18, std::nan("")};
  const std::vector<std::string> strings = {"", "a", "ab", "abc", "b", "Z", "é", "a1", "x_y"};
  auto random_number = [&]() -> ScalarValue {
    if (rng() % 2) return ints[rng() % ints.size()];
    double d = floats[rng() % floats.size()];
    return std::isnan(d) ? 0.25 : d;  // JSON cannot carry NaN arguments
  };
  struct Column {
    std::shared_ptr<arrow::DataType> type;
    std::function<ScalarValue()> value;
  };
  const std::vector<Column> columns = {
      {arrow::int64(), [&]() -> ScalarValue { return ints[rng() % ints.size()]; }},
      {arrow::int8(), [&]() -> ScalarValue { return int64_t(int8_t(ints[rng() % ints.size()])); }},
      {arrow::uint32(), [&]() -> ScalarValue { return int64_t(uint32_t(ints[rng() % ints.size()])); }},
      {arrow::float64(), [&]() -> ScalarValue { return floats[rng() % floats.size()]; }},
      {arrow::float32(), [&]() -> ScalarValue { return double(float(floats[rng() % floats.size()])); }},
      {arrow::utf8(), [&]() -> ScalarValue { return strings[rng() % strings.size()]; }},
      {arrow::boolean(), [&]() -> ScalarValue { return bool(rng() % 2); }},
  };
  const PredicateOp ops[] = {PredicateOp::kEq,  PredicateOp::kNeq,     PredicateOp::kLt,      PredicateOp::kLeq,
                             PredicateOp::kGt,  PredicateOp::kGeq,     PredicateOp::kBetween, PredicateOp::kOutside,
                             PredicateOp::kIn,  PredicateOp::kExists,  PredicateOp::kNotExists, PredicateOp::kMatch};
  for (const auto& col : columns) {
    // Build the column from ScalarValues (null 1 in 8).
    std::vector<ScalarValue> values(200);
    for (auto& v : values) v = rng() % 8 == 0 ? ScalarValue{} : col.value();
    std::unique_ptr<arrow::ArrayBuilder> builder;
    ASSERT_TRUE(arrow::MakeBuilder(arrow::default_memory_pool(), col.type, &builder).ok());
    for (const auto& v : values) {
      std::shared_ptr<arrow::Scalar> s;
      if (std::holds_alternative<std::monostate>(v)) {
        s = arrow::MakeNullScalar(col.type);
      } else if (auto* i = std::get_if<int64_t>(&v)) {
        s = arrow::MakeScalar(col.type, *i).ValueOrDie();
      } else if (auto* d = std::get_if<double>(&v)) {
        s = arrow::MakeScalar(col.type, *d).ValueOrDie();
      } else if (auto* str = std::get_if<std::string>(&v)) {
        s = std::make_shared<arrow::StringScalar>(*str);
      } else {
        s = arrow::MakeScalar(col.type, std::get<bool>(v)).ValueOrDie();
      }
      ASSERT_TRUE(builder->AppendScalar(*s).ok());
    }
    std::shared_ptr<arrow::Array> array;
    ASSERT_TRUE(builder->Finish(&array).ok());
    const bool is_string = col.type->id() == arrow::Type::STRING;
    const bool is_bool = col.type->id() == arrow::Type::BOOL;
    for (int round = 0; round < 300; ++round) {
      ScalarPredicate p;
      p.op = ops[rng() % std::size(ops)];
      auto arg = [&]() -> ScalarValue {
        if (is_string) return strings[rng() % strings.size()];
        if (is_bool) return bool(rng() % 2);
        return random_number();
      };
      switch (p.op) {
        case PredicateOp::kExists: case PredicateOp::kNotExists: break;
        case PredicateOp::kBetween: case PredicateOp::kOutside: p.args = {arg(), arg()}; break;
        case PredicateOp::kIn: for (int k = rng() % 4; k > 0; --k) p.args.push_back(arg()); break;
        case PredicateOp::kMatch: p.args = {std::string(rng() % 2 ? "a*" : "?")}; break;
        default: p.args = {arg()};
      }
      auto leaf = LeafPredicate::Make(p, col.type);
      ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
      auto mask = leaf->Evaluate(array);
      ASSERT_TRUE(mask.ok()) << mask.status().ToString();
      for (size_t i = 0; i < values.size(); ++i) {
        ASSERT_EQ((*mask)->Value(i), Holds(p, values[i]))
            << col.type->ToString() << " op " << PredicateOpName(p.op) << " row " << i;
      }
    }
  }
}

}  // namespace
}  // namespace mosaico::query
