// Query parser: the accept / reject table of docs/QUERY.md ("Grammar", "Types", "Topic names"), limits, and
// hostile JSON (deep nesting, huge numbers, unicode, control characters).
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "mosaico/query/query_limits.h"
#include "mosaico/query/query_parser.h"
#include "mosaico/query/request_json.h"
#include "query_test_util.h"

namespace mosaico::query {
namespace {

using testing::F;

std::shared_ptr<arrow::Schema> ImuSchema() {
  auto vec3 = arrow::struct_({F("x", arrow::float64()), F("y", arrow::float64()), F("z", arrow::float64())});
  auto pose = arrow::struct_({F("x", arrow::float64()), F("kind", arrow::utf8()), F("w", arrow::list(arrow::float32()))});
  return arrow::schema({F("timestamp_ns", arrow::int64(), false), F("acc", vec3), F("temp", arrow::float32()),
                        F("seq", arrow::int32()), F("counter", arrow::uint64()), F("frame_id", arrow::utf8()),
                        F("calibrated", arrow::boolean()), F("cov", arrow::list(arrow::float64())),
                        F("poses", arrow::list(pose)), F("blob", arrow::binary()),
                        F("stamp", arrow::timestamp(arrow::TimeUnit::NANO))});
}

// An older version of the imu ontology: `temp` was a string.
std::shared_ptr<arrow::Schema> OldImuSchema() {
  return arrow::schema({F("timestamp_ns", arrow::int64(), false), F("temp", arrow::utf8())});
}

SchemaLookup Lookup() {
  return [](const std::string& tag) -> arrow::Result<std::vector<std::shared_ptr<arrow::Schema>>> {
    if (tag == "imu") return std::vector<std::shared_ptr<arrow::Schema>>{ImuSchema(), OldImuSchema()};
    if (tag == "gps") {
      return std::vector<std::shared_ptr<arrow::Schema>>{
          arrow::schema({F("timestamp_ns", arrow::int64(), false), F("lat", arrow::float64())})};
    }
    return std::vector<std::shared_ptr<arrow::Schema>>{};
  };
}

arrow::Result<QueryRequest> Parse(const std::string& text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return arrow::Status::Invalid("test JSON does not parse");
  return ParseQuery(j, Lookup());
}

TEST(QueryParserTest, AcceptsEveryOperatorOnEverySection) {
  const char* accepted[] = {
      R"({})",
      R"({"sequence": {}, "topic": {}, "ontology": {}})",
      R"({"sequence": {"name": {"$eq": "run_1"}}})",
      R"({"sequence": {"name": {"$match": "run_#*"}, "created_at_ns": {"$between": [1, 2]}}})",
      R"({"sequence": {"created_at_ns": {"$geq": 1700000000000000000}}})",
      R"({"sequence": {"user_metadata": {"env.weather": {"$eq": "rain"}, "a.*.c": {"$gt": 1.5},
                                         "**.id": {"$in": [1, "x", true]}, "x": {"$nex": null}}}})",
      R"({"topic": {"name": {"$in": ["a", "/b"]}, "ontology_tag": {"$neq": "imu"}}})",
      R"({"topic": {"user_metadata": {"calib.ok": {"$eq": true}, "v": {"$outside": ["a", "b"]}}}})",
      R"({"topic": {"name": {"$ex": null}, "created_at_ns": {"$nex": 123}}})",
      R"({"ontology": {"imu.acc.x": {"$gt": 1}, "imu.acc.y": {"$between": [1, 2.5]}, "imu.acc.z": {"$outside": [-1, 1]}}})",
      R"({"ontology": {"imu.cov[0]": {"$lt": 1}, "imu.cov[?]": {"$eq": 2}, "imu.cov[!]": {"$geq": 0}}})",
      R"({"ontology": {"imu.poses[?].kind": {"$match": "a*"}, "imu.poses[3].w[!]": {"$gt": 0}}})",
      R"({"ontology": {"imu.calibrated": {"$eq": true}, "imu.frame_id": {"$in": ["a", "b"]}}})",
      R"({"ontology": {"imu.timestamp_ns": {"$geq": 5}, "imu.counter": {"$ex": null}, "imu.stamp": {"$lt": 2.5}}})",
      R"({"ontology": {"imu.temp": {"$lt": 1.5}}})",    // number in the current schema
      R"({"ontology": {"imu.temp": {"$match": "h*"}}})", // string in the older schema
      R"({"ontology": {"ghost.anything.at[0].all": {"$eq": 1}}})",  // a tag without data: not checked
      R"({"ontology": {"imu.acc.x": {"$in": []}}})",
  };
  for (const char* text : accepted) {
    auto q = Parse(text);
    EXPECT_TRUE(q.ok()) << text << " -> " << q.status().ToString();
  }
}

TEST(QueryParserTest, BuildsTheAst) {
  QASSERT_OK_AND_ASSIGN(auto q, Parse(R"({
      "sequence": {"name": {"$eq": "s"}, "user_metadata": {"a.**.b": {"$eq": 1}}},
      "topic": {"name": {"$in": ["/x/y", "z"]}, "created_at_ns": {"$gt": 5}},
      "ontology": {"imu.acc.x": {"$gt": 1.5}, "gps.lat": {"$lt": 3}, "imu.poses[2].w[?]": {"$eq": 0}}})"));
  ASSERT_EQ(q.catalog.sequence.fields.size(), 1u);
  EXPECT_EQ(q.catalog.sequence.fields[0].field, catalog::EntityField::kName);
  ASSERT_EQ(q.catalog.sequence.metadata.size(), 1u);
  EXPECT_EQ(q.catalog.sequence.metadata[0].key, (std::vector<std::string>{"a", "**", "b"}));
  ASSERT_EQ(q.catalog.topic.fields.size(), 2u);
  // Object keys come in nlohmann::json order (sorted): created_at_ns, then name.
  EXPECT_EQ(q.catalog.topic.fields[0].field, catalog::EntityField::kCreatedAtNs);
  // One leading '/' is stripped from topic.name string arguments (not $match: see below).
  EXPECT_EQ(q.catalog.topic.fields[1].field, catalog::EntityField::kName);
  EXPECT_EQ(q.catalog.topic.fields[1].predicate.args,
            (std::vector<ScalarValue>{std::string("x/y"), std::string("z")}));
  EXPECT_FALSE(q.catalog.topic.fields[1].with_leading_slash);
  ASSERT_TRUE(q.catalog.ontology_tags.has_value());
  EXPECT_EQ(*q.catalog.ontology_tags, (std::vector<std::string>{"gps", "imu"}));
  ASSERT_EQ(q.ontology.tags.size(), 2u);
  const TagConditions* imu = q.ontology.Find("imu");
  ASSERT_NE(imu, nullptr);
  ASSERT_EQ(imu->conditions.size(), 2u);
  EXPECT_EQ(imu->conditions[0].StatsColumn(), "acc.x");
  EXPECT_EQ(imu->conditions[0].predicate.op, PredicateOp::kGt);
  const auto& path = imu->conditions[1].path;
  ASSERT_EQ(path.size(), 4u);
  EXPECT_EQ(path[0], (PathStep{PathStep::Kind::kField, "poses", 0}));
  EXPECT_EQ(path[1], (PathStep{PathStep::Kind::kIndex, "", 2}));
  EXPECT_EQ(path[2], (PathStep{PathStep::Kind::kField, "w", 0}));
  EXPECT_EQ(path[3], (PathStep{PathStep::Kind::kAny, "", 0}));
  EXPECT_EQ(imu->conditions[1].StatsColumn(), "");  // lists have no statistics
}

struct Rejected {
  std::string body;
  std::string message;  // substring of the error
};

// docs/QUERY.md, "Topic names": a topic-name $match pattern is matched against the name as the SDK shows it
// ("/front/imu"): the catalog compares '/' + the stored name (with_leading_slash). Patterns that start with '/' or a
// wildcard go as sent; one that starts with another literal is relative and gets the '/'.
TEST(QueryParserTest, TopicNameMatchIsAgainstTheNameTheSdkShows) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"?camera/left*", "?camera/left*"},  // the SDK suite's pattern: '?' is the '/'
      {"?front/imu", "?front/imu"},
      {"*/imu", "*/imu"},
      {"#*", "#*"},
      {"[/a]front*", "[/a]front*"},
      {"/sensors/imu#", "/sensors/imu#"},  // the SDK docstring's spelling
      {"//sensors/*", "//sensors/*"},      // matches nothing: no name has an empty first segment
      {"/", "/"},
      {"sensors/*", "/sensors/*"},  // relative spellings keep working
      {"car#/[a-z]*", "/car#/[a-z]*"},
      {"front/imu", "/front/imu"},
      {"]x", "/]x"},
      {"\xc3\xa9*", "/\xc3\xa9*"},
  };
  for (const auto& [sent, want] : table) {
    QASSERT_OK_AND_ASSIGN(auto q, Parse(R"({"topic": {"name": {"$match": ")" + sent + R"("}}})"));
    ASSERT_EQ(q.catalog.topic.fields.size(), 1u);
    EXPECT_TRUE(q.catalog.topic.fields[0].with_leading_slash) << sent;
    EXPECT_EQ(q.catalog.topic.fields[0].predicate.args[0], ScalarValue(want)) << sent;
  }
  // Other operators: one leading '/' removed, compared with the stored relative name.
  for (const std::string& op : {"$eq", "$neq", "$lt", "$geq"}) {
    QASSERT_OK_AND_ASSIGN(auto q, Parse(R"({"topic": {"name": {")" + op + R"(": "/sensors/imu"}}})"));
    EXPECT_FALSE(q.catalog.topic.fields[0].with_leading_slash) << op;
    EXPECT_EQ(q.catalog.topic.fields[0].predicate.args[0], ScalarValue(std::string("sensors/imu"))) << op;
  }
  // Sequence names are shown by the SDK as stored (no '/'): nothing is rewritten.
  QASSERT_OK_AND_ASSIGN(auto s, Parse(R"({"sequence": {"name": {"$eq": "/abs"}}})"));
  EXPECT_EQ(s.catalog.sequence.fields[0].predicate.args[0], ScalarValue(std::string("/abs")));
  QASSERT_OK_AND_ASSIGN(auto m, Parse(R"({"sequence": {"name": {"$match": "run_*"}}})"));
  EXPECT_EQ(m.catalog.sequence.fields[0].predicate.args[0], ScalarValue(std::string("run_*")));
  EXPECT_FALSE(m.catalog.sequence.fields[0].with_leading_slash);
}

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// The reference refuses an empty pattern and one longer than 256 bytes, wherever $match appears.
TEST(QueryParserTest, EmptyAndOverlongMatchPatternsAreRefusedNamingTheField) {
  const std::vector<Rejected> table = {
      {R"({"topic": {"name": {"$match": ""}}})", "topic field 'name': $match pattern is empty"},
      {R"({"sequence": {"name": {"$match": ""}}})", "sequence field 'name': $match pattern is empty"},
      {R"({"topic": {"user_metadata": {"a.b": {"$match": ""}}}})", "'a.b': $match pattern is empty"},
      {R"({"ontology": {"imu.frame_id": {"$match": ""}}})", "ontology key 'imu.frame_id': $match pattern is empty"},
      {R"({"topic": {"name": {"$match": ")" + std::string(257, 'a') + R"("}}})",
       "topic field 'name': $match pattern longer than 256 bytes"},
      {R"({"sequence": {"name": {"$match": "*)" + std::string(256, 'a') + R"("}}})",
       "sequence field 'name': $match pattern longer than 256 bytes"},
      // bytes, not characters (as the reference counts): 129 two-byte characters
      {R"({"sequence": {"user_metadata": {"k": {"$match": ")" + Repeat("\xc3\xa9", 129) + R"("}}}})",
       "'k': $match pattern longer than 256 bytes"},
  };
  for (const auto& r : table) {
    auto q = Parse(r.body);
    ASSERT_FALSE(q.ok()) << r.body << " was accepted";
    EXPECT_TRUE(q.status().IsInvalid()) << q.status().ToString();
    EXPECT_NE(q.status().message().find(r.message), std::string::npos)
        << r.body.substr(0, 80) << "\n  got: " << q.status().message() << "\n  want: " << r.message;
  }
  // At the limit: accepted (a topic pattern is measured as sent, before any '/' is added).
  EXPECT_TRUE(Parse(R"({"topic": {"name": {"$match": ")" + std::string(256, 'a') + R"("}}})").ok());
  EXPECT_TRUE(Parse(R"({"topic": {"name": {"$match": "?"}}})").ok());
  EXPECT_TRUE(Parse(R"({"sequence": {"name": {"$match": ")" + Repeat("\xc3\xa9", 128) + R"("}}})").ok());
}

TEST(QueryParserTest, RejectsWithAMessageNamingTheKey) {
  const std::vector<Rejected> table = {
      {R"([])", "body must be a JSON object"},
      {R"({"foo": {}})", "section 'foo': unknown query section"},
      {R"({"sequence": []})", "section 'sequence': must be a JSON object"},
      {R"({"ontology": null})", "section 'ontology': must be a JSON object"},
      {R"({"sequence": {"ontology_tag": {"$eq": "x"}}})", "sequence field 'ontology_tag': unknown sequence field"},
      {R"({"topic": {"nam": {"$eq": "x"}}})", "topic field 'nam': unknown topic field"},
      {R"({"topic": {"name": {"$eq": 1}}})", "topic field 'name': a number value for a string field"},
      {R"({"topic": {"name": {"$eq": "a", "$neq": "b"}}})", "'name': a condition is an object with exactly one"},
      {R"({"topic": {"name": {}}})", "exactly one operator"},
      {R"({"topic": {"name": "a"}})", "exactly one operator"},
      {R"({"topic": {"name": {"$foo": "a"}}})", "unknown operator '$foo'"},
      {R"({"topic": {"name": {"eq": "a"}}})", "unknown operator 'eq'"},
      {R"({"topic": {"created_at_ns": {"$gt": 1.5}}})", "'created_at_ns': created_at_ns takes integers"},
      {R"({"topic": {"created_at_ns": {"$gt": "1"}}})", "a string value for a number field"},
      {R"({"topic": {"name": {"$lt": true}}})", "$lt takes a number or a string"},
      {R"({"topic": {"name": {"$eq": null}}})", "$eq takes a number, a string or a boolean"},
      {R"({"topic": {"name": {"$eq": ["a"]}}})", "$eq takes a number, a string or a boolean"},
      {R"({"topic": {"name": {"$between": ["a"]}}})", "$between takes [min, max]"},
      {R"({"topic": {"name": {"$between": ["a", 1]}}})", "two numbers or two strings"},
      {R"({"topic": {"name": {"$outside": [true, false]}}})", "two numbers or two strings"},
      {R"({"topic": {"name": {"$in": "a"}}})", "$in takes a list"},
      {R"({"topic": {"name": {"$in": [["a"]]}}})", "$in value: not a scalar"},
      {R"({"topic": {"name": {"$match": 3}}})", "$match takes a string"},
      {R"({"topic": {"name": {"$match": "[a"}}})", "'name': $match:"},
      {R"({"topic": {"name": {"$match": "[]"}}})", "'name': $match:"},
      {R"({"topic": {"created_at_ns": {"$match": "1*"}}})", "$match on a number field"},
      {R"({"sequence": {"user_metadata": []}})", "user_metadata': must be an object"},
      {R"({"sequence": {"user_metadata": {"a..b": {"$eq": 1}}}})", "key 'a..b': empty key segment"},
      {R"({"sequence": {"user_metadata": {"": {"$eq": 1}}}})", "empty key segment"},
      {R"({"sequence": {"user_metadata": {"a.": {"$eq": 1}}}})", "empty key segment"},
      {R"({"topic": {"user_metadata": {"a": {"$lt": null}}}})", "$lt takes a number or a string"},
      {R"({"ontology": {"imu": {"$eq": 1}}})", "ontology key 'imu': must be <ontology_tag>.<field>"},
      {R"({"ontology": {".acc": {"$eq": 1}}})", "empty ontology tag"},
      {R"({"ontology": {"imu.": {"$eq": 1}}})", "empty field name"},
      {R"({"ontology": {"imu.acc..x": {"$eq": 1}}})", "empty field name"},
      {R"({"ontology": {"imu.acc.q": {"$eq": 1}}})", "ontology key 'imu.acc.q': unknown field 'q'"},
      {R"({"ontology": {"imu.nope": {"$eq": 1}}})", "unknown field 'nope'"},
      {R"({"ontology": {"gps.acc": {"$eq": 1}}})", "unknown field 'acc'"},
      {R"({"ontology": {"imu.acc": {"$eq": 1}}})", "does not name a scalar field"},
      {R"({"ontology": {"imu.cov": {"$eq": 1}}})", "a list needs [N], [?] or [!]"},
      {R"({"ontology": {"imu.poses[0]": {"$ex": null}}})", "does not name a scalar field"},
      {R"({"ontology": {"imu.acc[0].x": {"$eq": 1}}})", "list specifier [0] on a field that is not a list"},
      {R"({"ontology": {"imu.acc.x[?]": {"$eq": 1}}})", "list specifier [?] on a field that is not a list"},
      {R"({"ontology": {"imu.cov[a]": {"$eq": 1}}})", "bad list specifier"},
      {R"({"ontology": {"imu.cov[]": {"$eq": 1}}})", "empty list specifier"},
      {R"({"ontology": {"imu.cov[-1]": {"$eq": 1}}})", "bad list specifier"},
      {R"({"ontology": {"imu.cov[0": {"$eq": 1}}})", "unclosed '['"},
      {R"({"ontology": {"imu.cov[0]x": {"$eq": 1}}})", "unexpected 'x'"},
      {R"({"ontology": {"imu.cov]": {"$eq": 1}}})", "unexpected ']'"},
      {R"({"ontology": {"imu.cov[99999999999]": {"$eq": 1}}})", "list index too large"},
      {R"({"ontology": {"imu.[0]": {"$eq": 1}}})", "empty field name"},
      {R"({"ontology": {"imu.acc.x": {"$gt": "a"}}})", "'imu.acc.x': a string value for a number field"},
      {R"({"ontology": {"imu.acc.x": {"$in": [1, "a"]}}})", "a string value for a number field"},
      {R"({"ontology": {"imu.acc.x": {"$match": "1*"}}})", "$match on a number field"},
      {R"({"ontology": {"imu.calibrated": {"$between": [1, 2]}}})", "$between on a bool field"},
      {R"({"ontology": {"imu.calibrated": {"$eq": 1}}})", "a number value for a bool field"},
      {R"({"ontology": {"imu.frame_id": {"$gt": 1}}})", "a number value for a string field"},
      {R"({"ontology": {"imu.seq": {"$eq": true}}})", "a bool value for a number field"},
      {R"({"ontology": {"imu.blob": {"$eq": "a"}}})", "field of type binary is not queryable"},
      {R"({"ontology": {"imu.acc.x": {"$gt": 18446744073709551615}}})", "out of the int64 range"},
      {R"({"ontology": {"imu.acc.x": 1}})", "exactly one operator"},
  };
  for (const auto& r : table) {
    auto q = Parse(r.body);
    ASSERT_FALSE(q.ok()) << r.body << " was accepted";
    EXPECT_TRUE(q.status().IsInvalid()) << r.body << " -> " << q.status().ToString();
    EXPECT_NE(q.status().message().find(r.message), std::string::npos)
        << r.body << "\n  got: " << q.status().message() << "\n  want: " << r.message;
  }
}

TEST(QueryParserTest, Limits) {
  std::string in = R"({"ontology": {"imu.seq": {"$in": [)";
  for (int i = 0; i < kMaxInValues; ++i) in += (i ? "," : "") + std::to_string(i);
  EXPECT_TRUE(Parse(in + "]}}}").ok());
  auto over = Parse(in + ",1]}}}");
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.status().message().find("at most 10000 values"), std::string::npos);

  const std::string pattern(kMaxMatchPatternBytes, 'a');
  EXPECT_TRUE(Parse(R"({"topic": {"name": {"$match": ")" + pattern + R"("}}})").ok());
  auto long_pattern = Parse(R"({"topic": {"name": {"$match": ")" + pattern + R"(a"}}})");
  ASSERT_FALSE(long_pattern.ok());
  EXPECT_NE(long_pattern.status().message().find("longer than 256 bytes"), std::string::npos);

  std::string key = "a";
  for (int i = 1; i < kMaxKeySegments; ++i) key += ".a";
  EXPECT_TRUE(Parse(R"({"topic": {"user_metadata": {")" + key + R"(": {"$ex": null}}}})").ok());
  auto deep_key = Parse(R"({"topic": {"user_metadata": {")" + key + R"(.a": {"$ex": null}}}})");
  ASSERT_FALSE(deep_key.ok());
  EXPECT_NE(deep_key.status().message().find("more than 64 segments"), std::string::npos);
  std::string okey = "imu.cov";
  for (int i = 0; i < kMaxKeySegments; ++i) okey += "[0]";
  auto deep_okey = Parse(R"({"ontology": {")" + okey + R"(": {"$ex": null}}})");
  ASSERT_FALSE(deep_okey.ok());
  EXPECT_NE(deep_okey.status().message().find("more than 64 segments"), std::string::npos);

  std::string many = R"({"sequence": {"user_metadata": {)";
  for (int i = 0; i < kMaxConditions; ++i) many += (i ? "," : "") + ("\"k" + std::to_string(i) + "\": {\"$ex\": 1}");
  EXPECT_TRUE(Parse(many + "}}}").ok());
  auto too_many = Parse(many + R"(}, "name": {"$eq": "x"}}})");
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.status().message().find("more than 256 conditions"), std::string::npos);
}

TEST(QueryParserTest, HostileJsonNeverCrashes) {
  // 100k levels of nesting where a scalar is expected, and as a whole section.
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto a = Parse(R"({"topic": {"name": {"$eq": )" + deep + "}}}");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("$eq takes a number"), std::string::npos);
  auto b = Parse(R"({"ontology": {"imu.acc.x": {"$in": )" + deep + "}}}");
  ASSERT_FALSE(b.ok());
  std::string deep_obj;
  for (int i = 0; i < 50000; ++i) deep_obj += R"({"a":)";
  deep_obj += "1" + std::string(50000, '}');
  EXPECT_FALSE(Parse(R"({"sequence": {"user_metadata": )" + deep_obj + "}}").ok());
  EXPECT_FALSE(Parse(R"({"ontology": )" + deep_obj + "}").ok());
  // Unicode keys are quoted back; control characters are escaped; long keys are shortened.
  auto u = Parse(R"({"ontology": {"imu.ünïcødé😀": {"$eq": 1}}})");
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.status().message().find("ünïcødé😀"), std::string::npos) << u.status().message();
  auto c = Parse(R"({"ontology": {"imu.a\u0001b": {"$eq": 1}}})");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("a\\x01b"), std::string::npos) << c.status().message();
  auto l = Parse(R"({"ontology": {"imu.)" + std::string(3000, 'x') + R"(": {"$eq": 1}}})");
  ASSERT_FALSE(l.ok());
  EXPECT_LT(l.status().message().size(), 600u);
  // Non-finite numbers cannot come from JSON text (1e400 does not parse) but are refused if they get here.
  EXPECT_TRUE(Json::parse(R"({"a": 1e400})", nullptr, false).is_discarded());
  Json inf;
  inf["ontology"]["imu.acc.x"]["$gt"] = std::numeric_limits<double>::infinity();
  auto i = ParseQuery(inf, Lookup());
  ASSERT_FALSE(i.ok());
  EXPECT_NE(i.status().message().find("out of range"), std::string::npos) << i.status().message();
  // Numbers of every shape.
  EXPECT_TRUE(Parse(R"({"ontology": {"imu.acc.x": {"$between": [-9223372036854775808, 9223372036854775807]}}})").ok());
  EXPECT_TRUE(Parse(R"({"ontology": {"imu.acc.x": {"$eq": 1e308}}})").ok());
  EXPECT_TRUE(Parse(R"({"ontology": {"imu.acc.x": {"$eq": 123456789012345678901234567890}}})").ok());  // a double
  EXPECT_TRUE(Parse(R"({"ontology": {"imu.acc.x": {"$eq": -0.0}}})").ok());
}

TEST(QueryParserTest, IntegersBeyond64BitsAreRefusedNamingTheKey) {
  auto strict = [](const std::string& text) -> arrow::Result<QueryRequest> {
    ARROW_ASSIGN_OR_RAISE(auto j, ParseRequestJson(text, "body"));
    return ParseQuery(j, Lookup());
  };
  for (const auto& [body, key] : std::vector<std::pair<std::string, std::string>>{
           {R"({"sequence": {"user_metadata": {"n": {"$eq": 1180591620717411303424}}}})", "'n'"},
           {R"({"topic": {"created_at_ns": {"$in": [1, -1180591620717411303424]}}})", "'created_at_ns'"},
           {R"({"ontology": {"imu.acc.x": {"$between": [0, 18446744073709551616]}}})", "'imu.acc.x'"},
           {R"({"ontology": {"imu.acc.x": {"$lt": 18446744073709551615}}})", "'imu.acc.x'"}}) {
    auto q = strict(body);
    ASSERT_FALSE(q.ok()) << body;
    EXPECT_NE(q.status().message().find("out of the int64 range"), std::string::npos) << q.status().message();
    EXPECT_NE(q.status().message().find(key), std::string::npos) << q.status().message();
  }
  EXPECT_TRUE(strict(R"({"ontology": {"imu.acc.x": {"$lt": 1.1805916207174113e21}}})").ok());  // a float literal
  EXPECT_TRUE(strict(R"({"ontology": {"imu.acc.x": {"$lt": 1E3}}})").ok());
  EXPECT_TRUE(strict(R"({"ontology": {"imu.acc.x": {"$lt": -9223372036854775808}}})").ok());
  EXPECT_FALSE(ParseRequestJson("[1]", "body").ok());
  EXPECT_FALSE(ParseRequestJson("{\"a\": }", "body").ok());
  EXPECT_FALSE(ParseRequestJson("{\"a\": \"\xff\"}", "body").ok());  // invalid UTF-8
  auto dt = ParseRequestJson(R"({"locator": "a/b", "clustering_dt_ns": 1180591620717411303424})", "body");
  ASSERT_TRUE(dt.ok());
  EXPECT_TRUE(IsIntegerOverflow((*dt)["clustering_dt_ns"]));
  auto c = ParseClusterize(*dt, Lookup());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("clustering_dt_ns"), std::string::npos) << c.status().message();
}

TEST(QueryParserTest, Clusterize) {
  auto parse = [](const std::string& text) { return ParseClusterize(Json::parse(text), Lookup()); };
  QASSERT_OK_AND_ASSIGN(auto c, parse(R"({"locator": "run_1/sensors/imu", "clustering_dt_ns": 5,
      "ontology": {"imu.acc.x": {"$gt": 1}, "gps.lat": {"$lt": 2}}, "timestamp_range": {"start_ns": 1, "end_ns": 1}})"));
  EXPECT_EQ(c.sequence, "run_1");
  EXPECT_EQ(c.topic, "sensors/imu");
  EXPECT_EQ(c.clustering_dt_ns, 5);
  EXPECT_EQ(c.ontology.tags.size(), 2u);
  ASSERT_TRUE(c.ts_range.has_value());
  EXPECT_EQ(c.ts_range->start_ns, 1);
  QASSERT_OK_AND_ASSIGN(auto d, parse(R"({"locator": "/run_1/imu/", "clustering_dt_ns": 0, "ontology": null,
                                          "timestamp_range": null})"));
  EXPECT_EQ(d.topic, "imu");
  EXPECT_EQ(d.clustering_dt_ns, 0);
  EXPECT_FALSE(d.ts_range.has_value());

  const std::vector<Rejected> table = {
      {R"({"clustering_dt_ns": 0})", "'locator'"},
      {R"({"locator": "run_1"})", "locator"},
      {R"({"locator": 3})", "'locator'"},
      {R"({"locator": "a/b", "clustering_dt_ns": -1})", "'clustering_dt_ns' must be an integer >= 0"},
      {R"({"locator": "a/b", "clustering_dt_ns": 1.5})", "clustering_dt_ns"},
      {R"({"locator": "a/b"})", "missing field 'clustering_dt_ns'"},
      {R"({"locator": "a/b", "clustering_dt_ns": null})", "missing field 'clustering_dt_ns'"},
      {R"({"locator": "a/b", "clustering_dt_ns": 0, "ontology": []})", "ontology"},
      {R"({"locator": "a/b", "clustering_dt_ns": 0, "ontology": {"imu.acc.q": {"$gt": 1}}})", "unknown field 'q'"},
      {R"({"locator": "a/b", "clustering_dt_ns": 0, "timestamp_range": {"start_ns": 2, "end_ns": 1}})", "start_ns (2) is after end_ns (1)"},
      {R"({"locator": "a/b", "clustering_dt_ns": 0, "timestamp_range": {"start_ns": 2}})", "end_ns"},
      {R"({"locator": "a/b", "clustering_dt_ns": 0, "timestamp_range": [1, 2]})", "timestamp_range"},
  };
  for (const auto& r : table) {
    auto q = parse(r.body);
    ASSERT_FALSE(q.ok()) << r.body;
    EXPECT_TRUE(q.status().IsInvalid()) << r.body << " -> " << q.status().ToString();
    EXPECT_NE(q.status().message().find(r.message), std::string::npos) << r.body << " -> " << q.status().message();
  }
}

TEST(QueryParserTest, Intersect) {
  auto parse = [](const std::string& text) { return ParseIntersect(Json::parse(text), Lookup()); };
  QASSERT_OK_AND_ASSIGN(auto i, parse(R"({"topics": [{"locator": "a/b", "clustering_dt_ns": 1, "ontology": {}},
      {"locator": "a/c", "clustering_dt_ns": 2, "ontology": {"imu.acc.x": {"$gt": 0}}}], "intersect_dt_ns": 7})"));
  ASSERT_EQ(i.topics.size(), 2u);
  EXPECT_EQ(i.topics[1].clustering_dt_ns, 2);
  EXPECT_EQ(i.intersect_dt_ns, 7);
  QASSERT_OK_AND_ASSIGN(auto e, parse(R"({"topics": [], "intersect_dt_ns": 0})"));
  EXPECT_TRUE(e.topics.empty());

  auto bad = parse(R"({"topics": [{"locator": "a/b", "clustering_dt_ns": 0}, {"locator": "a/c", "clustering_dt_ns": -3}],
                       "intersect_dt_ns": 0})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("topics[1]"), std::string::npos) << bad.status().message();
  EXPECT_FALSE(parse(R"({"topics": {}})").ok());
  EXPECT_FALSE(parse(R"({"topics": [1]})").ok());
  EXPECT_FALSE(parse(R"({"topics": [], "intersect_dt_ns": -1})").ok());
  EXPECT_FALSE(parse(R"({"topics": []})").ok());  // intersect_dt_ns is required
  std::string many = R"({"topics": [)";
  for (int k = 0; k <= kMaxIntersectTopics; ++k) {
    many += std::string(k ? "," : "") + R"({"locator": "a/b", "clustering_dt_ns": 0})";
  }
  auto too_many = parse(many + R"(], "intersect_dt_ns": 0})");
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.status().message().find("more than 1024 topics"), std::string::npos);
}

}  // namespace
}  // namespace mosaico::query
