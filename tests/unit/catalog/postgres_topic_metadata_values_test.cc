// PostgreSQL migration 14: the topic metadata values table (postgres/pg_topic_values_migration.h) is kept by triggers
// with every write of a topic (create, metadata update, delete with its sequence), holds the numeric members and the
// marker of unindexable metadata only, the migration's backfill of topics created before it produces exactly the
// rows live maintenance does (and logs its progress), FindTopics' topic numeric ranges served by it (its topic ids, or
// beside a containment the numbers it lists in range) find what the exact semantics find (marked topics included),
// and the planner answers them from its covering index. Skipped
// unless MOSAICOD_TEST_PG_URL is set (catalog_test_util.h).
#include <algorithm>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "catalog/catalog_test_util.h"
#include "mosaico/catalog/postgres/pg_conn.h"
#include "mosaico/catalog/postgres/pg_metadata_sql.h"
#include "mosaico/catalog/postgres/pg_migrations.h"

namespace mosaico::catalog::testing {
namespace {

class PostgresTopicMetadataValuesTest : public CatalogTest {
 protected:
  Backend backend() const override { return Backend::kPostgres; }

  std::unique_ptr<postgres::PgConnection> Connect() {
    auto conn = postgres::PgConnection::Connect(catalog_url());
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    return std::move(*conn);
  }

  // Every row of the table as "topic name|path|number|text", sorted.
  std::vector<std::string> Rows(postgres::PgConnection* conn) {
    auto res = conn->Exec(
        "SELECT t.name || '|' || v.path::text || '|' || coalesce(v.num_value::text, '-') || '|' || "
        "coalesce(v.text_value, '-') FROM topic_metadata_values v JOIN topics t ON t.id = v.topic_id");
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    std::vector<std::string> out;
    for (int r = 0; res.ok() && r < res->rows(); ++r) out.push_back(res->Text(r, 0));
    std::sort(out.begin(), out.end());  // byte order
    return out;
  }

  // Topic `name` of sequence "s" (created with its session on first use) with `metadata`.
  void Topic(const std::string& name, const std::string& metadata) {
    if (!session_) {
      MustCreateSequence("s");
      session_ = MustCreateSession("s", "k");
    }
    TopicRecord t = TopicFor(*session_, name);
    t.user_metadata_json = metadata;
    auto r = catalog_->CreateTopic(t);
    ASSERT_TRUE(r.ok()) << name << ": " << r.status().ToString();
  }

  std::vector<std::string> Found(std::vector<std::string> key, ScalarPredicate p) {
    TopicFilter f;
    f.topic.metadata.push_back({std::move(key), std::move(p)});
    auto found = catalog_->FindTopics(f);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    std::vector<std::string> out;
    if (found.ok()) {
      for (const auto& m : *found) out.push_back(m.topic_name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // Topics of every shape the table must handle.
  void CreateVariety() {
    const std::string long_key(1100, 'k');
    const std::vector<std::pair<std::string, std::string>> topics = {
        {"nested", R"({"sensor":{"rate_hz":1000,"model":"m1","n":null,"list":[1,{"rate_hz":5}]},"ok":true})"},
        {"decimal", R"({"sensor":{"rate_hz":999.99999999999999999},"exact":1.00000000000000000001})"},
        {"low", R"({"sensor":{"rate_hz":10},"neg":-0.0})"},
        {"text", R"({"sensor":{"rate_hz":"1000"}})"},
        {"marked", "{\"" + long_key + "\":1,\"sensor\":{\"rate_hz\":2000}}"},
        {"empty", "{}"},
        {"nul", R"({"sensor":{"rate_hz":3000},"s":"a\u0000b"})"},  // no JSONB copy: judged by the matcher only
    };
    for (const auto& [name, metadata] : topics) Topic(name, metadata);
  }

  std::optional<SessionRecord> session_;
};

TEST_F(PostgresTopicMetadataValuesTest, RowsFollowCreateUpdateAndDelete) {
  Topic("a", R"({"sensor":{"rate_hz":100,"model":"m"},"w":"rain","l":[1],"n":null})");
  Topic("b", R"({"rate":1.5})");
  auto conn = Connect();
  // Numbers only: strings, booleans, objects, arrays and nulls serve no query of this table.
  EXPECT_EQ(Rows(conn.get()), (std::vector<std::string>{"a|{sensor,rate_hz}|100|-", "b|{rate}|1.5|-"}));
  // user_metadata never changes through the catalog today; a change made anyway replaces the rows.
  MOSAICO_ASSERT_OK(conn->ExecScript("UPDATE topics SET user_metadata = '{\"rate\":2}' WHERE name = 'b'"));
  EXPECT_EQ(Rows(conn.get()), (std::vector<std::string>{"a|{sensor,rate_hz}|100|-", "b|{rate}|2|-"}));
  // Deleting the sequence deletes its topics and their rows (ON DELETE CASCADE).
  MOSAICO_ASSERT_OK(catalog_->CreateSequence("other", "{}", 1).status());
  TopicRecord c = TopicFor(MustCreateSession("other", "k"), "c");
  c.user_metadata_json = R"({"rate":3})";
  MOSAICO_ASSERT_OK(catalog_->CreateTopic(c).status());
  EXPECT_EQ(Rows(conn.get()).size(), 3u);
  MOSAICO_ASSERT_OK(catalog_->DeleteSequence("s"));
  EXPECT_EQ(Rows(conn.get()), (std::vector<std::string>{"c|{rate}|3|-"}));
  // A failed write leaves no rows behind (same transaction): the topic name is taken.
  c.uuid = "another-uuid";
  c.user_metadata_json = R"({"rate":4})";
  EXPECT_FALSE(catalog_->CreateTopic(c).ok());
  EXPECT_EQ(Rows(conn.get()), (std::vector<std::string>{"c|{rate}|3|-"}));
}

TEST_F(PostgresTopicMetadataValuesTest, MigrationBackfillEqualsLiveMaintenanceAndLogsProgress) {
  CreateVariety();
  auto conn = Connect();
  const std::vector<std::string> live = Rows(conn.get());
  EXPECT_NE(std::find(live.begin(), live.end(), "marked|{}|-|-"), live.end());  // too long a path: marker only
  EXPECT_NE(std::find(live.begin(), live.end(), "nested|{sensor,rate_hz}|1000|-"), live.end());
  EXPECT_NE(std::find(live.begin(), live.end(), "decimal|{sensor,rate_hz}|999.99999999999999999|-"), live.end());
  EXPECT_EQ(std::count_if(live.begin(), live.end(), [](const std::string& r) { return r.rfind("marked|", 0) == 0; }),
            1);
  ASSERT_EQ(live.size(), 6u) << ::testing::PrintToString(live);  // nested, decimal x2, low x2, marked
  // The catalog as it was before migration 14, reopened: the migration fills the table from the topics.
  catalog_.reset();
  MOSAICO_ASSERT_OK(conn->ExecScript(
      "DROP TABLE topic_metadata_values; DROP TRIGGER topics_metadata_values ON topics; "
      "DROP TRIGGER topics_metadata_values_update ON topics; DROP FUNCTION mosaico_topic_metadata_values(); "
      "DELETE FROM schema_migrations WHERE version >= 14;"));
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  spdlog::default_logger()->sinks().push_back(sink);
  auto reopened = OpenCatalog(catalog_url());
  spdlog::default_logger()->sinks().pop_back();
  MOSAICO_ASSERT_OK(reopened.status());
  catalog_ = std::move(*reopened);
  EXPECT_EQ(Rows(conn.get()), live);
  const std::string logged = log.str();
  EXPECT_NE(logged.find("event=catalog_topic_metadata_values_backfill done=0 total=7"), std::string::npos) << logged;
  EXPECT_NE(logged.find("event=catalog_topic_metadata_values_backfill done=7 total=7 finished=true"),
            std::string::npos)
      << logged;
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto version, conn->Exec("SELECT max(version) FROM schema_migrations"));
  EXPECT_EQ(version.Text(0, 0), std::to_string(postgres::PgLatestSchemaVersion()));
  // And it keeps them from then on.
  Topic("after", R"({"sensor":{"rate_hz":30}})");
  const auto rows = Rows(conn.get());
  EXPECT_NE(std::find(rows.begin(), rows.end(), "after|{sensor,rate_hz}|30|-"), rows.end());
  // A bulk INSERT (one statement, several topics, one of them marked) gets, from the trigger's own walk, exactly the
  // rows mosaico_metadata_values gives (what the backfill writes).
  MOSAICO_ASSERT_OK(conn->ExecScript(
      "INSERT INTO topics (sequence_id, session_id, name, uuid, user_metadata, created_at_ns) "
      "SELECT sequence_id, session_id, 'bulk' || g, 'bulk-uuid' || g, CASE g WHEN 2 THEN '{\"' || repeat('k', 1100) || "
      "'\":1,\"x\":2}' ELSE '{\"a\":{\"b\":' || g || ',\"c\":[1]},\"d\":\"s\"}' END, 1 "
      "FROM topics, generate_series(1, 3) g WHERE name = 'after'"));
  MOSAICO_ASSERT_OK_AND_ASSIGN(
      auto differ,
      conn->Exec("SELECT count(*) FROM ((SELECT topic_id, path, num_value FROM topic_metadata_values EXCEPT ALL "
                 "SELECT t.id, v.path, v.num_value FROM topics t, LATERAL mosaico_metadata_values(t.metadata_jsonb) v "
                 "WHERE v.num_value IS NOT NULL OR v.path = '{}') UNION ALL (SELECT t.id, v.path, v.num_value "
                 "FROM topics t, LATERAL mosaico_metadata_values(t.metadata_jsonb) v WHERE v.num_value IS NOT NULL "
                 "OR v.path = '{}' EXCEPT ALL SELECT topic_id, path, num_value FROM topic_metadata_values)) d"));
  EXPECT_EQ(differ.Text(0, 0), "0");
  const auto bulk = Rows(conn.get());
  EXPECT_NE(std::find(bulk.begin(), bulk.end(), "bulk2|{}|-|-"), bulk.end());
  EXPECT_NE(std::find(bulk.begin(), bulk.end(), "bulk3|{a,b}|3|-"), bulk.end());
}

TEST_F(PostgresTopicMetadataValuesTest, ServedQueriesFindWhatTheExactSemanticsFind) {
  ASSERT_TRUE(postgres::UseMetadataValues());
  CreateVariety();
  using V = std::vector<std::string>;
  using Op = PredicateOp;
  const std::vector<std::string> rate = {"sensor", "rate_hz"};
  // "marked" (2000) comes through its marker row, "nul" (3000) as a row without a JSONB copy; both are judged by
  // MetadataMatcher. "decimal" is the double 1000.0 for our reader (JSONB: 999.99999999999999999); "text" holds a
  // string; the 5 inside an array is never reached.
  EXPECT_EQ(Found(rate, {Op::kGeq, {int64_t{1000}}}), (V{"decimal", "marked", "nested", "nul"}));
  EXPECT_EQ(Found(rate, {Op::kEq, {int64_t{1000}}}), (V{"decimal", "nested"}));
  EXPECT_EQ(Found(rate, {Op::kBetween, {int64_t{1500}, int64_t{2500}}}), (V{"marked"}));
  EXPECT_EQ(Found(rate, {Op::kOutside, {int64_t{11}, int64_t{2500}}}), (V{"low", "nul"}));
  EXPECT_EQ(Found(rate, {Op::kLt, {int64_t{6}}}), (V{}));
  EXPECT_EQ(Found(rate, {Op::kIn, {int64_t{10}, 3000.0}}), (V{"low", "nul"}));
  EXPECT_EQ(Found({"exact"}, {Op::kEq, {1.0}}), (V{"decimal"}));
  EXPECT_EQ(Found({"neg"}, {Op::kGeq, {0.0}}), (V{"low"}));
  // With the marked and unparsed topics gone, the same answers without them (one statement, no escapes).
  auto conn = Connect();
  MOSAICO_ASSERT_OK(conn->ExecScript("DELETE FROM topics WHERE name IN ('marked', 'nul')"));
  EXPECT_EQ(Found(rate, {Op::kGeq, {int64_t{1000}}}), (V{"decimal", "nested"}));
  EXPECT_EQ(Found(rate, {Op::kOutside, {int64_t{11}, int64_t{2500}}}), (V{"low"}));
}

// Beside an exact containment (calibrated = true), a topic numeric range is pushed as containment of the numbers the
// table lists in range (pg_metadata_sql.h, MetadataValuesNumbersSql / NumbersContainmentSql).
TEST_F(PostgresTopicMetadataValuesTest, BesideAContainmentRangesBecomeContainmentOfTheListedNumbers) {
  Topic("slow", R"({"sensor":{"rate_hz":10},"calibrated":true})");
  Topic("fast", R"({"sensor":{"rate_hz":1000},"calibrated":true})");
  Topic("decimal", R"({"sensor":{"rate_hz":999.99999999999999999},"calibrated":true})");
  Topic("faster", R"({"sensor":{"rate_hz":2000},"calibrated":true})");
  Topic("again", R"({"sensor":{"rate_hz":2000},"calibrated":false})");
  Topic("inlist", R"({"sensor":[{"rate_hz":3000}],"calibrated":true})");
  auto conn = Connect();
  auto listed = [&](const MetadataPredicate& m) {
    postgres::PgParams params;
    auto param = [&](const std::string& v) {
      params.Add(v);
      return "$" + std::to_string(params.size());
    };
    const std::string sql = postgres::MetadataValuesNumbersSql(postgres::MetadataOwner::kTopic, m, param);
    std::vector<std::string> out;
    if (sql.empty()) return std::vector<std::string>{"<not served>"};
    auto res = conn->Exec(sql, params);
    EXPECT_TRUE(res.ok()) << res.status().ToString() << "\n" << sql;
    for (int r = 0; res.ok() && r < res->rows(); ++r) out.push_back(res->Text(r, 0));
    return out;
  };
  using V = std::vector<std::string>;
  using Op = PredicateOp;
  const std::vector<std::string> rate = {"sensor", "rate_hz"};
  // Distinct, ascending, within the widened bounds (999.99999999999999999 is the double 1000.0 for our reader).
  EXPECT_EQ(listed({rate, {Op::kGeq, {int64_t{1000}}}}), (V{"999.99999999999999999", "1000", "2000"}));
  EXPECT_EQ(listed({rate, {Op::kBetween, {int64_t{11}, 1999.5}}}), (V{"999.99999999999999999", "1000"}));
  EXPECT_EQ(listed({rate, {Op::kLt, {int64_t{10}}}}), V{"10"});  // widened bounds: a superset, judged after
  EXPECT_EQ(listed({rate, {Op::kLt, {int64_t{9}}}}), V{});
  EXPECT_EQ(listed({rate, {Op::kEq, {int64_t{2000}}}}), V{"2000"});
  EXPECT_EQ(listed({rate, {Op::kIn, {int64_t{10}, int64_t{2000}}}}), V{"<not served>"});  // two intervals
  EXPECT_EQ(listed({rate, {Op::kOutside, {int64_t{11}, int64_t{1999}}}}), V{"<not served>"});
  EXPECT_EQ(listed({{"**", "rate_hz"}, {Op::kGeq, {int64_t{1}}}}), V{"<not served>"});
  // FindTopics with it: the same answers as the exact semantics.
  auto both = [&](ScalarPredicate range) {
    TopicFilter f;
    f.topic.metadata.push_back({rate, std::move(range)});
    f.topic.metadata.push_back({{"calibrated"}, {Op::kEq, {true}}});
    auto found = catalog_->FindTopics(f);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    V out;
    for (const auto& m : *found) out.push_back(m.topic_name);
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(both({Op::kGeq, {int64_t{1000}}}), (V{"decimal", "fast", "faster"}));
  EXPECT_EQ(both({Op::kLt, {int64_t{10}}}), V{});
  EXPECT_EQ(both({Op::kEq, {1000.0}}), (V{"decimal", "fast"}));
  EXPECT_EQ(both({Op::kOutside, {int64_t{11}, int64_t{1999}}}), (V{"faster", "slow"}));
  // More distinct numbers than NumbersContainmentSql takes: the JSONPath range, same answers.
  for (int i = 0; i < static_cast<int>(postgres::kMaxContainedNumbers) + 2; ++i) {
    Topic("many" + std::to_string(i), "{\"sensor\":{\"rate_hz\":" + std::to_string(5000 + i) + "},\"calibrated\":true}");
  }
  EXPECT_EQ(listed({rate, {Op::kGeq, {int64_t{5000}}}}).size(), postgres::kMaxContainedNumbers + 1);
  EXPECT_EQ(both({Op::kGeq, {int64_t{5000 + static_cast<int64_t>(postgres::kMaxContainedNumbers) + 1}}}),
            (V{"many" + std::to_string(postgres::kMaxContainedNumbers + 1)}));
  EXPECT_EQ(both({Op::kGeq, {int64_t{1500}}}).size(), postgres::kMaxContainedNumbers + 3);  // faster + the many
}

TEST_F(PostgresTopicMetadataValuesTest, ThePlannerAnswersNumericRangesFromTheCoveringIndex) {
  auto conn = Connect();
  MOSAICO_ASSERT_OK(conn->ExecScript(
      "INSERT INTO sequences (name, user_metadata, created_at_ns) VALUES ('s', '{}', 1);"
      "INSERT INTO sessions (sequence_id, session_key, uuid, created_at_ns) SELECT id, 'k', 'u', 1 FROM sequences;"
      "INSERT INTO topics (sequence_id, session_id, name, uuid, user_metadata, created_at_ns) "
      "SELECT q.id, x.id, 't' || g, 'u' || g, '{\"sensor\":{\"rate_hz\":' || (g % 500) || '},\"calibrated\":true}', 1 "
      "FROM sequences q, sessions x, generate_series(1, 5000) g;"));
  MOSAICO_ASSERT_OK(conn->ExecScript("VACUUM ANALYZE topic_metadata_values"));
  auto param = [&](const std::string& v) { return "'" + v + "'"; };  // inlined for EXPLAIN: no quotes in them
  const std::string sql = postgres::MetadataValuesSql(
      postgres::MetadataOwner::kTopic, {{"sensor", "rate_hz"}, {PredicateOp::kBetween, {int64_t{30}, int64_t{31}}}},
      param);
  ASSERT_FALSE(sql.empty());
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto plan, conn->Exec("EXPLAIN " + sql));
  std::string text;
  for (int r = 0; r < plan.rows(); ++r) text += plan.Text(r, 0) + "\n";
  EXPECT_NE(text.find("Index Only Scan using topic_metadata_values_by_number_covering"), std::string::npos) << text;
  // The listing of the numbers in range descends the same index, one step per number.
  const std::string listing = postgres::MetadataValuesNumbersSql(
      postgres::MetadataOwner::kTopic, {{"sensor", "rate_hz"}, {PredicateOp::kGeq, {int64_t{30}}}}, param);
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto listing_plan, conn->Exec("EXPLAIN " + listing));
  std::string listing_text;
  for (int r = 0; r < listing_plan.rows(); ++r) listing_text += listing_plan.Text(r, 0) + "\n";
  EXPECT_NE(listing_text.find("Index Only Scan using topic_metadata_values_by_number_covering"), std::string::npos)
      << listing_text;
  EXPECT_EQ(listing_text.find("Seq Scan"), std::string::npos) << listing_text;
  // Not served by the topics' table: strings on plain keys (GIN containment) and any wildcard key (no name index).
  constexpr auto kTopic = postgres::MetadataOwner::kTopic;
  EXPECT_TRUE(postgres::MetadataValuesSql(kTopic, {{"m"}, {PredicateOp::kEq, {std::string("x")}}}, param).empty());
  EXPECT_TRUE(postgres::MetadataValuesSql(kTopic, {{"**", "rate_hz"}, {PredicateOp::kGeq, {int64_t{1}}}}, param)
                  .empty());
  EXPECT_FALSE(postgres::MetadataValuesSql(postgres::MetadataOwner::kSequence,
                                           {{"**", "rate_hz"}, {PredicateOp::kGeq, {int64_t{1}}}}, param)
                   .empty());
}

}  // namespace
}  // namespace mosaico::catalog::testing
