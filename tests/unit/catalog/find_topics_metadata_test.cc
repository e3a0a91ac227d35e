// FindTopics on user metadata: nested keys, "*" and "**", arrays not descended, kinds never mixing, int/float
// exactness, nulls as absent, escapes, duplicate keys, long $in lists, combined sequence and topic metadata.
#include "catalog/find_topics_test_util.h"

namespace mosaico::catalog::testing {
namespace {

// ---------------------------------------------------------------------------------------- user metadata

class MetadataTest : public FindTopicsTest {
 protected:
  // One sequence per document, each with one topic "t"; returns the names of the matching sequences.
  Names SeqsWhere(const std::string& key, ScalarPredicate p) {
    Names out;
    for (const std::string& l : Find(SeqMeta(key, std::move(p)))) out.push_back(l.substr(0, l.find('/')));
    return out;
  }
  void Doc(const std::string& name, const std::string& json) {
    Seq(name, json);
    Topic(name, "t");
  }
};

TEST_P(MetadataTest, NestedPlainKeys) {
  Doc("rain", R"({"env":{"weather":"rain","temp":12}})");
  Doc("sun", R"({"env":{"weather":"sun","temp":25.5}})");
  Doc("flat", R"({"env.weather":"rain"})");  // a dotted member name is not a path
  Doc("none", R"({})");
  EXPECT_EQ(SeqsWhere("env.weather", P(Op::kEq, {S("rain")})), (Names{"rain"}));
  EXPECT_EQ(SeqsWhere("env.weather", P(Op::kNeq, {S("rain")})), (Names{"sun"}));  // missing never satisfies $neq
  EXPECT_EQ(SeqsWhere("env.temp", P(Op::kGt, {int64_t{12}})), (Names{"sun"}));
  EXPECT_EQ(SeqsWhere("env.temp", P(Op::kGeq, {int64_t{12}})), (Names{"rain", "sun"}));
  EXPECT_EQ(SeqsWhere("env.temp", P(Op::kLt, {25.5})), (Names{"rain"}));
  EXPECT_EQ(SeqsWhere("env.temp", P(Op::kLeq, {25.5})), (Names{"rain", "sun"}));
  EXPECT_EQ(SeqsWhere("env.temp", P(Op::kBetween, {int64_t{12}, int64_t{20}})), (Names{"rain"}));
  EXPECT_EQ(SeqsWhere("env.temp", P(Op::kOutside, {int64_t{12}, int64_t{20}})), (Names{"sun"}));
  EXPECT_EQ(SeqsWhere("env.weather", P(Op::kIn, {S("sun"), S("snow")})), (Names{"sun"}));
  EXPECT_EQ(SeqsWhere("env.weather", P(Op::kMatch, {S("r*")})), (Names{"rain"}));
  EXPECT_EQ(SeqsWhere("env.weather", P(Op::kLt, {S("s")})), (Names{"rain"}));
  EXPECT_EQ(SeqsWhere("env.weather", P(Op::kExists)), (Names{"rain", "sun"}));
  EXPECT_EQ(SeqsWhere("env.weather", P(Op::kNotExists)), (Names{"flat", "none"}));
  EXPECT_EQ(SeqsWhere("env", P(Op::kExists)), (Names{"rain", "sun"}));    // an object is present...
  EXPECT_EQ(SeqsWhere("env", P(Op::kEq, {S("rain")})), Names{});           // ...but never equal to a scalar
  EXPECT_EQ(SeqsWhere("env.weather.x", P(Op::kNotExists)), (Names{"flat", "none", "rain", "sun"}));
}

TEST_P(MetadataTest, StarMatchesAnyOneMember) {
  Doc("a", R"({"sensors":{"imu":{"rate":200},"gps":{"rate":10}}})");
  Doc("b", R"({"sensors":{"cam":{"rate":30}}})");
  Doc("c", R"({"sensors":{"rate":500}})");
  EXPECT_EQ(SeqsWhere("sensors.*.rate", P(Op::kGt, {int64_t{100}})), (Names{"a"}));  // any value satisfies
  EXPECT_EQ(SeqsWhere("sensors.*.rate", P(Op::kLt, {int64_t{100}})), (Names{"a", "b"}));
  EXPECT_EQ(SeqsWhere("sensors.*.rate", P(Op::kExists)), (Names{"a", "b"}));
  EXPECT_EQ(SeqsWhere("sensors.*.rate", P(Op::kNotExists)), (Names{"c"}));
  EXPECT_EQ(SeqsWhere("sensors.*", P(Op::kEq, {int64_t{500}})), (Names{"c"}));
  EXPECT_EQ(SeqsWhere("*.*.rate", P(Op::kEq, {int64_t{30}})), (Names{"b"}));
}

TEST_P(MetadataTest, DoubleStarMatchesAnyDepthIncludingZero) {
  Doc("top", R"({"serial":"X1"})");
  Doc("deep", R"({"a":{"b":{"c":{"serial":"X1"}}}})");
  Doc("other", R"({"a":{"serial":"X2"}})");
  Doc("inlist", R"({"a":[{"serial":"X1"}]})");
  EXPECT_EQ(SeqsWhere("**.serial", P(Op::kEq, {S("X1")})), (Names{"deep", "top"}));
  EXPECT_EQ(SeqsWhere("**.serial", P(Op::kExists)), (Names{"deep", "other", "top"}));
  EXPECT_EQ(SeqsWhere("a.**.serial", P(Op::kExists)), (Names{"deep", "other"}));
  EXPECT_EQ(SeqsWhere("a.**.c.serial", P(Op::kEq, {S("X1")})), (Names{"deep"}));
  EXPECT_EQ(SeqsWhere("**.b.**", P(Op::kEq, {S("X1")})), (Names{"deep"}));
  EXPECT_EQ(SeqsWhere("**", P(Op::kEq, {S("X2")})), (Names{"other"}));
  EXPECT_EQ(SeqsWhere("**.**.serial", P(Op::kEq, {S("X1")})), (Names{"deep", "top"}));
}

TEST_P(MetadataTest, ArraysAreNotDescended) {
  Doc("list", R"({"items":[{"id":1},{"id":2}],"tags":["a","b"]})");
  EXPECT_EQ(SeqsWhere("items.id", P(Op::kExists)), Names{});
  EXPECT_EQ(SeqsWhere("items.*", P(Op::kExists)), Names{});
  EXPECT_EQ(SeqsWhere("**.id", P(Op::kExists)), Names{});
  EXPECT_EQ(SeqsWhere("tags", P(Op::kEq, {S("a")})), Names{});
  EXPECT_EQ(SeqsWhere("tags", P(Op::kExists)), (Names{"list"}));  // the array itself is present
  EXPECT_EQ(SeqsWhere("tags", P(Op::kNotExists)), Names{});
}

TEST_P(MetadataTest, KindsNeverMix) {
  Doc("bool_true", R"({"v":true})");
  Doc("one", R"({"v":1})");
  Doc("one_float", R"({"v":1.0})");
  Doc("str_one", R"({"v":"1"})");
  Doc("zero_false", R"({"v":false})");
  EXPECT_EQ(SeqsWhere("v", P(Op::kEq, {true})), (Names{"bool_true"}));
  EXPECT_EQ(SeqsWhere("v", P(Op::kEq, {int64_t{1}})), (Names{"one", "one_float"}));
  EXPECT_EQ(SeqsWhere("v", P(Op::kEq, {1.0})), (Names{"one", "one_float"}));
  EXPECT_EQ(SeqsWhere("v", P(Op::kEq, {S("1")})), (Names{"str_one"}));
  EXPECT_EQ(SeqsWhere("v", P(Op::kNeq, {true})), (Names{"zero_false"}));
  EXPECT_EQ(SeqsWhere("v", P(Op::kNeq, {int64_t{2}})), (Names{"one", "one_float"}));
  EXPECT_EQ(SeqsWhere("v", P(Op::kGt, {int64_t{0}})), (Names{"one", "one_float"}));  // true is not > 0
  EXPECT_EQ(SeqsWhere("v", P(Op::kGt, {false})), Names{});                           // no order on bools
  EXPECT_EQ(SeqsWhere("v", P(Op::kIn, {false, S("1")})), (Names{"str_one", "zero_false"}));
  EXPECT_EQ(SeqsWhere("v", P(Op::kMatch, {S("*")})), (Names{"str_one"}));
  EXPECT_EQ(SeqsWhere("v", P(Op::kExists)).size(), 5u);
}

TEST_P(MetadataTest, NumbersCompareExactlyAcrossIntAndFloat) {
  Doc("big", R"({"n":9007199254740993})");  // 2^53 + 1
  Doc("half", R"({"n":1.5})");
  Doc("neg", R"({"n":-2e0})");
  Doc("huge", R"({"n":18446744073709551616})");  // beyond int64: read as a double
  EXPECT_EQ(SeqsWhere("n", P(Op::kEq, {9007199254740992.0})), Names{});
  EXPECT_EQ(SeqsWhere("n", P(Op::kGt, {9007199254740992.0})), (Names{"big", "huge"}));
  EXPECT_EQ(SeqsWhere("n", P(Op::kEq, {int64_t{9007199254740993}})), (Names{"big"}));
  EXPECT_EQ(SeqsWhere("n", P(Op::kGt, {int64_t{1}})), (Names{"big", "half", "huge"}));
  EXPECT_EQ(SeqsWhere("n", P(Op::kLt, {int64_t{2}})), (Names{"half", "neg"}));
  EXPECT_EQ(SeqsWhere("n", P(Op::kEq, {int64_t{-2}})), (Names{"neg"}));
  EXPECT_EQ(SeqsWhere("n", P(Op::kGt, {int64_t{9223372036854775807}})), (Names{"huge"}));
}

TEST_P(MetadataTest, LongInListsKeepKindsAndExactness) {
  Doc("seven", R"({"v":7})");
  Doc("seven_str", R"({"v":"7"})");
  Doc("big", R"({"v":9007199254740993})");  // 2^53 + 1
  Doc("half", R"({"v":0.5})");
  Doc("yes", R"({"v":true})");
  Doc("no", R"({"v":false})");
  Doc("word", R"({"v":"word"})");
  std::vector<ScalarValue> many;
  for (int i = 100; i < 200; ++i) many.emplace_back(int64_t{i});
  many.emplace_back(7.0);                  // equals the int 7
  many.emplace_back(9007199254740992.0);   // 2^53: not 2^53 + 1
  many.emplace_back(int64_t{0});           // not 0.5
  many.emplace_back(true);
  many.emplace_back(S("word"));
  many.emplace_back(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(SeqsWhere("v", P(Op::kIn, many)), (Names{"seven", "word", "yes"}));
  many.emplace_back(0.5);
  many.emplace_back(false);
  many.emplace_back(int64_t{9007199254740993});
  EXPECT_EQ(SeqsWhere("v", P(Op::kIn, many)), (Names{"big", "half", "no", "seven", "word", "yes"}));
}

TEST_P(MetadataTest, NullIsAbsent) {
  Doc("null", R"({"x":null,"o":{"y":null}})");
  Doc("value", R"({"x":0,"o":{"y":""}})");
  Doc("missing", R"({})");
  EXPECT_EQ(SeqsWhere("x", P(Op::kNotExists)), (Names{"missing", "null"}));
  EXPECT_EQ(SeqsWhere("x", P(Op::kExists)), (Names{"value"}));
  EXPECT_EQ(SeqsWhere("o.*", P(Op::kNotExists)), (Names{"missing", "null"}));
  EXPECT_EQ(SeqsWhere("x", P(Op::kNeq, {int64_t{1}})), (Names{"value"}));
  EXPECT_EQ(SeqsWhere("x", P(Op::kEq, {ScalarValue()})), Names{});
}

TEST_P(MetadataTest, EscapedKeysAndValuesAreDecoded) {
  Doc("esc", R"({"caf\u00e9":{"q\"k":"line\nbreak \ud83d\ude00"}})");
  EXPECT_EQ(SeqsWhere("caf\xc3\xa9.q\"k", P(Op::kEq, {S("line\nbreak \xf0\x9f\x98\x80")})), (Names{"esc"}));
  EXPECT_EQ(SeqsWhere("caf\xc3\xa9.*", P(Op::kMatch, {S("line?break ?")})), (Names{"esc"}));
}

TEST_P(MetadataTest, DuplicateKeysMeanTheLastOne) {
  Doc("dup", R"({"b":3,"a":1,"a":2})");
  EXPECT_EQ(SeqsWhere("a", P(Op::kEq, {int64_t{1}})), Names{});
  EXPECT_EQ(SeqsWhere("a", P(Op::kEq, {int64_t{2}})), (Names{"dup"}));
  EXPECT_EQ(SeqsWhere("*", P(Op::kEq, {int64_t{1}})), Names{});  // the shadowed "a":1 is not reached
  EXPECT_EQ(SeqsWhere("**", P(Op::kLt, {int64_t{2}})), Names{});
  EXPECT_EQ(SeqsWhere("*", P(Op::kEq, {int64_t{3}})), (Names{"dup"}));
}

TEST_P(MetadataTest, AllPredicatesOfAnEntityMustHold) {
  Doc("both", R"({"env":"lab","rev":3})");
  Doc("env_only", R"({"env":"lab","rev":1})");
  Doc("rev_only", R"({"env":"field","rev":3})");
  TopicFilter f = SeqMeta("env", P(Op::kEq, {S("lab")}));
  f.sequence.metadata.push_back({Key("rev"), P(Op::kGeq, {int64_t{2}})});
  EXPECT_EQ(Find(f), (Names{"both/t"}));
}

TEST_P(MetadataTest, DeepDoubleStarKeysStayFast) {
  std::string doc = R"({"leaf":1})";
  for (int i = 0; i < 200; ++i) doc = R"({"a":)" + doc + R"(,"b":)" + std::to_string(i) + "}";
  Doc("deep", doc);
  std::vector<std::string> key(40, "**");
  key.push_back("leaf");
  TopicFilter f;
  f.sequence.metadata.push_back({key, P(Op::kEq, {int64_t{1}})});
  EXPECT_EQ(Find(f), (Names{"deep/t"}));
  f.sequence.metadata[0].predicate = P(Op::kEq, {int64_t{2}});
  EXPECT_EQ(Find(f), Names{});
}

TEST_P(MetadataTest, TopicMetadataAndSequenceMetadataCombine) {
  Seq("lab", R"({"env":"lab"})");
  Seq("field", R"({"env":"field"})");
  Topic("lab", "imu", "imu", R"({"unit":"m/s2"})");
  Topic("lab", "gps", "gps", R"({"unit":"deg"})");
  Topic("field", "imu", "imu", R"({"unit":"m/s2"})");
  TopicFilter f = SeqMeta("env", P(Op::kEq, {S("lab")}));
  f.topic.metadata.push_back({Key("unit"), P(Op::kMatch, {S("m/*")})});
  EXPECT_EQ(Find(f), (Names{"lab/imu"}));
  f.topic.fields.push_back({EntityField::kOntologyTag, P(Op::kEq, {S("gps")})});
  EXPECT_EQ(Find(f), Names{});
  EXPECT_EQ(Find(TopicMeta("unit", P(Op::kEq, {S("m/s2")}))), (Names{"field/imu", "lab/imu"}));
}

TEST_P(MetadataTest, StoredTextThatIsNotAnObjectFailsMetadataQueriesOnly) {
  Doc("broken", "[1,2]");
  Doc("fine", R"({"k":1})");
  auto r = catalog_->FindTopics(SeqMeta("k", P(Op::kExists)));
  EXPECT_TRUE(r.status().IsIOError()) << r.status().ToString();
  EXPECT_TRUE(MessageHas(r.status(), "not a JSON object")) << r.status().ToString();
  EXPECT_EQ(Find({}), (Names{"broken/t", "fine/t"}));
}

// PostgreSQL pushes metadata predicates into SQL as supersets (catalog/postgres/pg_metadata_sql.h) and evaluates
// the exact semantics on the survivors; these are the cases where the JSONB value and ours differ.
TEST_P(MetadataTest, PushedDownPredicatesKeepTheExactSemantics) {
  Doc("digits", R"({"n":1.00000000000000000001,"s":"rain"})");  // the double 1.0 for us, not 1 for JSONB
  Doc("one", R"({"n":1,"s":["rain"]})");                          // JSONPath's lax mode looks into arrays
  Doc("bigd", R"({"n":9007199254740993.0})");                   // the double 2^53
  Doc("nested", R"({"a":[{"s":"rain"}],"b":{"c":{"s":"rain"}}})");
  EXPECT_EQ(SeqsWhere("n", P(Op::kEq, {int64_t{1}})), (Names{"digits", "one"}));
  EXPECT_EQ(SeqsWhere("n", P(Op::kEq, {1.0})), (Names{"digits", "one"}));
  EXPECT_EQ(SeqsWhere("n", P(Op::kIn, {int64_t{1}, S("x")})), (Names{"digits", "one"}));
  EXPECT_EQ(SeqsWhere("n", P(Op::kLeq, {int64_t{1}})), (Names{"digits", "one"}));
  EXPECT_EQ(SeqsWhere("n", P(Op::kGeq, {1.0})), (Names{"bigd", "digits", "one"}));
  EXPECT_EQ(SeqsWhere("n", P(Op::kBetween, {int64_t{1}, int64_t{1}})), (Names{"digits", "one"}));
  EXPECT_EQ(SeqsWhere("n", P(Op::kOutside, {int64_t{1}, int64_t{2}})), (Names{"bigd"}));
  EXPECT_EQ(SeqsWhere("n", P(Op::kEq, {int64_t{9007199254740992}})), (Names{"bigd"}));
  EXPECT_EQ(SeqsWhere("s", P(Op::kEq, {S("rain")})), (Names{"digits"}));
  EXPECT_EQ(SeqsWhere("s", P(Op::kIn, {S("rain"), int64_t{1}, ScalarValue()})), (Names{"digits"}));
  EXPECT_EQ(SeqsWhere("n", P(Op::kIn, {S("rain"), int64_t{1}})), (Names{"digits", "one"}));
  EXPECT_EQ(SeqsWhere("s", P(Op::kMatch, {S("ra*")})), (Names{"digits"}));
  EXPECT_EQ(SeqsWhere("s", P(Op::kGeq, {S("r")})), (Names{"digits"}));
  EXPECT_EQ(SeqsWhere("**.s", P(Op::kEq, {S("rain")})), (Names{"digits", "nested"}));
  EXPECT_EQ(SeqsWhere("*.s", P(Op::kEq, {S("rain")})), Names{});
  EXPECT_EQ(SeqsWhere("b.*.s", P(Op::kIn, {S("rain"), true})), (Names{"nested"}));
}

// Equalities on wildcard keys ending in a name are served on PostgreSQL by the members index (containment of
// {"key","value"}): booleans against strings, members at the root, inside arrays, shadowed duplicates, escapes.
TEST_P(MetadataTest, WildcardKeyEqualitiesKeepTheExactSemantics) {
  Doc("bool", R"({"x":{"on":true}})");
  Doc("text", R"({"x":{"on":"true"}})");
  Doc("root", R"({"on":true,"y":{"fw":"1.2"}})");
  Doc("inlist", R"({"x":[{"on":true}],"fw":["1.2"]})");
  Doc("shadow", R"({"x":{"on":true,"on":false},"z":{"fw":1.2}})");
  Doc("esc", R"({"a":{"q\"k":"v\u00e9"}})");
  EXPECT_EQ(SeqsWhere("**.on", P(Op::kEq, {true})), (Names{"bool", "root"}));
  EXPECT_EQ(SeqsWhere("**.on", P(Op::kEq, {S("true")})), (Names{"text"}));
  EXPECT_EQ(SeqsWhere("*.on", P(Op::kIn, {true, ScalarValue()})), (Names{"bool"}));
  EXPECT_EQ(SeqsWhere("**.on", P(Op::kEq, {false})), (Names{"shadow"}));
  EXPECT_EQ(SeqsWhere("**.fw", P(Op::kEq, {S("1.2")})), (Names{"root"}));
  EXPECT_EQ(SeqsWhere("**.fw", P(Op::kIn, {S("1.2"), 1.2})), (Names{"root", "shadow"}));
  EXPECT_EQ(SeqsWhere("**.q\"k", P(Op::kEq, {S("v\xc3\xa9")})), (Names{"esc"}));
  EXPECT_EQ(SeqsWhere("*.*.on", P(Op::kEq, {true})), Names{});
}

// Numeric comparisons on plain topic keys are answered on PostgreSQL from the topic metadata values table (migration
// 14) as a superset judged by MetadataMatcher: decimals JSONB keeps exactly, strings, members inside arrays, a topic
// whose path is too long for the table (its marker row) and one without a JSONB copy (a NUL character).
TEST_P(MetadataTest, TopicNumericRangesKeepTheExactSemantics) {
  Seq("s");
  Topic("s", "decimal", "imu", R"({"sensor":{"rate_hz":999.99999999999999999},"calibrated":true})");
  Topic("s", "fast", "imu", R"({"sensor":{"rate_hz":1000},"calibrated":true})");
  Topic("s", "slow", "imu", R"({"sensor":{"rate_hz":10},"calibrated":true})");
  Topic("s", "text", "imu", R"({"sensor":{"rate_hz":"1000"},"calibrated":true})");
  Topic("s", "inlist", "imu", R"({"sensor":[{"rate_hz":1000}],"calibrated":true})");
  Topic("s", "uncal", "imu", R"({"sensor":{"rate_hz":2000},"calibrated":false})");
  Topic("s", "long", "imu",
        "{\"" + std::string(1100, 'k') + "\":1,\"sensor\":{\"rate_hz\":5000},\"calibrated\":true}");
  Topic("s", "nul", "imu", R"({"sensor":{"rate_hz":3000},"s":"a\u0000b","calibrated":true})");
  TopicFilter f = TopicMeta("sensor.rate_hz", P(Op::kGeq, {int64_t{1000}}));
  f.topic.metadata.push_back({Key("calibrated"), P(Op::kEq, {true})});
  EXPECT_EQ(Find(f), (Names{"s/decimal", "s/fast", "s/long", "s/nul"}));
  EXPECT_EQ(Find(TopicMeta("sensor.rate_hz", P(Op::kBetween, {int64_t{10}, 1500.5}))),
            (Names{"s/decimal", "s/fast", "s/slow"}));
  EXPECT_EQ(Find(TopicMeta("sensor.rate_hz", P(Op::kIn, {int64_t{2000}, int64_t{5000}, S("1000")}))),
            (Names{"s/long", "s/text", "s/uncal"}));
  EXPECT_EQ(Find(TopicMeta("sensor.rate_hz", P(Op::kOutside, {int64_t{11}, int64_t{2999}}))),
            (Names{"s/long", "s/nul", "s/slow"}));
  EXPECT_EQ(Find(TopicMeta("sensor.rate_hz", P(Op::kEq, {1000.0}))), (Names{"s/decimal", "s/fast"}));
}

// Text PostgreSQL cannot hold as JSONB (a NUL character) has a NULL JSONB copy; such rows still take part.
TEST_P(MetadataTest, MetadataWithoutAJsonbCopyIsStillMatched) {
  Doc("nul", R"({"s":"a\u0000b","k":"v"})");
  Doc("plain", R"({"s":"ab","k":"v"})");
  EXPECT_EQ(SeqsWhere("k", P(Op::kEq, {S("v")})), (Names{"nul", "plain"}));
  EXPECT_EQ(SeqsWhere("s", P(Op::kEq, {S(std::string("a\0b", 3))})), (Names{"nul"}));
  EXPECT_EQ(SeqsWhere("s", P(Op::kMatch, {S("a*")})), (Names{"nul", "plain"}));
  EXPECT_EQ(Find(TopicMeta("x", P(Op::kExists))), Names{});
}

MOSAICO_CATALOG_BACKENDS(MetadataTest);

}  // namespace
}  // namespace mosaico::catalog::testing
