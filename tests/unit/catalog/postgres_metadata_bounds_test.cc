// The numeric bounds PostgreSQL's FindTopics pushes into SQL (postgres/pg_metadata_sql.h): for every stored number
// and every numeric predicate, the SQL pre-filter (JSONPath on the JSONB copy, MetadataSupersetSql; the metadata
// values tables of sequences and of topics, MetadataValuesSql) keeps every row the exact semantics (MetadataMatcher: int64 or the nearest double,
// compared exactly) match: at the bounds, below zero, near 2^53 and 2^63, int against float, decimals that round to
// the bound. And it is tight: a range over 30..35 does not fetch 29.9 or 35.1 (it once widened integer bounds by 1).
// Skipped unless MOSAICOD_TEST_PG_URL is set (catalog_test_util.h).
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "catalog/postgres_documents_fixture.h"
#include "mosaico/catalog/metadata_matcher.h"
#include "mosaico/catalog/postgres/pg_conn.h"
#include "mosaico/catalog/postgres/pg_metadata_sql.h"

namespace mosaico::catalog::testing {
namespace {

// Stored decimals, as written in user_metadata (JSONB keeps them exactly; our reader rounds some).
const std::vector<std::string> kStored = {
    "30", "30.0", "29.99999999999999999", "30.00000000000000001", "29.9", "29.9999999", "30.0000001",
    "35", "35.000000000000001", "34.999999999999999999", "35.1", "35.0000001", "32.5",
    "-5", "-5.0", "-5.0000000000000000001", "-4.9999999999999999999", "-5.1", "-4.9",
    "0", "-0.0", "0.0", "1e-400", "-1e-400", "1e-320", "-1e-320",
    "9007199254740992", "9007199254740993", "9007199254740993.0", "9007199254740993.5", "9007199254740994",
    "18014398509481984", "18014398509481985", "18014398509481985.5", "18014398509481986.5", "18014398509481987",
    "9223372036854775807", "9223372036854775806.5", "9223372036854775808", "9223372036854775809",
    "-9223372036854775808", "-9223372036854775808.5", "-9223372036854775809",
    "1e300", "1e400", "-1e400", "1.7976931348623157e308", "0.1", "0.30000000000000004",
};

ScalarValue I(int64_t v) { return ScalarValue(v); }
ScalarValue D(double v) { return ScalarValue(v); }

const std::vector<ScalarValue> kArgs = {
    I(30), I(35), I(-5), I(0), D(30.0), D(29.999999999999996), D(35.00000000000001), D(-5.0), D(0.0), D(-0.0),
    D(0.1), D(0.3), D(1e-320), I(9007199254740992), I(9007199254740993), I(18014398509481985),
    I(std::numeric_limits<int64_t>::max()), I(std::numeric_limits<int64_t>::min()), D(9007199254740993.0),
    D(9223372036854775808.0), D(-9223372036854775808.0), D(1e300), D(1.7976931348623157e308),
    D(std::numeric_limits<double>::infinity()), D(-std::numeric_limits<double>::infinity()),
};

class PostgresMetadataBoundsTest : public PostgresDocumentsTest {
 protected:
  void SetUp() override {
    PostgresDocumentsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // One sequence per stored number, named by its index; at the top ("x") and nested ("n.x", for "**.x").
    std::vector<std::string> documents;
    for (const std::string& number : kStored) {
      documents.push_back("{\"x\":" + number + ",\"n\":{\"x\":" + number + "}}");
    }
    InsertSequenceDocuments(documents);
    if (HasFatalFailure()) return;
    InsertTopicDocuments(documents);  // the same numbers as topics "t<i>" (topic metadata values, migration 14)
    if (HasFatalFailure()) return;
    auto unindexed = conn_->Exec("SELECT count(*) FROM sequences WHERE jsonb_typeof(metadata_jsonb) IS DISTINCT "
                                 "FROM 'object'");
    ASSERT_TRUE(unindexed.ok()) << unindexed.status().ToString();
    ASSERT_EQ(unindexed->Text(0, 0), "0");  // every stored number is a JSONB number
  }

  // Indices of the stored numbers the exact semantics match.
  std::set<size_t> Exact(const MetadataPredicate& m) {
    auto matcher = MetadataMatcher::Make({m});
    EXPECT_TRUE(matcher.ok()) << matcher.status().ToString();
    std::set<size_t> out;
    for (size_t i = 0; matcher.ok() && i < kStored.size(); ++i) {
      if ((*matcher)->Evaluate("{\"x\":" + kStored[i] + ",\"n\":{\"x\":" + kStored[i] + "}}") ==
          MetadataMatcher::Outcome::kMatch) {
        out.insert(i);
      }
    }
    return out;
  }

  // Indices of the sequences a pushed condition keeps; `where` builds it with `param`. nullopt: nothing pushed.
  // `from`: "sequences q" or "topics t" (whose names are "s<i>" / "t<i>").
  std::optional<std::set<size_t>> Kept(
      const std::function<std::string(const std::function<std::string(const std::string&)>&)>& where,
      const std::string& from = "sequences q") {
    postgres::PgParams params;
    auto param = [&](const std::string& v) {
      params.Add(v);
      return "$" + std::to_string(params.size());
    };
    const std::string condition = where(param);
    if (condition.empty()) return std::nullopt;
    auto res = conn_->Exec("SELECT substr(" + from.substr(from.size() - 1) + ".name, 2)::int FROM " + from +
                           " WHERE " + condition, params);
    EXPECT_TRUE(res.ok()) << res.status().ToString() << "\n" << condition;
    std::set<size_t> out;
    for (int r = 0; res.ok() && r < res->rows(); ++r) out.insert(static_cast<size_t>(res->Int64(r, 0)));
    return out;
  }
  std::optional<std::set<size_t>> KeptByJsonb(const MetadataPredicate& m) {
    return Kept([&](const auto& param) { return postgres::MetadataSupersetSql("q.metadata_jsonb", m, param); });
  }
  std::optional<std::set<size_t>> KeptByValues(const MetadataPredicate& m) {
    return Kept([&](const auto& param) {
      const std::string sql = postgres::MetadataValuesSql(postgres::MetadataOwner::kSequence, m, param);
      return sql.empty() ? sql : "q.id IN (" + sql + ")";
    });
  }

  std::optional<std::set<size_t>> KeptByTopicValues(const MetadataPredicate& m) {
    return Kept(
        [&](const auto& param) {
          const std::string sql = postgres::MetadataValuesSql(postgres::MetadataOwner::kTopic, m, param);
          return sql.empty() ? sql : "t.id IN (" + sql + ")";
        },
        "topics t");
  }

  static std::string Describe(const std::set<size_t>& missing) {
    std::string out;
    for (size_t i : missing) out += " " + kStored[i];
    return out;
  }

  // Every row the exact semantics match passes both pre-filters (when they push anything).
  void ExpectSuperset(const MetadataPredicate& m, const std::string& what) {
    const std::set<size_t> exact = Exact(m);
    for (const auto& [name, kept] : {std::pair{"jsonb", KeptByJsonb(m)}, std::pair{"values", KeptByValues(m)},
                                     std::pair{"topic values", KeptByTopicValues(m)}}) {
      if (!kept) continue;
      std::set<size_t> missing;
      for (size_t i : exact) {
        if (!kept->count(i)) missing.insert(i);
      }
      EXPECT_TRUE(missing.empty()) << what << " (" << name << "): the pre-filter drops" << Describe(missing);
      ++checked_;
    }
  }

  int checked_ = 0;
};

std::string Text(const ScalarValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i) + " (int)";
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g (float)", std::get<double>(v));
  return buf;
}

TEST_F(PostgresMetadataBoundsTest, ThePreFilterKeepsEveryExactMatch) {
  using Op = PredicateOp;
  for (const std::vector<std::string>& key : {std::vector<std::string>{"x"}, std::vector<std::string>{"**", "x"}}) {
    const std::string k = key.size() == 1 ? "x" : "**.x";
    for (const ScalarValue& a : kArgs) {
      for (Op op : {Op::kEq, Op::kLt, Op::kLeq, Op::kGt, Op::kGeq}) {
        ExpectSuperset({key, {op, {a}}}, k + " " + PredicateOpName(op) + " " + Text(a));
      }
      for (const ScalarValue& b : kArgs) {
        if (CompareNumbers(a, b) > 0) continue;
        ExpectSuperset({key, {Op::kBetween, {a, b}}}, k + " between " + Text(a) + ", " + Text(b));
        ExpectSuperset({key, {Op::kOutside, {a, b}}}, k + " outside " + Text(a) + ", " + Text(b));
        ExpectSuperset({key, {Op::kIn, {a, b}}}, k + " in " + Text(a) + ", " + Text(b));
      }
    }
  }
  EXPECT_GT(checked_, 5000) << checked_;  // 5337: the topic values serve plain keys only
}

TEST_F(PostgresMetadataBoundsTest, IntegerBoundsAreTight) {
  using Op = PredicateOp;
  auto stored = [](const std::set<size_t>& s) {
    std::set<std::string> out;
    for (size_t i : s) out.insert(kStored[i]);
    return out;
  };
  for (const std::vector<std::string>& key : {std::vector<std::string>{"x"}, std::vector<std::string>{"**", "x"}}) {
    // 30..35: what rounds to the bounds or lies between them; not 29.9/35.1 nor 29.9999999/35.0000001.
    const MetadataPredicate range{key, {Op::kBetween, {I(30), I(35)}}};
    const std::set<std::string> want = {"30", "30.0", "29.99999999999999999", "30.00000000000000001", "30.0000001",
                                        "35", "35.000000000000001", "34.999999999999999999", "32.5"};
    EXPECT_EQ(stored(Exact(range)), want);
    EXPECT_EQ(stored(*KeptByJsonb(range)), want);
    EXPECT_EQ(stored(*KeptByValues(range)), want);
    if (key.size() == 1) EXPECT_EQ(stored(*KeptByTopicValues(range)), want);
    // Below zero, and equality.
    const MetadataPredicate neg{key, {Op::kEq, {I(-5)}}};
    const std::set<std::string> minus_five = {"-5", "-5.0", "-5.0000000000000000001", "-4.9999999999999999999"};
    EXPECT_EQ(stored(Exact(neg)), minus_five);
    EXPECT_EQ(stored(*KeptByJsonb(neg)), minus_five);
    EXPECT_EQ(stored(*KeptByValues(neg)), minus_five);
    if (key.size() == 1) EXPECT_EQ(stored(*KeptByTopicValues(neg)), minus_five);
    // Beyond 2^53 an integer bound is not a double; the margin covers decimals that round onto it.
    const MetadataPredicate big{key, {Op::kLeq, {I(18014398509481985)}}};
    EXPECT_TRUE(stored(Exact(big)).count("18014398509481985.5"));  // the double 2^54 <= 2^54 + 1
    EXPECT_TRUE(stored(*KeptByJsonb(big)).count("18014398509481985.5"));
    EXPECT_TRUE(stored(*KeptByValues(big)).count("18014398509481985.5"));
    if (key.size() == 1) EXPECT_TRUE(stored(*KeptByTopicValues(big)).count("18014398509481985.5"));
  }
}

}  // namespace
}  // namespace mosaico::catalog::testing
