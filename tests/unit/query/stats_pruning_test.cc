// Statistics pruning is sound: MayMatch is false only when no value within the statistics can satisfy.
#include <gtest/gtest.h>

#include "mosaico/query/stats_pruning.h"

namespace mosaico::query {
namespace {

LeafStats Stats(ScalarValue lo, ScalarValue hi, int64_t nulls = 0, int64_t rows = 10) {
  LeafStats s;
  s.row_count = rows;
  s.null_count = nulls;
  s.min = std::move(lo);
  s.max = std::move(hi);
  return s;
}

bool May(PredicateOp op, std::vector<ScalarValue> args, const LeafStats& s) {
  return MayMatch(ScalarPredicate{op, std::move(args)}, s);
}

TEST(StatsPruningTest, Numbers) {
  const LeafStats s = Stats(int64_t{10}, int64_t{20});
  EXPECT_TRUE(May(PredicateOp::kEq, {int64_t{10}}, s));
  EXPECT_TRUE(May(PredicateOp::kEq, {15.5}, s));
  EXPECT_FALSE(May(PredicateOp::kEq, {9.999}, s));
  EXPECT_FALSE(May(PredicateOp::kEq, {int64_t{21}}, s));
  EXPECT_FALSE(May(PredicateOp::kEq, {std::string("15")}, s));  // another kind never matches
  EXPECT_FALSE(May(PredicateOp::kLt, {int64_t{10}}, s));
  EXPECT_TRUE(May(PredicateOp::kLt, {10.5}, s));
  EXPECT_TRUE(May(PredicateOp::kLeq, {int64_t{10}}, s));
  EXPECT_FALSE(May(PredicateOp::kGt, {int64_t{20}}, s));
  EXPECT_TRUE(May(PredicateOp::kGeq, {int64_t{20}}, s));
  EXPECT_TRUE(May(PredicateOp::kBetween, {int64_t{0}, int64_t{10}}, s));
  EXPECT_FALSE(May(PredicateOp::kBetween, {int64_t{21}, int64_t{30}}, s));
  EXPECT_FALSE(May(PredicateOp::kOutside, {int64_t{10}, int64_t{20}}, s));
  EXPECT_TRUE(May(PredicateOp::kOutside, {int64_t{11}, int64_t{20}}, s));
  EXPECT_TRUE(May(PredicateOp::kIn, {int64_t{1}, int64_t{12}}, s));
  EXPECT_FALSE(May(PredicateOp::kIn, {int64_t{1}, int64_t{22}}, s));
  EXPECT_FALSE(May(PredicateOp::kIn, {}, s));
  EXPECT_TRUE(May(PredicateOp::kNeq, {int64_t{10}}, s));
  EXPECT_FALSE(May(PredicateOp::kNeq, {int64_t{7}}, Stats(int64_t{7}, int64_t{7})));
  EXPECT_FALSE(May(PredicateOp::kNeq, {7.0}, Stats(7.0, 7.0)));
  // Exactness beyond 2^53.
  EXPECT_FALSE(May(PredicateOp::kEq, {9007199254740992.0}, Stats(int64_t{9007199254740993}, int64_t{9007199254740995})));
  EXPECT_TRUE(May(PredicateOp::kEq, {int64_t{9007199254740993}}, Stats(int64_t{9007199254740993}, int64_t{9007199254740995})));
}

TEST(StatsPruningTest, NullsAndPresence) {
  const LeafStats some_nulls = Stats(int64_t{1}, int64_t{2}, 3);
  EXPECT_TRUE(May(PredicateOp::kNotExists, {}, some_nulls));
  EXPECT_TRUE(May(PredicateOp::kExists, {}, some_nulls));
  EXPECT_FALSE(May(PredicateOp::kNotExists, {}, Stats(int64_t{1}, int64_t{2}, 0)));
  LeafStats all_null;
  all_null.row_count = 10;
  all_null.null_count = 10;
  EXPECT_FALSE(May(PredicateOp::kExists, {}, all_null));
  EXPECT_FALSE(May(PredicateOp::kEq, {int64_t{1}}, all_null));
  EXPECT_FALSE(May(PredicateOp::kNeq, {int64_t{1}}, all_null));
  EXPECT_TRUE(May(PredicateOp::kNotExists, {}, all_null));
  LeafStats unknown;  // no null count, no min/max (e.g. only NaN, or unrepresentable values)
  unknown.row_count = 10;
  for (auto op : {PredicateOp::kEq, PredicateOp::kNeq, PredicateOp::kLt, PredicateOp::kExists, PredicateOp::kNotExists}) {
    EXPECT_TRUE(May(op, {int64_t{1}}, unknown)) << PredicateOpName(op);
  }
  LeafStats no_minmax;  // values but no min/max: only presence can be decided
  no_minmax.row_count = 10;
  no_minmax.null_count = 2;
  EXPECT_TRUE(May(PredicateOp::kEq, {int64_t{1}}, no_minmax));
  LeafStats empty;
  EXPECT_FALSE(May(PredicateOp::kNotExists, {}, empty));  // no rows at all
}

TEST(StatsPruningTest, StringsBoolsAndGlobPrefix) {
  const LeafStats s = Stats(std::string("base"), std::string("imu_link"));
  EXPECT_TRUE(May(PredicateOp::kEq, {std::string("cam")}, s));
  EXPECT_FALSE(May(PredicateOp::kEq, {std::string("z")}, s));
  EXPECT_FALSE(May(PredicateOp::kLt, {std::string("base")}, s));
  EXPECT_TRUE(May(PredicateOp::kMatch, {std::string("*z")}, s));      // no literal prefix
  EXPECT_TRUE(May(PredicateOp::kMatch, {std::string("base_*")}, s));  // "base_..." > "base"
  EXPECT_TRUE(May(PredicateOp::kMatch, {std::string("ba?e")}, s));    // prefix "ba" is a prefix of min
  EXPECT_TRUE(May(PredicateOp::kMatch, {std::string("imu_link")}, s));
  EXPECT_FALSE(May(PredicateOp::kMatch, {std::string("imu_linkz")}, s));  // above max
  EXPECT_FALSE(May(PredicateOp::kMatch, {std::string("a*")}, s));         // every "a..." < "base"
  EXPECT_FALSE(May(PredicateOp::kMatch, {std::string("zz#")}, s));
  EXPECT_EQ(GlobLiteralPrefix("ab[c]d*"), "ab");
  EXPECT_EQ(GlobLiteralPrefix("#x"), "");
  const LeafStats b = Stats(true, true);
  EXPECT_TRUE(May(PredicateOp::kEq, {true}, b));
  EXPECT_FALSE(May(PredicateOp::kEq, {false}, b));
  EXPECT_FALSE(May(PredicateOp::kNeq, {true}, b));
  EXPECT_TRUE(May(PredicateOp::kIn, {false, true}, b));
}

}  // namespace
}  // namespace mosaico::query
