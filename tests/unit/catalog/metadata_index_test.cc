// The SQLite catalog's user-metadata index (catalog/metadata_paths.h, catalog/sqlite/metadata_index.h): path
// encoding and key matching; FindTopics gives the same result with and without the index on random documents and
// predicates; the query plan starts from the index instead of scanning every sequence; the migration fills the
// index of an existing catalog; deleting entities removes their rows; exact candidates (only the unindexed ones
// are matched on their JSON) and selective topic metadata driving before the ontology_tag index.
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

#include "catalog/find_topics_test_util.h"
#include "mosaico/catalog/metadata_paths.h"
#include "mosaico/catalog/sqlite/filter_sql.h"
#include "mosaico/catalog/sqlite/metadata_index.h"
#include "mosaico/catalog/sqlite/query_functions.h"

namespace mosaico::catalog::testing {
namespace {

TEST(MetadataPathsTest, EncodingIsUnambiguous) {
  EXPECT_EQ(EncodePath({"a", "b"}), "a.b");
  EXPECT_EQ(EncodePath({"a.b"}), "a\\.b");
  EXPECT_EQ(EncodePath({"a\\", "b"}), "a\\\\.b");
  EXPECT_EQ(DecodePath("a\\.b"), (std::vector<std::string>{"a.b"}));
  EXPECT_EQ(DecodePath("a\\\\.b"), (std::vector<std::string>{"a\\", "b"}));
  EXPECT_EQ(DecodePath(""), (std::vector<std::string>{""}));
  EXPECT_EQ(DecodePath("a..b"), (std::vector<std::string>{"a", "", "b"}));
}

TEST(MetadataPathsTest, KeysMatchPathsLikeTheMatcher) {
  using V = std::vector<std::string>;
  EXPECT_TRUE(KeyMatchesPath({"a", "b"}, V{"a", "b"}));
  EXPECT_FALSE(KeyMatchesPath({"a", "b"}, V{"a"}));
  EXPECT_TRUE(KeyMatchesPath({"*", "b"}, V{"x", "b"}));
  EXPECT_FALSE(KeyMatchesPath({"*", "b"}, V{"b"}));
  EXPECT_TRUE(KeyMatchesPath({"**", "b"}, V{"b"}));
  EXPECT_TRUE(KeyMatchesPath({"**", "b"}, V{"x", "y", "b"}));
  EXPECT_FALSE(KeyMatchesPath({"**", "b"}, V{"b", "y"}));
  EXPECT_TRUE(KeyMatchesPath({"a", "**"}, V{"a"}));
  EXPECT_TRUE(KeyMatchesPath({"a", "**"}, V{"a", "b", "c"}));
  EXPECT_TRUE(KeyMatchesPath({"**", "b", "**"}, V{"a", "b", "c"}));
  EXPECT_TRUE(KeyMatchesPath({"*"}, V{""}));
  EXPECT_TRUE(KeyReachesRoot({"**", "**"}));
  EXPECT_FALSE(KeyReachesRoot({"**", "a"}));
}

TEST(MetadataPathsTest, FlattenSkipsNullsArraysAndEarlierDuplicates) {
  std::vector<MetadataEntry> out;
  ASSERT_TRUE(FlattenMetadata(R"({"a":{"b":1,"n":null},"l":[{"x":1}],"d":1,"d":"two","f":1.5})", &out));
  std::vector<std::string> paths;
  for (const MetadataEntry& e : out) paths.push_back(e.path + ":" + std::to_string(static_cast<int>(e.kind)));
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths, (std::vector<std::string>{"a.b:2", "a:4", "d:3", "f:2", "l:4"}));
  EXPECT_FALSE(FlattenMetadata("[1]", &out));
  EXPECT_FALSE(FlattenMetadata("{", &out));
  std::string big = "{";
  for (uint32_t i = 0; i < kMaxIndexedNodes; ++i) big += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
  EXPECT_FALSE(FlattenMetadata(big + "}", &out));
}

// ------------------------------------------------------------------------------ SQLite: same results

class MetadataIndexTest : public FindTopicsFixture {
 protected:
  void TearDown() override {
    sqlite::SetUseMetadataIndex(true);
    FindTopicsFixture::TearDown();
  }
  Names FindWith(bool index, const TopicFilter& f) {
    sqlite::SetUseMetadataIndex(index);
    Names out = Find(f);
    sqlite::SetUseMetadataIndex(true);
    return out;
  }
  // EXPLAIN QUERY PLAN of the SQL FindTopics would run, through a second connection to the same file.
  std::string Plan(const TopicFilter& f) {
    auto built = sqlite::BuildFindTopicsSql(f);
    EXPECT_TRUE(built.ok()) << built.status().ToString();
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
    EXPECT_TRUE(sqlite::RegisterQueryFunctions(db).ok());
    sqlite3_stmt* stmt = nullptr;
    const std::string sql = "EXPLAIN QUERY PLAN " + built->sql;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    std::string plan;
    while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      plan += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
      plan += "\n";
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return plan;
  }
  void Exec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }
  int64_t Count(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    int64_t n = -1;
    if (sqlite3_step(stmt) == SQLITE_ROW) n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
  }
};

// Random documents with the hard cases (ints beyond 2^53 next to floats, dotted and escaped member names,
// duplicates, nulls, arrays, NaN-free doubles, unicode escapes, empty keys) and random predicates over them:
// the index must never change a result.
TEST_F(MetadataIndexTest, SameResultsWithAndWithoutTheIndex) {
  std::mt19937_64 rnd(12);
  const std::vector<std::string> names = {"a", "b", "c.d", "e\\\\f", "", "x"};
  const std::vector<std::string> scalars = {"1", "2", "2.0", "2.5", "-3", "9007199254740993", "9007199254740992.0",
                                            "true", "false", "null", "\"s\"", "\"t\"", "\"s.t\"", "\"\\u0073\"",
                                            "[1,2]", "{}", "\"sa\"", "\"\""};
  std::function<std::string(int)> value = [&](int depth) -> std::string {
    if (depth < 3 && rnd() % 3 == 0) {
      std::string obj = "{";
      const int n = static_cast<int>(rnd() % 4);
      for (int i = 0; i < n; ++i) {
        if (i) obj += ",";
        obj += "\"" + names[rnd() % names.size()] + "\":" + value(depth + 1);
      }
      return obj + "}";
    }
    return scalars[rnd() % scalars.size()];
  };
  for (int i = 0; i < 60; ++i) {
    std::string doc = value(0);
    if (doc.empty() || doc[0] != '{') doc = "{\"a\":" + doc + "}";
    Seq("s" + std::to_string(i), doc);
    std::string topic_doc = value(0);
    if (topic_doc[0] != '{') topic_doc = "{\"b\":" + topic_doc + "}";
    Topic("s" + std::to_string(i), "t", "imu", topic_doc);
  }
  const std::vector<std::vector<std::string>> keys = {{"a"}, {"b"}, {"a", "b"}, {"*"}, {"**", "b"}, {"**"},
                                                      {"a", "*"}, {"*", "*"}, {"c.d"}, {"e\\f"}, {"x", "**"}};
  const std::vector<ScalarValue> args = {int64_t{1}, int64_t{2}, 2.0, 2.5, int64_t{-3}, int64_t{9007199254740993},
                                         9007199254740992.0, true, false, S("s"), S("t"), S("s.t"), S("")};
  const std::vector<Op> ops = {Op::kEq, Op::kNeq, Op::kLt, Op::kLeq, Op::kGt, Op::kGeq, Op::kBetween,
                               Op::kOutside, Op::kIn, Op::kMatch, Op::kExists, Op::kNotExists};
  int non_empty = 0;
  for (int q = 0; q < 400; ++q) {
    TopicFilter f;
    EntityFilter& side = rnd() % 2 ? f.sequence : f.topic;
    const int n = 1 + static_cast<int>(rnd() % 2);
    for (int k = 0; k < n; ++k) {
      MetadataPredicate p;
      p.key = keys[rnd() % keys.size()];
      p.predicate.op = ops[rnd() % ops.size()];
      switch (p.predicate.op) {
        case Op::kExists:
        case Op::kNotExists:
          break;
        case Op::kBetween:
        case Op::kOutside:
          p.predicate.args = {args[rnd() % args.size()], args[rnd() % args.size()]};
          break;
        case Op::kIn:
          for (int j = static_cast<int>(rnd() % 4); j >= 0; --j) p.predicate.args.push_back(args[rnd() % args.size()]);
          break;
        case Op::kMatch:
          p.predicate.args = {S(rnd() % 2 ? "s*" : "*")};
          break;
        default:
          p.predicate.args = {args[rnd() % args.size()]};
      }
      side.metadata.push_back(std::move(p));
    }
    const Names with = FindWith(true, f);
    const Names without = FindWith(false, f);
    ASSERT_EQ(with, without) << "query " << q;
    if (!with.empty()) ++non_empty;
  }
  EXPECT_GT(non_empty, 40);  // the queries do select something
}

TEST_F(MetadataIndexTest, PlanStartsFromTheIndex) {
  for (int i = 0; i < 30; ++i) {
    Seq("s" + std::to_string(i), R"({"robot":{"id":"r-)" + std::to_string(i) + R"("}})");
    Topic("s" + std::to_string(i), "t", "imu", R"({"rate":)" + std::to_string(i) + "}");
  }
  const TopicFilter by_sequence = SeqMeta("robot.id", P(Op::kEq, {S("r-7")}));
  const TopicFilter by_topic = TopicMeta("rate", P(Op::kBetween, {int64_t{3}, int64_t{4}}));
  EXPECT_EQ(Find(by_sequence), (Names{"s7/t"}));
  EXPECT_EQ(Find(by_topic), (Names{"s3/t", "s4/t"}));
  const std::string seq_plan = Plan(by_sequence);
  EXPECT_NE(seq_plan.find("sequence_metadata_by_value"), std::string::npos) << seq_plan;
  EXPECT_EQ(seq_plan.find("SCAN q"), std::string::npos) << seq_plan;
  const std::string topic_plan = Plan(by_topic);
  EXPECT_NE(topic_plan.find("topic_metadata_by_value"), std::string::npos) << topic_plan;
  EXPECT_EQ(topic_plan.find("SCAN t"), std::string::npos) << topic_plan;
  sqlite::SetUseMetadataIndex(false);  // the plan before the index: every sequence is read
  EXPECT_NE(Plan(by_sequence).find("SCAN q"), std::string::npos);
}

TEST_F(MetadataIndexTest, MigrationFillsAnExistingCatalogAndDeletesCascade) {
  for (int i = 0; i < 20; ++i) {
    Seq("s" + std::to_string(i), R"({"n":)" + std::to_string(i) + R"(,"site":"turin"})");
    Topic("s" + std::to_string(i), "t", "imu", R"({"calibrated":true})");
  }
  const int64_t seq_rows = Count("SELECT count(*) FROM sequence_metadata_index");
  const int64_t topic_rows = Count("SELECT count(*) FROM topic_metadata_index");
  EXPECT_EQ(seq_rows, 40);
  EXPECT_EQ(topic_rows, 20);
  // Back to a catalog of schema version 5, as an older mosaicod left it; reopening migrates and fills it.
  catalog_.reset();
  Exec("DROP TABLE sequence_metadata_index; DROP TABLE topic_metadata_index; DROP TABLE metadata_paths; "
       "DELETE FROM schema_migrations WHERE version >= 6");  // later migrations re-run (IF NOT EXISTS)
  auto reopened = OpenCatalog(db_path());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  catalog_ = *reopened;
  EXPECT_EQ(Count("SELECT count(*) FROM sequence_metadata_index"), seq_rows);
  EXPECT_EQ(Count("SELECT count(*) FROM topic_metadata_index"), topic_rows);
  EXPECT_EQ(Find(SeqMeta("n", P(Op::kGeq, {int64_t{18}}))), (Names{"s18/t", "s19/t"}));
  MOSAICO_ASSERT_OK(catalog_->DeleteSequence("s18"));
  EXPECT_EQ(Count("SELECT count(*) FROM sequence_metadata_index"), seq_rows - 2);
  EXPECT_EQ(Count("SELECT count(*) FROM topic_metadata_index"), topic_rows - 1);
  EXPECT_EQ(Find(SeqMeta("n", P(Op::kGeq, {int64_t{18}}))), (Names{"s19/t"}));
}

TEST_F(MetadataIndexTest, UnindexableMetadataIsAlwaysACandidate) {
  std::string big = "{";
  for (uint32_t i = 0; i < kMaxIndexedNodes; ++i) big += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
  Seq("big", big + ",\"site\":\"lab\"}");
  Topic("big", "t");
  Seq("small", R"({"site":"lab"})");
  Topic("small", "t");
  EXPECT_EQ(Find(SeqMeta("site", P(Op::kEq, {S("lab")}))), (Names{"big/t", "small/t"}));
  EXPECT_EQ(Find(SeqMeta("k5", P(Op::kEq, {int64_t{1}}))), (Names{"big/t"}));
}

// ------------------------------------------------------------------------------ exact candidates

// Exact: the index rows alone decide (every predicate served, each by a condition that agrees with core::Holds);
// otherwise the candidates are a superset and MetadataMatcher decides on each.
bool Exact(const std::vector<std::pair<std::string, ScalarPredicate>>& predicates) {
  std::vector<MetadataPredicate> metadata;
  for (const auto& [key, p] : predicates) metadata.push_back({Key(key), p});
  std::vector<sqlite::SqlParam> params;
  std::vector<std::unique_ptr<std::vector<std::string>>> keys;
  auto c = sqlite::MetadataCandidatesSql(sqlite::MetadataOwner::kSequence, metadata, &params, &keys);
  return c.has_value() && c->exact;
}

TEST(MetadataCandidatesTest, ExactOnlyWhereTheIndexDecidesAlone) {
  const double nan = std::nan("");
  std::vector<ScalarValue> long_list;
  for (int64_t i = 0; i < 65; ++i) long_list.emplace_back(i);
  // Exact: equalities and lists of any kind, inclusive numeric bounds, any string bound, $ex, wildcard keys,
  // several of those together, a root `$ex` (always true).
  EXPECT_TRUE(Exact({{"a", P(Op::kEq, {S("x")})}}));
  EXPECT_TRUE(Exact({{"a", P(Op::kEq, {true})}}));
  EXPECT_TRUE(Exact({{"a", P(Op::kEq, {int64_t{2}})}}));
  EXPECT_TRUE(Exact({{"a", P(Op::kEq, {2.5})}}));
  EXPECT_TRUE(Exact({{"a", P(Op::kEq, {nan})}}));
  EXPECT_TRUE(Exact({{"a", P(Op::kIn, {S("x"), int64_t{1}, true, nan})}}));
  EXPECT_TRUE(Exact({{"a", P(Op::kIn, {})}}));
  EXPECT_TRUE(Exact({{"a", P(Op::kGeq, {int64_t{3}})}}));
  EXPECT_TRUE(Exact({{"a", P(Op::kLeq, {2.5})}}));
  EXPECT_TRUE(Exact({{"a", P(Op::kBetween, {int64_t{1}, 2.5})}}));
  EXPECT_TRUE(Exact({{"a", P(Op::kBetween, {S("a"), S("b")})}}));
  EXPECT_TRUE(Exact({{"a", P(Op::kGt, {S("m")})}}));
  EXPECT_TRUE(Exact({{"a", P(Op::kLt, {S("m")})}}));
  EXPECT_TRUE(Exact({{"a", P(Op::kExists)}}));
  EXPECT_TRUE(Exact({{"a.*.b", P(Op::kEq, {int64_t{1}})}}));
  EXPECT_TRUE(Exact({{"**", P(Op::kEq, {S("x")})}}));
  EXPECT_TRUE(Exact({{"a", P(Op::kEq, {S("x")})}, {"b", P(Op::kBetween, {int64_t{1}, int64_t{2}})}}));
  EXPECT_TRUE(Exact({{"**", P(Op::kExists)}, {"a", P(Op::kEq, {int64_t{1}})}}));
  // Not exact: strict numeric bounds (the index compares them inclusively), $neq, $outside, $match (a prefix
  // range), $nex (not served), a null or a long list, mixed-kind bounds, and a predicate left out of the
  // intersection (a boolean or path-only one beside an equality).
  EXPECT_FALSE(Exact({{"a", P(Op::kGt, {int64_t{3}})}}));
  EXPECT_FALSE(Exact({{"a", P(Op::kLt, {2.5})}}));
  EXPECT_FALSE(Exact({{"a", P(Op::kNeq, {int64_t{1}})}}));
  EXPECT_FALSE(Exact({{"a", P(Op::kOutside, {int64_t{1}, int64_t{2}})}}));
  EXPECT_FALSE(Exact({{"a", P(Op::kMatch, {S("x*")})}}));
  EXPECT_FALSE(Exact({{"a", P(Op::kNotExists)}}));
  EXPECT_FALSE(Exact({{"a", P(Op::kEq, {int64_t{1}})}, {"b", P(Op::kNotExists)}}));
  EXPECT_FALSE(Exact({{"a", P(Op::kEq, {ScalarValue()})}}));
  EXPECT_FALSE(Exact({{"a", P(Op::kIn, long_list)}}));
  EXPECT_FALSE(Exact({{"a", P(Op::kBetween, {int64_t{1}, S("x")})}}));
  EXPECT_FALSE(Exact({{"a", P(Op::kEq, {int64_t{1}})}, {"b", P(Op::kEq, {true})}}));
  EXPECT_FALSE(Exact({{"a", P(Op::kEq, {int64_t{1}})}, {"c", P(Op::kExists)}}));
}

// With exact candidates only the unindexed (marked) entities are matched on their JSON: a candidate's JSON is not
// even read (here: replaced behind the catalog's back by text that is not an object, which the matcher rejects),
// while a marked entity is still matched, both ways.
TEST_F(MetadataIndexTest, ExactCandidatesReadOnlyUnindexedJson) {
  std::string big = "{";
  for (uint32_t i = 0; i < kMaxIndexedNodes; ++i) big += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
  Seq("big", big + ",\"site\":\"lab\"}");
  Topic("big", "t");
  Seq("lab1", R"({"site":"lab","n":5})");
  Topic("lab1", "t");
  Seq("turin", R"({"site":"turin","n":7})");
  Topic("turin", "t");
  EXPECT_EQ(Find(SeqMeta("site", P(Op::kEq, {S("lab")}))), (Names{"big/t", "lab1/t"}));
  EXPECT_EQ(Find(SeqMeta("site", P(Op::kEq, {S("turin")}))), (Names{"turin/t"}));
  EXPECT_EQ(Find(SeqMeta("n", P(Op::kGeq, {int64_t{5}}))), (Names{"lab1/t", "turin/t"}));
  // Exact: the marked sequences are matched inside the candidate set, the join never reads q.user_metadata.
  auto built = sqlite::BuildFindTopicsSql(SeqMeta("site", P(Op::kEq, {S("lab")})));
  ASSERT_TRUE(built.ok());
  EXPECT_NE(built->sql.find("UNION ALL SELECT id FROM sequences WHERE id IN (SELECT sequence_id FROM "
                            "sequence_metadata_index WHERE path_id = 0 AND kind = 0) AND "
                            "mosaico_meta(user_metadata, ?)"),
            std::string::npos)
      << built->sql;
  EXPECT_EQ(built->sql.find("q.user_metadata"), std::string::npos) << built->sql;
  built = sqlite::BuildFindTopicsSql(SeqMeta("n", P(Op::kGt, {int64_t{5}})));  // a superset: matched per row
  ASSERT_TRUE(built.ok());
  EXPECT_NE(built->sql.find("mosaico_meta(q.user_metadata, ?)"), std::string::npos) << built->sql;
  EXPECT_EQ(built->sql.find("AND mosaico_meta(user_metadata"), std::string::npos) << built->sql;

  Exec("UPDATE sequences SET user_metadata = '[]' WHERE name IN ('lab1', 'turin')");
  EXPECT_EQ(Find(SeqMeta("site", P(Op::kEq, {S("lab")}))), (Names{"big/t", "lab1/t"}));  // exact: index only
  EXPECT_EQ(Find(SeqMeta("n", P(Op::kGeq, {int64_t{5}}))), (Names{"lab1/t", "turin/t"}));
  auto inexact = catalog_->FindTopics(SeqMeta("n", P(Op::kGt, {int64_t{5}})));  // the matcher reads the JSON
  EXPECT_FALSE(inexact.ok());
}

// Topics driving the join: a metadata equality's candidates drive it (rowid lookups, the tag checked on the row),
// a range's do not (the ontology_tag index drives); the same answers either way and without the index.
TEST_F(MetadataIndexTest, SelectiveTopicMetadataDrivesBeforeTheTagIndex) {
  for (int i = 0; i < 30; ++i) {
    Seq("s" + std::to_string(i));
    Topic("s" + std::to_string(i), "a", i % 2 ? "imu" : "gps", R"({"rate":)" + std::to_string(i % 5) + "}");
    Topic("s" + std::to_string(i), "b", "radar", R"({"rate":3})");
  }
  TopicFilter by_equality = TopicMeta("rate", P(Op::kEq, {int64_t{3}}));
  by_equality.topic.fields.push_back({EntityField::kOntologyTag, P(Op::kEq, {S("imu")})});
  TopicFilter by_range = TopicMeta("rate", P(Op::kGeq, {int64_t{3}}));
  by_range.topic.fields.push_back({EntityField::kOntologyTag, P(Op::kEq, {S("imu")})});
  TopicFilter by_ontology = TopicMeta("rate", P(Op::kEq, {int64_t{3}}));
  by_ontology.ontology_tags = std::vector<std::string>{"imu"};
  const Names expected = {"s13/a", "s23/a", "s3/a"};
  EXPECT_EQ(Find(by_equality), expected);
  EXPECT_EQ(FindWith(false, by_equality), expected);
  EXPECT_EQ(Find(by_ontology), expected);
  EXPECT_EQ(Find(by_range), FindWith(false, by_range));
  EXPECT_EQ(Find(by_range).size(), 6u);
  for (TopicFilter f : {by_equality, by_ontology}) {
    // Schemas asked for: the topic rows are read by rowid.
    std::string plan = Plan(f);
    EXPECT_NE(plan.find("SEARCH t USING INTEGER PRIMARY KEY"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("topics_by_tag_answer"), std::string::npos) << plan;
    // Not asked (a query without an ontology part): exact candidates read the answer's columns from the narrow
    // (id, ...) index (schema 10), never the topic rows.
    f.with_schemas = false;
    EXPECT_EQ(Find(f), expected);
    plan = Plan(f);
    EXPECT_NE(plan.find("SEARCH t USING COVERING INDEX topics_by_id_answer (id=?)"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("SEARCH t USING INTEGER PRIMARY KEY"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("topics_by_tag_answer"), std::string::npos) << plan;
  }
  const std::string range_plan = Plan(by_range);
  EXPECT_NE(range_plan.find("topics_by_tag_answer"), std::string::npos) << range_plan;
}

// A sequence read for its name only comes from the (id, name) index (schema 10), not from the sequences table:
// sequences chosen by exact metadata candidates alone, or selective topic candidates driving the join. Sequences
// with a field condition or a superset of candidates (their JSON matched per row) are read from the table, and so
// are the sequences of topics found by a scan (a rowid lookup of the row before is free). Same answers with and
// without the metadata index, marked (unindexed) sequences included both ways.
TEST_F(MetadataIndexTest, SequenceNamesComeFromTheNarrowIndex) {
  std::string big = "{";
  for (uint32_t i = 0; i < kMaxIndexedNodes; ++i) big += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
  for (int i = 0; i < 20; ++i) {
    Seq("s" + std::to_string(i), R"({"site":")" + std::string(i % 2 ? "lab" : "turin") + R"(","n":)" +
                                     std::to_string(i) + "}");
    Topic("s" + std::to_string(i), "a", i % 3 ? "imu" : "gps", R"({"m":"r)" + std::to_string(i % 4) + R"("})");
  }
  Seq("big_lab", big + R"(,"site":"lab","n":3})");
  Topic("big_lab", "a", "imu", R"({"m":"r1"})");
  Seq("big_turin", big + R"(,"site":"turin","n":30})");
  Topic("big_turin", "a", "gps", R"({"m":"r1"})");
  TopicFilter exact_seq = SeqMeta("site", P(Op::kEq, {S("lab")}));
  exact_seq.topic.fields.push_back({EntityField::kOntologyTag, P(Op::kEq, {S("imu")})});
  const TopicFilter topic_driven = TopicMeta("m", P(Op::kEq, {S("r1")}));
  TopicFilter tag_only;
  tag_only.topic.fields.push_back({EntityField::kOntologyTag, P(Op::kEq, {S("gps")})});
  const TopicFilter inexact_seq = SeqMeta("n", P(Op::kGt, {int64_t{16}}));
  TopicFilter named_seq = SeqMeta("site", P(Op::kEq, {S("lab")}));
  named_seq.sequence.fields.push_back({EntityField::kName, P(Op::kMatch, {S("s1*")})});
  EXPECT_EQ(Find(exact_seq), (Names{"big_lab/a", "s1/a", "s11/a", "s13/a", "s17/a", "s19/a", "s5/a", "s7/a"}));
  EXPECT_EQ(Find(topic_driven), (Names{"big_lab/a", "big_turin/a", "s1/a", "s13/a", "s17/a", "s5/a", "s9/a"}));
  EXPECT_EQ(Find(inexact_seq), (Names{"big_turin/a", "s17/a", "s18/a", "s19/a"}));
  EXPECT_EQ(Find(named_seq), (Names{"s1/a", "s11/a", "s13/a", "s15/a", "s17/a", "s19/a"}));
  for (const TopicFilter& f : {exact_seq, topic_driven, tag_only, inexact_seq, named_seq}) {
    EXPECT_EQ(Find(f), FindWith(false, f));
  }
  for (const TopicFilter& f : {exact_seq, topic_driven}) {
    const std::string plan = Plan(f);
    EXPECT_NE(plan.find("SEARCH q USING COVERING INDEX sequences_by_id_name (id=?)"), std::string::npos) << plan;
  }
  for (const TopicFilter& f : {tag_only, inexact_seq, named_seq}) {
    const std::string plan = Plan(f);
    EXPECT_EQ(plan.find("sequences_by_id_name"), std::string::npos) << plan;
  }
  EXPECT_NE(Plan(tag_only).find("SEARCH q USING INTEGER PRIMARY KEY"), std::string::npos) << Plan(tag_only);
}

}  // namespace
}  // namespace mosaico::catalog::testing

namespace mosaico::catalog::testing {
namespace {

bool Distinct(const std::vector<std::pair<std::string, ScalarPredicate>>& predicates) {
  std::vector<MetadataPredicate> metadata;
  for (const auto& [key, p] : predicates) metadata.push_back({Key(key), p});
  std::vector<sqlite::SqlParam> params;
  std::vector<std::unique_ptr<std::vector<std::string>>> keys;
  auto c = sqlite::MetadataCandidatesSql(sqlite::MetadataOwner::kTopic, metadata, &params, &keys);
  return c.has_value() && c->distinct;
}

// Distinct candidate sets: an equality on a literal key (one index row per owner, path, kind and value), or an
// intersection. Not a list or a range (duplicate JSON keys can give one owner two values), nor a wildcard key.
TEST(MetadataCandidatesTest, DistinctOnlyForAnEqualityOrAnIntersection) {
  EXPECT_TRUE(Distinct({{"a", P(Op::kEq, {S("x")})}}));
  EXPECT_TRUE(Distinct({{"a", P(Op::kEq, {int64_t{2}})}}));
  EXPECT_TRUE(Distinct({{"a", P(Op::kEq, {S("x")})}, {"b", P(Op::kGeq, {int64_t{1}})}}));
  EXPECT_TRUE(Distinct({{"a", P(Op::kIn, {S("x"), S("y")})}, {"b", P(Op::kIn, {S("z")})}}));
  EXPECT_FALSE(Distinct({{"a", P(Op::kIn, {S("x"), S("y")})}}));
  EXPECT_FALSE(Distinct({{"a", P(Op::kGeq, {int64_t{1}})}}));
  EXPECT_FALSE(Distinct({{"a.*", P(Op::kEq, {S("x")})}}));
  EXPECT_FALSE(Distinct({{"a", P(Op::kEq, {true})}}));
  EXPECT_TRUE(Distinct({{"a", P(Op::kEq, {S("x")})}, {"b", P(Op::kEq, {true})}}));  // the boolean left out
}

// Distinct selective candidates drive the join from the FROM clause (no `t.id IN`), their parameters bound before
// the WHERE clause's (a tag and a name condition there); a marked topic still matched on its JSON; a $in list
// stays an `IN`. Same answers as without the index.
TEST_F(MetadataIndexTest, DistinctCandidatesDriveFromTheFromClause) {
  std::string big = "{";
  for (uint32_t i = 0; i < kMaxIndexedNodes; ++i) big += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
  for (int i = 0; i < 20; ++i) {
    Seq("s" + std::to_string(i));
    Topic("s" + std::to_string(i), "a", i % 2 ? "imu" : "gps", R"({"m":"r)" + std::to_string(i % 4) + R"("})");
  }
  Seq("dup");
  Topic("dup", "a", "imu", R"({"m":"r1","m":"r3"})");
  Seq("big");
  Topic("big", "a", "imu", big + R"(,"m":"r1"})");
  TopicFilter eq_tag = TopicMeta("m", P(Op::kEq, {S("r1")}));
  eq_tag.topic.fields.push_back({EntityField::kOntologyTag, P(Op::kEq, {S("imu")})});
  eq_tag.topic.fields.push_back({EntityField::kName, P(Op::kEq, {S("a")})});
  TopicFilter list = TopicMeta("m", P(Op::kIn, {S("r1"), S("r3")}));
  list.ontology_tags = std::vector<std::string>{"imu"};
  const Names expected = {"big/a", "s1/a", "s13/a", "s17/a", "s5/a", "s9/a"};  // dup: its last "m" counts
  EXPECT_EQ(Find(eq_tag), expected);
  EXPECT_EQ(FindWith(false, eq_tag), expected);
  EXPECT_EQ(Find(list), FindWith(false, list));
  EXPECT_EQ(Find(list).size(), 12u);  // 10 odd s<i>, dup once, big
  auto built = sqlite::BuildFindTopicsSql(eq_tag);
  ASSERT_TRUE(built.ok());
  EXPECT_NE(built->sql.find("FROM (SELECT topic_id FROM topic_metadata_index"), std::string::npos) << built->sql;
  EXPECT_EQ(built->sql.find("t.id IN ("), std::string::npos) << built->sql;
  const std::string plan = Plan(eq_tag);
  EXPECT_EQ(plan.find("topics_by_tag_answer"), std::string::npos) << plan;
  // The candidates' rows lead (a compound, each part joined); the only list is the marked topics' NOT IN.
  EXPECT_EQ(plan.find("COMPOUND QUERY"), 0u) << plan;
  EXPECT_EQ(plan.rfind("LIST SUBQUERY", plan.find("value=?")), std::string::npos) << plan;
  built = sqlite::BuildFindTopicsSql(list);
  ASSERT_TRUE(built.ok());
  EXPECT_NE(built->sql.find("t.id IN ("), std::string::npos) << built->sql;
}

}  // namespace
}  // namespace mosaico::catalog::testing
