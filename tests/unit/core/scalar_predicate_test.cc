#include "mosaico/core/scalar_predicate.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace mosaico {
namespace {

using S = std::string;
const ScalarValue kNull{};
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

ScalarPredicate P(PredicateOp op, std::vector<ScalarValue> args = {}) { return {op, std::move(args)}; }
bool H(PredicateOp op, std::vector<ScalarValue> args, const ScalarValue& v) { return Holds(P(op, std::move(args)), v); }

TEST(PredicateOpNames, RoundTripEveryOperator) {
  const char* names[] = {"$eq", "$neq", "$lt", "$leq", "$gt", "$geq", "$between", "$outside", "$in", "$match",
                         "$ex", "$nex"};
  for (const char* name : names) {
    PredicateOp op;
    ASSERT_TRUE(ParsePredicateOp(name, &op)) << name;
    EXPECT_STREQ(PredicateOpName(op), name);
  }
  PredicateOp op;
  EXPECT_FALSE(ParsePredicateOp("$regex", &op));
  EXPECT_FALSE(ParsePredicateOp("eq", &op));
}

TEST(CompareNumbers, IntAgainstDoubleIsExact) {
  const int64_t two53 = int64_t{1} << 53;
  EXPECT_GT(CompareNumbers(two53 + 1, static_cast<double>(two53)), 0);  // 2^53+1 > 2^53 (as double: equal)
  EXPECT_LT(CompareNumbers(static_cast<double>(two53), two53 + 1), 0);
  EXPECT_EQ(CompareNumbers(two53, static_cast<double>(two53)), 0);
  EXPECT_LT(CompareNumbers(kMax, 9223372036854775808.0), 0);  // int64 max < 2^63
  EXPECT_EQ(CompareNumbers(kMin, -9223372036854775808.0), 0);
  EXPECT_GT(CompareNumbers(kMin, -9223372036854777856.0), 0);  // next double below -2^63
  EXPECT_LT(CompareNumbers(int64_t{1}, 1.5), 0);
  EXPECT_GT(CompareNumbers(int64_t{2}, 1.5), 0);
  EXPECT_GT(CompareNumbers(int64_t{-1}, -1.5), 0);
  EXPECT_LT(CompareNumbers(int64_t{-2}, -1.5), 0);
  EXPECT_EQ(CompareNumbers(int64_t{0}, -0.0), 0);
  EXPECT_LT(CompareNumbers(kMax, kInf), 0);
  EXPECT_GT(CompareNumbers(kMin, -kInf), 0);
  EXPECT_LT(CompareNumbers(int64_t{3}, int64_t{4}), 0);
  EXPECT_LT(CompareNumbers(0.25, 0.5), 0);
  EXPECT_GT(CompareNumbers(kNaN, kInf), 0);  // NaN sorts last (total order)
  EXPECT_EQ(CompareNumbers(kNaN, kNaN), 0);
}

TEST(Holds, NullSatisfiesOnlyNotExists) {
  for (PredicateOp op : {PredicateOp::kEq, PredicateOp::kNeq, PredicateOp::kLt, PredicateOp::kGeq,
                         PredicateOp::kIn, PredicateOp::kMatch, PredicateOp::kExists}) {
    EXPECT_FALSE(H(op, {S("x")}, kNull)) << PredicateOpName(op);
  }
  EXPECT_TRUE(H(PredicateOp::kNotExists, {}, kNull));
  EXPECT_FALSE(H(PredicateOp::kNotExists, {}, S("")));
  EXPECT_FALSE(H(PredicateOp::kNotExists, {}, false));
  EXPECT_TRUE(H(PredicateOp::kExists, {}, false));
  EXPECT_TRUE(H(PredicateOp::kExists, {}, int64_t{0}));
}

TEST(Holds, EqualityAcrossNumberKinds) {
  EXPECT_TRUE(H(PredicateOp::kEq, {int64_t{5}}, 5.0));
  EXPECT_TRUE(H(PredicateOp::kEq, {5.0}, int64_t{5}));
  EXPECT_FALSE(H(PredicateOp::kEq, {5.5}, int64_t{5}));
  const int64_t big = (int64_t{1} << 53) + 1;
  EXPECT_FALSE(H(PredicateOp::kEq, {static_cast<double>(big)}, big));
  EXPECT_TRUE(H(PredicateOp::kNeq, {static_cast<double>(big)}, big));
  EXPECT_TRUE(H(PredicateOp::kEq, {big}, big));
}

TEST(Holds, KindMismatchNeverSatisfies) {
  EXPECT_FALSE(H(PredicateOp::kEq, {int64_t{1}}, true));
  EXPECT_FALSE(H(PredicateOp::kEq, {true}, int64_t{1}));
  EXPECT_FALSE(H(PredicateOp::kEq, {S("5")}, int64_t{5}));
  EXPECT_FALSE(H(PredicateOp::kEq, {int64_t{5}}, S("5")));
  EXPECT_FALSE(H(PredicateOp::kNeq, {int64_t{5}}, S("6")));  // $neq needs the same kind
  EXPECT_FALSE(H(PredicateOp::kNeq, {true}, int64_t{0}));
  EXPECT_FALSE(H(PredicateOp::kLt, {S("z")}, int64_t{1}));
  EXPECT_FALSE(H(PredicateOp::kGt, {int64_t{0}}, S("a")));
  EXPECT_FALSE(H(PredicateOp::kBetween, {int64_t{0}, S("z")}, int64_t{1}));
  EXPECT_FALSE(H(PredicateOp::kOutside, {S("a"), S("b")}, int64_t{1}));
  EXPECT_FALSE(H(PredicateOp::kMatch, {S("*")}, int64_t{1}));
  EXPECT_FALSE(H(PredicateOp::kIn, {S("1"), true}, int64_t{1}));
  EXPECT_TRUE(H(PredicateOp::kIn, {S("1"), true, 1.0}, int64_t{1}));
}

TEST(Holds, BooleansOnlyEqNeqIn) {
  EXPECT_TRUE(H(PredicateOp::kEq, {true}, true));
  EXPECT_FALSE(H(PredicateOp::kEq, {false}, true));
  EXPECT_TRUE(H(PredicateOp::kNeq, {false}, true));
  EXPECT_FALSE(H(PredicateOp::kNeq, {true}, true));
  EXPECT_TRUE(H(PredicateOp::kIn, {false, true}, true));
  EXPECT_FALSE(H(PredicateOp::kGt, {false}, true));
  EXPECT_FALSE(H(PredicateOp::kGeq, {true}, true));
  EXPECT_FALSE(H(PredicateOp::kLeq, {true}, true));
  EXPECT_FALSE(H(PredicateOp::kBetween, {false, true}, true));
  EXPECT_FALSE(H(PredicateOp::kOutside, {false, false}, true));
}

TEST(Holds, OrderOperatorsOnNumbers) {
  EXPECT_TRUE(H(PredicateOp::kLt, {int64_t{5}}, int64_t{4}));
  EXPECT_FALSE(H(PredicateOp::kLt, {int64_t{5}}, int64_t{5}));
  EXPECT_TRUE(H(PredicateOp::kLeq, {int64_t{5}}, int64_t{5}));
  EXPECT_FALSE(H(PredicateOp::kLeq, {int64_t{5}}, 5.000001));
  EXPECT_TRUE(H(PredicateOp::kGt, {4.5}, int64_t{5}));
  EXPECT_FALSE(H(PredicateOp::kGt, {int64_t{5}}, int64_t{5}));
  EXPECT_TRUE(H(PredicateOp::kGeq, {int64_t{5}}, 5.0));
  EXPECT_FALSE(H(PredicateOp::kGeq, {5.5}, int64_t{5}));
  const int64_t two53 = int64_t{1} << 53;
  EXPECT_TRUE(H(PredicateOp::kGt, {static_cast<double>(two53)}, two53 + 1));
  EXPECT_FALSE(H(PredicateOp::kLeq, {static_cast<double>(two53)}, two53 + 1));
}

TEST(Holds, BetweenAndOutsideAreInclusiveBounds) {
  const std::vector<ScalarValue> range{int64_t{10}, 20.0};
  EXPECT_TRUE(H(PredicateOp::kBetween, range, int64_t{10}));
  EXPECT_TRUE(H(PredicateOp::kBetween, range, 20.0));
  EXPECT_TRUE(H(PredicateOp::kBetween, range, 15.5));
  EXPECT_FALSE(H(PredicateOp::kBetween, range, 9.999));
  EXPECT_FALSE(H(PredicateOp::kBetween, range, int64_t{21}));
  EXPECT_FALSE(H(PredicateOp::kOutside, range, int64_t{10}));
  EXPECT_FALSE(H(PredicateOp::kOutside, range, int64_t{20}));
  EXPECT_TRUE(H(PredicateOp::kOutside, range, int64_t{9}));
  EXPECT_TRUE(H(PredicateOp::kOutside, range, 20.5));
  // Reversed bounds: nothing is between, everything is outside.
  EXPECT_FALSE(H(PredicateOp::kBetween, {int64_t{20}, int64_t{10}}, int64_t{15}));
  EXPECT_TRUE(H(PredicateOp::kOutside, {int64_t{20}, int64_t{10}}, int64_t{15}));
  EXPECT_TRUE(H(PredicateOp::kBetween, {S("b"), S("d")}, S("c")));
  EXPECT_TRUE(H(PredicateOp::kOutside, {S("b"), S("d")}, S("da")));
}

TEST(Holds, StringsCompareByUtf8Bytes) {
  EXPECT_TRUE(H(PredicateOp::kLt, {S("b")}, S("a")));
  EXPECT_TRUE(H(PredicateOp::kLt, {S("a")}, S("B")));   // uppercase before lowercase
  EXPECT_TRUE(H(PredicateOp::kLt, {S("ab")}, S("a")));  // prefix first
  EXPECT_TRUE(H(PredicateOp::kGt, {S("z")}, S("\xc3\xa9")));   // é (0xC3...) after any ASCII
  EXPECT_TRUE(H(PredicateOp::kGt, {S("\xef\xbf\xbf")}, S("\xf0\x9f\x98\x80")));  // U+1F600 > U+FFFF
  EXPECT_TRUE(H(PredicateOp::kEq, {S("")}, S("")));
  EXPECT_TRUE(H(PredicateOp::kNeq, {S("a")}, S("")));
}

TEST(Holds, MatchIsAnchoredGlob) {
  EXPECT_TRUE(H(PredicateOp::kMatch, {S("run_#*")}, S("run_1abc")));
  EXPECT_FALSE(H(PredicateOp::kMatch, {S("run_#*")}, S("xrun_1")));
  EXPECT_FALSE(H(PredicateOp::kMatch, {S("[")}, S("[")));  // invalid pattern matches nothing
  EXPECT_FALSE(H(PredicateOp::kMatch, {int64_t{1}}, S("1")));
}

TEST(Holds, NaNSatisfiesOnlyExists) {
  for (PredicateOp op : {PredicateOp::kEq, PredicateOp::kNeq, PredicateOp::kLt, PredicateOp::kLeq,
                         PredicateOp::kGt, PredicateOp::kGeq}) {
    EXPECT_FALSE(H(op, {1.0}, kNaN)) << PredicateOpName(op);
    EXPECT_FALSE(H(op, {kNaN}, kNaN)) << PredicateOpName(op);
    EXPECT_FALSE(H(op, {kNaN}, 1.0)) << PredicateOpName(op);
  }
  EXPECT_FALSE(H(PredicateOp::kBetween, {-kInf, kInf}, kNaN));
  EXPECT_FALSE(H(PredicateOp::kOutside, {int64_t{0}, int64_t{1}}, kNaN));
  EXPECT_FALSE(H(PredicateOp::kIn, {kNaN, 1.0}, kNaN));
  EXPECT_TRUE(H(PredicateOp::kExists, {}, kNaN));
  EXPECT_FALSE(H(PredicateOp::kNotExists, {}, kNaN));
}

TEST(Holds, MalformedArgumentCountsAreFalse) {
  EXPECT_FALSE(H(PredicateOp::kEq, {}, int64_t{1}));
  EXPECT_FALSE(H(PredicateOp::kEq, {int64_t{1}, int64_t{1}}, int64_t{1}));
  EXPECT_FALSE(H(PredicateOp::kBetween, {int64_t{0}}, int64_t{0}));
  EXPECT_FALSE(H(PredicateOp::kIn, {}, int64_t{0}));
}

}  // namespace
}  // namespace mosaico
