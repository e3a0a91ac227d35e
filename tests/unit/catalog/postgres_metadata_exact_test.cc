// Exact metadata conditions of PostgreSQL's FindTopics (postgres/pg_metadata_sql.h, "Exactness"): a condition the
// generators mark exact must select precisely the rows MetadataMatcher matches, among the rows the SQL can judge
// (JSONB an object, no marker row); every other condition must at least keep every match. Checked against a real
// server on documents built to tell the forms apart: arrays where our semantics never look (containment's "array
// contains a primitive" rule, JSONPath's lax `.**`), strings against booleans, JSON null, duplicate keys, escapes,
// strings around the 200-character cut of the metadata values table, numbers JSONB keeps exactly and we round. Each
// non-exact form has a document here that it selects and the matcher rejects, so marking it exact fails this test.
// Then FindTopics end to end: rows the exact conditions cannot judge (no JSONB copy, a marker row, not an object)
// are still evaluated by MetadataMatcher. Skipped unless MOSAICOD_TEST_PG_URL is set (catalog_test_util.h).
#include <functional>
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

using Op = PredicateOp;
using Key = std::vector<std::string>;
using Ids = std::set<size_t>;

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

const std::string kY199 = std::string(199, 'y'), kY200 = std::string(200, 'y'), kY250 = std::string(250, 'y');
const std::string kE199 = Repeat("\xc3\xa9", 199);  // 199 characters, 398 bytes

// Stored user_metadata texts, verbatim (not re-serialized: duplicates and escapes stay).
const std::vector<std::string> kDocs = {
    R"({"a":"x"})",
    R"({"a":["x"]})",                 // containment's array rule; `#>` {a,0}; lax JSONPath
    R"({"a":{"b":"x"}})",
    R"({"a":true})",
    R"({"a":"true"})",
    R"({"a":null})",                  // `#>` sees a JSON null, we see nothing
    R"({"a":1})",
    R"({"a":"1"})",
    R"({"a":"y","a":"x"})",           // a duplicated key: its last occurrence
    R"({"a":"x","a":"y"})",
    R"({"a":[{"b":"x"}]})",
    R"({"a":{"b":["x"]}})",
    R"({"a":{"b":{"c":"x"}}})",
    R"({"a":"\u0078"})",
    R"({"a":"\u00e9"})",
    "{\"a\":\"\xc3\xa9\"}",
    R"({"a":"x "})",
    R"({"a":{"0":"x"}})",
    R"({"a":1.00000000000000000001})",  // the double 1.0 for us, not 1 for JSONB
    R"({"a":1.0000000000001})",         // within the widened bounds of 1, not equal to 1
    R"({"a":{"b":null}})",
    R"({"a":{"b":true,"b":"x"}})",
    R"({"a":false})",
    R"({"fw":"1.2.3"})",
    R"({"n":{"fw":"1.2.3"}})",
    R"({"l":[{"fw":"1.2.3"}]})",      // JSONPath's `.**` descends arrays, our "**" does not
    R"({"m":[[{"fw":"1.2.3"}]]})",
    R"({"fw":["1.2.3"]})",
    R"({"fw":true})",
    R"({"fw":"true"})",
    R"({"k":{"fw":{"fw":"1.2.3"}}})",
    "{\"fw\":\"" + kY199 + "\"}",
    "{\"fw\":\"" + kY200 + "\"}",
    "{\"fw\":\"" + kY250 + "\"}",
    "{\"fw\":\"" + kE199 + "\"}",
    R"({"x":{"fw":"1.2.3"},"y":{"q":{"fw":"2"}}})",
    R"({"fw":"1.2.3","n":{"fw":"other"}})",
    R"({"fw":"1.2.3","fw":"9"})",
    R"({"fw":1.23,"o":{"fw":{"z":1}}})",
    R"({"b":"x","fw":"\u0031.2.3"})",
    R"({})",
};

ScalarValue S(const std::string& s) { return ScalarValue(s); }

class PostgresMetadataExactTest : public PostgresDocumentsTest {
 protected:
  void SetUp() override {
    PostgresDocumentsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    InsertSequenceDocuments(kDocs);
    if (HasFatalFailure()) return;
    // Every document is judged by the SQL (an object JSONB copy, no marker row): the sets below compare all.
    auto unjudged = conn_->Exec(
        "SELECT count(*) FROM sequences WHERE jsonb_typeof(metadata_jsonb) IS DISTINCT FROM 'object' OR id IN (" +
        postgres::MetadataValuesMarkerSql(postgres::MetadataOwner::kSequence) + ")");
    ASSERT_TRUE(unjudged.ok()) << unjudged.status().ToString();
    ASSERT_EQ(unjudged->Text(0, 0), "0");
  }

  // Indices of the documents MetadataMatcher matches.
  static Ids Matched(const MetadataPredicate& m) {
    auto matcher = MetadataMatcher::Make({m});
    EXPECT_TRUE(matcher.ok()) << matcher.status().ToString();
    Ids out;
    for (size_t i = 0; matcher.ok() && i < kDocs.size(); ++i) {
      const auto outcome = (*matcher)->Evaluate(kDocs[i]);
      EXPECT_NE(outcome, MetadataMatcher::Outcome::kNotAnObject) << kDocs[i];
      if (outcome == MetadataMatcher::Outcome::kMatch) out.insert(i);
    }
    return out;
  }

  struct Selected {
    Ids ids;
    bool exact = false;
  };
  // The documents a generator's condition selects and whether it says it is exact; nullopt: nothing pushed.
  std::optional<Selected> Select(
      const std::function<std::string(const std::function<std::string(const std::string&)>&, bool*)>& generate) {
    postgres::PgParams params;
    auto param = [&](const std::string& v) {
      params.Add(v);
      return "$" + std::to_string(params.size());
    };
    Selected out;
    const std::string condition = generate(param, &out.exact);
    if (condition.empty()) {
      EXPECT_FALSE(out.exact) << "nothing pushed cannot be exact";
      return std::nullopt;
    }
    auto res = conn_->Exec("SELECT substr(q.name, 2)::int FROM sequences q WHERE " + condition, params);
    EXPECT_TRUE(res.ok()) << res.status().ToString() << "\n" << condition;
    for (int r = 0; res.ok() && r < res->rows(); ++r) out.ids.insert(static_cast<size_t>(res->Int64(r, 0)));
    return out;
  }
  std::optional<Selected> ByJsonb(const MetadataPredicate& m) {
    return Select([&](const auto& param, bool* exact) {
      return postgres::MetadataSupersetSql("q.metadata_jsonb", m, param, exact);
    });
  }
  std::optional<Selected> ByValues(const MetadataPredicate& m) {
    return Select([&](const auto& param, bool* exact) {
      const std::string sql = postgres::MetadataValuesSql(postgres::MetadataOwner::kSequence, m, param, exact);
      return sql.empty() ? sql : "q.id IN (" + sql + ")";
    });
  }

  static std::string Describe(const Ids& ids) {
    std::string out;
    for (size_t i : ids) out += "\n  " + kDocs[i].substr(0, 80);
    return out;
  }

  // Exact: the same set; otherwise a superset. Returns whether the condition was exact.
  bool Check(const MetadataPredicate& m, const std::string& what, const std::optional<Selected>& selected) {
    if (!selected) return false;
    const Ids want = Matched(m);
    Ids missing, extra;
    for (size_t i : want) {
      if (!selected->ids.count(i)) missing.insert(i);
    }
    for (size_t i : selected->ids) {
      if (!want.count(i)) extra.insert(i);
    }
    EXPECT_TRUE(missing.empty()) << what << ": the condition drops matches" << Describe(missing);
    if (selected->exact) {
      EXPECT_TRUE(extra.empty()) << what << ": marked exact, but selects non-matches" << Describe(extra);
    }
    return selected->exact;
  }

};

std::string Name(const Key& key, Op op, const std::vector<ScalarValue>& args) {
  std::string out;
  for (const std::string& s : key) out += (out.empty() ? "" : ".") + s;
  out += std::string(" ") + PredicateOpName(op);
  for (const ScalarValue& a : args) {
    if (const auto* s = std::get_if<std::string>(&a)) {
      out += " \"" + s->substr(0, 12) + (s->size() > 12 ? "...\"" : "\"");
    } else if (const auto* b = std::get_if<bool>(&a)) {
      out += *b ? " true" : " false";
    } else if (const auto* i = std::get_if<int64_t>(&a)) {
      out += " " + std::to_string(*i);
    } else if (const auto* d = std::get_if<double>(&a)) {
      out += " " + std::to_string(*d);
    } else {
      out += " null";
    }
  }
  return out;
}

// Every key x operator x argument the documents can tell apart: exact conditions select the matches exactly.
TEST_F(PostgresMetadataExactTest, ExactConditionsSelectPreciselyTheMatches) {
  const std::vector<Key> keys = {{"a"},      {"a", "b"},  {"a", "0"},      {"fw"},      {"**", "fw"},
                                 {"*", "fw"}, {"n", "**", "fw"}, {"**", "b"}, {"**", "**", "fw"}};
  const std::vector<ScalarValue> args = {
      S("x"), S("y"), S("true"), S("false"), ScalarValue(true), ScalarValue(false), S("1"), S("\xc3\xa9"), S("x "),
      S("1.2.3"), S("9"), S("other"), S(kY199), S(kY200), S(kY250), S(kE199), S("X"), ScalarValue(int64_t{1}),
      ScalarValue(1.0), ScalarValue(1.23)};
  int exact = 0, checked = 0;
  auto check = [&](const MetadataPredicate& m) {
    const std::string what = Name(m.key, m.predicate.op, m.predicate.args);
    for (const auto& selected : {ByJsonb(m), ByValues(m)}) {
      exact += Check(m, what, selected);
      checked += selected.has_value();
    }
  };
  for (const Key& key : keys) {
    for (const ScalarValue& a : args) {
      check({key, {Op::kEq, {a}}});
      check({key, {Op::kNeq, {a}}});
      check({key, {Op::kGt, {a}}});
      check({key, {Op::kLeq, {a}}});
      for (const ScalarValue& b : args) check({key, {Op::kIn, {a, b}}});
      check({key, {Op::kIn, {a, ScalarValue()}}});
    }
    check({key, {Op::kExists, {}}});
    check({key, {Op::kMatch, {S("x*")}}});
    check({key, {Op::kMatch, {S("1.2*")}}});
  }
  EXPECT_GT(checked, 4000) << checked;
  EXPECT_GT(exact, 500) << exact;  // the check above is not vacuous
}

// Which forms are exact, and for each form that is not, a document it selects that the matcher rejects: marking it
// exact would return that document.
TEST_F(PostgresMetadataExactTest, ExactOnlyWhereTheSqlDecides) {
  auto exact = [&](const std::optional<Selected>& s) { return s.has_value() && s->exact; };
  auto witness = [&](const MetadataPredicate& m, const std::optional<Selected>& s, size_t doc) {
    ASSERT_TRUE(s.has_value()) << Name(m.key, m.predicate.op, m.predicate.args);
    EXPECT_FALSE(s->exact) << Name(m.key, m.predicate.op, m.predicate.args);
    EXPECT_TRUE(s->ids.count(doc) && !Matched(m).count(doc))
        << Name(m.key, m.predicate.op, m.predicate.args) << " should select " << kDocs[doc] << " (a non-match)";
  };
  auto doc = [](const std::string& text) {
    for (size_t i = 0; i < kDocs.size(); ++i) {
      if (kDocs[i] == text) return i;
    }
    ADD_FAILURE() << "no document " << text;
    return kDocs.size();
  };
  // Exact: containment of strings and booleans on plain keys; short strings on "**.<name>" in the values table.
  for (const MetadataPredicate& m : std::vector<MetadataPredicate>{
           {{"a"}, {Op::kEq, {S("x")}}},
           {{"a"}, {Op::kEq, {ScalarValue(true)}}},
           {{"a", "b"}, {Op::kIn, {S("x"), ScalarValue(false), ScalarValue()}}},
           {{"fw"}, {Op::kEq, {S(kY250)}}}}) {
    EXPECT_TRUE(exact(ByJsonb(m))) << Name(m.key, m.predicate.op, m.predicate.args);
  }
  for (const MetadataPredicate& m : std::vector<MetadataPredicate>{
           {{"**", "fw"}, {Op::kEq, {S("1.2.3")}}},
           {{"**", "fw"}, {Op::kIn, {S("1.2.3"), S("9"), ScalarValue()}}},
           {{"**", "fw"}, {Op::kEq, {S(kY199)}}},
           {{"**", "fw"}, {Op::kEq, {S(kE199)}}}}) {
    EXPECT_TRUE(exact(ByValues(m))) << Name(m.key, m.predicate.op, m.predicate.args);
  }
  // Not exact, each with its witness.
  const MetadataPredicate members{{"**", "fw"}, {Op::kEq, {S("1.2.3")}}};
  witness(members, ByJsonb(members), doc(R"({"l":[{"fw":"1.2.3"}]})"));  // `.**` descends arrays
  const MetadataPredicate star{{"*", "fw"}, {Op::kEq, {S("1.2.3")}}};
  witness(star, ByValues(star), doc(R"({"k":{"fw":{"fw":"1.2.3"}}})"));  // only the path's last name compared
  const MetadataPredicate text_true{{"**", "fw"}, {Op::kEq, {S("true")}}};
  witness(text_true, ByValues(text_true), doc(R"({"fw":true})"));  // booleans are stored as 'true'/'false'
  const MetadataPredicate bool_true{{"**", "fw"}, {Op::kEq, {ScalarValue(true)}}};
  witness(bool_true, ByValues(bool_true), doc(R"({"fw":"true"})"));
  const MetadataPredicate cut{{"**", "fw"}, {Op::kEq, {S(kY200)}}};
  witness(cut, ByValues(cut), doc("{\"fw\":\"" + kY250 + "\"}"));  // strings are cut to 200 characters
  const MetadataPredicate number{{"a"}, {Op::kEq, {ScalarValue(int64_t{1})}}};
  witness(number, ByJsonb(number), doc(R"({"a":1.0000000000001})"));  // widened bounds
  const MetadataPredicate present{{"a"}, {Op::kExists, {}}};
  witness(present, ByJsonb(present), doc(R"({"a":null})"));  // `#>` sees JSON null
  const MetadataPredicate index{{"a", "0"}, {Op::kExists, {}}};
  witness(index, ByJsonb(index), doc(R"({"a":["x"]})"));  // `#>` indexes arrays
  const MetadataPredicate range{{"a"}, {Op::kGt, {S("w")}}};
  witness(range, ByJsonb(range), doc(R"({"a":{"b":"x"}})"));  // `#>>` of an object is its text
  const MetadataPredicate prefix{{"a"}, {Op::kMatch, {S("x*")}}};
  witness(prefix, ByJsonb(prefix), doc(R"({"a":["x"]})"));  // lax JSONPath looks into arrays
  const MetadataPredicate mixed{{"a"}, {Op::kIn, {S("x"), ScalarValue(int64_t{1})}}};
  witness(mixed, ByJsonb(mixed), doc(R"({"a":1.0000000000001})"));
}

// FindTopics end to end: with exact conditions the metadata text is read only for rows they cannot judge, and those
// rows are still matched (or fail the query) as MetadataMatcher says.
class PostgresExactFindTopicsTest : public CatalogTest {
 protected:
  Backend backend() const override { return Backend::kPostgres; }

  void Doc(const std::string& name, const std::string& sequence_json, const std::string& topic_json) {
    ASSERT_TRUE(catalog_->CreateSequence(name, sequence_json, 1).ok()) << name;
    TopicRecord t = TopicFor(MustCreateSession(name, "k"), "t");
    t.user_metadata_json = topic_json;
    ASSERT_TRUE(catalog_->CreateTopic(t).ok()) << name;
  }

  std::vector<std::string> Found(const TopicFilter& f) {
    auto found = catalog_->FindTopics(f);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    std::vector<std::string> out;
    for (size_t i = 0; found.ok() && i < found->size(); ++i) out.push_back((*found)[i].sequence_name);
    return out;
  }

  static TopicFilter Seq(Key key, ScalarPredicate p) {
    TopicFilter f;
    f.sequence.metadata.push_back({std::move(key), std::move(p)});
    return f;
  }
  static TopicFilter Topic(Key key, ScalarPredicate p) {
    TopicFilter f;
    f.topic.metadata.push_back({std::move(key), std::move(p)});
    return f;
  }
};

TEST_F(PostgresExactFindTopicsTest, RowsTheSqlCannotJudgeAreStillMatched) {
  using V = std::vector<std::string>;
  const std::string long_key(1100, 'k');
  Doc("plain", R"({"r":{"id":"r-1"},"fw":"1.2.3"})", R"({"model":"m3"})");
  Doc("other", R"({"r":{"id":"r-2"},"n":{"fw":"2"}})", R"({"model":"m4"})");
  Doc("inlist", R"({"r":[{"id":"r-1"}],"l":[{"fw":"1.2.3"}]})", R"({"model":["m3"]})");
  // Only the exact conditions decide, one statement: the non-matches above stay out.
  EXPECT_EQ(Found(Seq({"r", "id"}, {Op::kEq, {S("r-1")}})), (V{"plain"}));
  EXPECT_EQ(Found(Seq({"**", "fw"}, {Op::kEq, {S("1.2.3")}})), (V{"plain"}));
  EXPECT_EQ(Found(Topic({"model"}, {Op::kEq, {S("m3")}})), (V{"plain"}));
  // Rows without a JSONB copy (U+0000), a sequence the values table marks: matched by MetadataMatcher.
  Doc("nul", R"({"r":{"id":"r-1"},"z":"\u0000","fw":"1.2.3"})", R"({"model":"m3","z":"\u0000"})");
  Doc("nul_other", R"({"r":{"id":"r-3"},"z":"\u0000","fw":"9"})", R"({"model":"m5","z":"\u0000"})");
  Doc("marked", "{\"" + long_key + "\":1,\"a\":{\"fw\":\"1.2.3\"}}", R"({"model":"m4"})");
  Doc("marked_other", "{\"" + long_key + "\":1,\"a\":{\"fw\":\"9\"}}", R"({"model":"m4"})");
  EXPECT_EQ(Found(Seq({"r", "id"}, {Op::kEq, {S("r-1")}})), (V{"nul", "plain"}));
  EXPECT_EQ(Found(Seq({"**", "fw"}, {Op::kEq, {S("1.2.3")}})), (V{"marked", "nul", "plain"}));
  EXPECT_EQ(Found(Seq({"**", "fw"}, {Op::kIn, {S("9"), S("2")}})), (V{"marked_other", "nul_other", "other"}));
  EXPECT_EQ(Found(Topic({"model"}, {Op::kEq, {S("m3")}})), (V{"nul", "plain"}));
  EXPECT_EQ(Found(Topic({"model"}, {Op::kIn, {S("m4"), S("m5")}})),
            (V{"marked", "marked_other", "nul_other", "other"}));
  // Both entities at once, and an exact condition next to one that is not (the matcher then decides every row).
  TopicFilter both = Seq({"r", "id"}, {Op::kEq, {S("r-1")}});
  both.topic.metadata.push_back({{"model"}, {Op::kEq, {S("m3")}}});
  EXPECT_EQ(Found(both), (V{"nul", "plain"}));
  TopicFilter mixed = Seq({"**", "fw"}, {Op::kEq, {S("1.2.3")}});
  mixed.sequence.metadata.push_back({{"r", "id"}, {Op::kExists, {}}});
  EXPECT_EQ(Found(mixed), (V{"nul", "plain"}));
}

// Behind a selective topic metadata condition the tag is spelled so that no index serves it (pg_metadata_sql.h,
// TopicTagSql): it must still filter, as a field $eq or an ontology tag list, whether or not rows the SQL cannot
// judge (no JSONB copy) come in through the escape, where the tag keeps its indexable form.
TEST_F(PostgresExactFindTopicsTest, TheTagStillFiltersBehindSelectiveTopicMetadata) {
  using V = std::vector<std::string>;
  auto tagged = [&](const std::string& name, const std::string& tag, const std::string& topic_json) {
    ASSERT_TRUE(catalog_->CreateSequence(name, "{}", 1).ok()) << name;
    TopicRecord t = TopicFor(MustCreateSession(name, "k"), "t");
    t.ontology_tag = tag;
    t.user_metadata_json = topic_json;
    ASSERT_TRUE(catalog_->CreateTopic(t).ok()) << name;
  };
  tagged("radar_m3", "radar", R"({"model":"m3"})");
  tagged("radar_m4", "radar", R"({"model":"m4"})");
  tagged("lidar_m3", "lidar", R"({"model":"m3"})");
  auto by_field = [](ScalarPredicate model) {
    TopicFilter f = Topic({"model"}, std::move(model));
    f.topic.fields.push_back({EntityField::kOntologyTag, {Op::kEq, {S("radar")}}});
    return f;
  };
  auto by_list = [](ScalarPredicate model) {
    TopicFilter f = Topic({"model"}, std::move(model));
    f.ontology_tags = std::vector<std::string>{"radar"};
    return f;
  };
  EXPECT_EQ(Found(by_field({Op::kEq, {S("m3")}})), (V{"radar_m3"}));
  EXPECT_EQ(Found(by_field({Op::kIn, {S("m3"), S("m4")}})), (V{"radar_m3", "radar_m4"}));
  EXPECT_EQ(Found(by_list({Op::kEq, {S("m3")}})), (V{"radar_m3"}));
  tagged("lidar_nul", "lidar", R"({"model":"m3","z":"\u0000"})");
  tagged("radar_nul", "radar", R"({"model":"m3","z":"\u0000"})");
  EXPECT_EQ(Found(by_field({Op::kEq, {S("m3")}})), (V{"radar_m3", "radar_nul"}));
  EXPECT_EQ(Found(by_list({Op::kIn, {S("m3"), S("m4")}})), (V{"radar_m3", "radar_m4", "radar_nul"}));
}

TEST_F(PostgresExactFindTopicsTest, MetadataThatIsNotAnObjectStillFailsTheQuery) {
  Doc("fine", R"({"r":{"id":"r-1"}})", R"({"model":"m3"})");
  Doc("broken", "[1,2]", "[3]");
  for (const TopicFilter& f : {Seq({"r", "id"}, {Op::kEq, {S("r-1")}}), Seq({"**", "fw"}, {Op::kEq, {S("x")}}),
                               Topic({"model"}, {Op::kEq, {S("m3")}})}) {
    auto r = catalog_->FindTopics(f);
    EXPECT_TRUE(r.status().IsIOError()) << r.status().ToString();
  }
}

}  // namespace
}  // namespace mosaico::catalog::testing
