// PostgreSQL migration 9: the sequence metadata values table (postgres/pg_metadata_sql.h, MetadataValuesSql) is kept
// by a trigger with every write of a sequence (create, metadata update, delete), the migration's backfill of an
// existing catalog produces exactly the rows live maintenance does, queries served by it find what the exact
// semantics find (marked sequences included), and the planner starts from its indexes. Skipped unless
// MOSAICOD_TEST_PG_URL is set (catalog_test_util.h).
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"
#include "mosaico/catalog/postgres/pg_conn.h"
#include "mosaico/catalog/postgres/pg_metadata_sql.h"
#include "mosaico/catalog/postgres/pg_migrations.h"
#include "mosaico/catalog/postgres/pg_staging.h"

namespace mosaico::catalog::testing {
namespace {

class PostgresMetadataValuesTest : public CatalogTest {
 protected:
  Backend backend() const override { return Backend::kPostgres; }

  std::unique_ptr<postgres::PgConnection> Connect() {
    auto conn = postgres::PgConnection::Connect(catalog_url());
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    return std::move(*conn);
  }

  // Every row of the table as "sequence name|path|number|text", sorted.
  std::vector<std::string> Rows(postgres::PgConnection* conn) {
    auto res = conn->Exec(
        "SELECT s.name || '|' || v.path::text || '|' || coalesce(v.num_value::text, '-') || '|' || "
        "coalesce(v.text_value, '-') FROM sequence_metadata_values v JOIN sequences s ON s.id = v.sequence_id");
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    std::vector<std::string> out;
    for (int r = 0; res.ok() && r < res->rows(); ++r) out.push_back(res->Text(r, 0));
    std::sort(out.begin(), out.end());  // byte order
    return out;
  }

  std::vector<std::string> Found(const TopicFilter& f) {
    auto found = catalog_->FindTopics(f);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    std::vector<std::string> out;
    if (found.ok()) {
      for (const auto& m : *found) out.push_back(m.sequence_name);
    }
    return out;
  }

  // Sequences of every shape the table must handle, each with one topic (FindTopics lists topics).
  void CreateVariety() {
    const std::string long_key(1100, 'k');
    const std::vector<std::pair<std::string, std::string>> sequences = {
        {"nested", R"({"env":{"temp_c":31.5,"weather":"rain","n":null,"list":[1,{"fw":"9"}],"ok":true},"fw":"1.2.3"})"},
        {"numbers", R"({"env":{"temp_c":30},"neg":-0.0,"exact":1.00000000000000000001})"},
        {"deep", R"({"a":{"b":{"c":{"fw":"1.2.3","temp_c":34}}}})"},
        {"long_string", "{\"s\":\"" + std::string(300, 'x') + "\",\"fw\":\"" + std::string(250, 'y') + "\"}"},
        {"marked", "{\"" + long_key + "\":1,\"env\":{\"temp_c\":99}}"},
        {"empty", "{}"},
        {"unicode", R"({"fw":"1.2.3\u00e9","env":{"temp_c":"30"}})"},
    };
    for (const auto& [name, metadata] : sequences) {
      ASSERT_TRUE(catalog_->CreateSequence(name, metadata, 1).ok()) << name;
      MustCreateTopic(MustCreateSession(name, "k"), "imu");
    }
  }
};

TEST_F(PostgresMetadataValuesTest, RowsFollowCreateUpdateAndDelete) {
  MOSAICO_ASSERT_OK(catalog_->CreateSequence("a", R"({"env":{"temp_c":31.5,"w":"rain","n":null},"l":[1]})", 1)
                        .status());
  MOSAICO_ASSERT_OK(catalog_->CreateSequence("b", R"({"fw":"1.2"})", 1).status());
  auto conn = Connect();
  EXPECT_EQ(Rows(conn.get()), (std::vector<std::string>{"a|{env,temp_c}|31.5|-", "a|{env,w}|-|rain", "a|{env}|-|-",
                                                         "a|{l}|-|-", "b|{fw}|-|1.2"}));
  // user_metadata never changes through the catalog today; a change made anyway replaces the rows.
  MOSAICO_ASSERT_OK(conn->ExecScript("UPDATE sequences SET user_metadata = '{\"fw\":true}' WHERE name = 'b'"));
  EXPECT_EQ(Rows(conn.get()), (std::vector<std::string>{"a|{env,temp_c}|31.5|-", "a|{env,w}|-|rain", "a|{env}|-|-",
                                                         "a|{l}|-|-", "b|{fw}|-|true"}));
  MOSAICO_ASSERT_OK(catalog_->DeleteSequence("a"));
  EXPECT_EQ(Rows(conn.get()), (std::vector<std::string>{"b|{fw}|-|true"}));
  // A failed write leaves no rows behind (same transaction).
  EXPECT_FALSE(catalog_->CreateSequence("b", R"({"x":1})", 1).ok());
  EXPECT_EQ(Rows(conn.get()), (std::vector<std::string>{"b|{fw}|-|true"}));
}

TEST_F(PostgresMetadataValuesTest, MigrationBackfillEqualsLiveMaintenance) {
  CreateVariety();
  auto conn = Connect();
  const std::vector<std::string> live = Rows(conn.get());
  ASSERT_GT(live.size(), 15u);
  EXPECT_NE(std::find(live.begin(), live.end(), "marked|{}|-|-"), live.end());  // too long a path: marker only
  EXPECT_NE(std::find(live.begin(), live.end(), "long_string|{s}|-|" + std::string(200, 'x')), live.end());
  // The catalog as it was before migration 9, reopened: the migration fills the table from the sequences.
  catalog_.reset();
  MOSAICO_ASSERT_OK(conn->ExecScript(
      "DROP TABLE sequence_metadata_values; DROP TRIGGER sequences_metadata_values ON sequences; "
      "DROP TRIGGER sequences_metadata_values_update ON sequences; "
      "DROP FUNCTION mosaico_sequence_metadata_values(); DROP FUNCTION mosaico_metadata_values(jsonb); "
      "DELETE FROM schema_migrations WHERE version >= 9;"));
  MOSAICO_ASSERT_OK_AND_ASSIGN(catalog_, OpenCatalog(catalog_url()));
  EXPECT_EQ(Rows(conn.get()), live);
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto version, conn->Exec("SELECT max(version) FROM schema_migrations"));
  EXPECT_EQ(version.Text(0, 0), std::to_string(postgres::PgLatestSchemaVersion()));
  // And it keeps them from then on.
  MOSAICO_ASSERT_OK(catalog_->CreateSequence("after", R"({"env":{"temp_c":32}})", 1).status());
  const auto rows = Rows(conn.get());
  EXPECT_NE(std::find(rows.begin(), rows.end(), "after|{env,temp_c}|32|-"), rows.end());
}

// `mosaicod rebuild` into PostgreSQL builds the catalog in a staging schema through the ordinary interface and swaps
// it in (pg_staging.h): the table is filled there by the same trigger and keeps being maintained once published.
TEST_F(PostgresMetadataValuesTest, ARebuiltCatalogCarriesAndKeepsTheRows) {
  auto staged = postgres::PgStagedCatalog::Begin(catalog_url());
  ASSERT_TRUE(staged.ok()) << staged.status().ToString();
  ASSERT_TRUE((*staged)->catalog()->CreateSequence("rebuilt", R"({"env":{"temp_c":31}})", 1).ok());
  auto conn = Connect();
  EXPECT_TRUE(Rows(conn.get()).empty());  // invisible until published
  auto published = (*staged)->Publish(/*keep_backup=*/false);
  ASSERT_TRUE(published.ok()) << published.status().ToString();
  staged->reset();
  MOSAICO_ASSERT_OK(catalog_->CreateSequence("later", R"({"env":{"temp_c":32}})", 2).status());
  EXPECT_EQ(Rows(conn.get()),
            (std::vector<std::string>{"later|{env,temp_c}|32|-", "later|{env}|-|-", "rebuilt|{env,temp_c}|31|-",
                                      "rebuilt|{env}|-|-"}));
  MustCreateTopic(MustCreateSession("rebuilt", "k"), "imu");
  TopicFilter f;
  f.sequence.metadata.push_back({{"env", "temp_c"}, {PredicateOp::kLt, {int64_t{32}}}});
  EXPECT_EQ(Found(f), (std::vector<std::string>{"rebuilt"}));
}

TEST_F(PostgresMetadataValuesTest, ServedQueriesFindWhatTheExactSemanticsFind) {
  ASSERT_TRUE(postgres::UseMetadataValues());
  CreateVariety();
  auto range = [](std::vector<std::string> key, ScalarPredicate p) {
    TopicFilter f;
    f.sequence.metadata.push_back({std::move(key), std::move(p)});
    return f;
  };
  using V = std::vector<std::string>;
  // The marked sequence has temp_c 99 but a path the table could not hold: found through its marker row, then
  // judged exactly (99 is outside, so not listed; 90..100 lists it).
  EXPECT_EQ(Found(range({"env", "temp_c"}, {PredicateOp::kBetween, {int64_t{30}, int64_t{35}}})),
            (V{"nested", "numbers"}));
  EXPECT_EQ(Found(range({"env", "temp_c"}, {PredicateOp::kBetween, {int64_t{90}, int64_t{100}}})), (V{"marked"}));
  EXPECT_EQ(Found(range({"env", "temp_c"}, {PredicateOp::kEq, {int64_t{30}}})), (V{"numbers"}));
  EXPECT_EQ(Found(range({"env", "temp_c"}, {PredicateOp::kOutside, {int64_t{31}, int64_t{98}}})),
            (V{"marked", "numbers"}));
  EXPECT_EQ(Found(range({"exact"}, {PredicateOp::kEq, {1.0}})), (V{"numbers"}));  // exact decimal vs double
  EXPECT_EQ(Found(range({"neg"}, {PredicateOp::kGeq, {0.0}})), (V{"numbers"}));
  EXPECT_EQ(Found(range({"**", "fw"}, {PredicateOp::kEq, {std::string("1.2.3")}})), (V{"deep", "nested"}));
  EXPECT_EQ(Found(range({"**", "fw"}, {PredicateOp::kEq, {std::string(250, 'y')}})), (V{"long_string"}));
  EXPECT_EQ(Found(range({"**", "fw"}, {PredicateOp::kEq, {std::string(200, 'y')}})), (V{}));  // cut: superset only
  EXPECT_EQ(Found(range({"**", "fw"}, {PredicateOp::kIn, {std::string("9"), std::string("1.2.3\xc3\xa9")}})),
            (V{"unicode"}));  // "9" is inside an array: never reached
  EXPECT_EQ(Found(range({"**", "temp_c"}, {PredicateOp::kGeq, {int64_t{34}}})), (V{"deep", "marked"}));
  EXPECT_EQ(Found(range({"**", "ok"}, {PredicateOp::kEq, {true}})), (V{"nested"}));
  EXPECT_EQ(Found(range({"**", "n"}, {PredicateOp::kExists, {}})), (V{}));  // null is absent
  EXPECT_EQ(Found(range({"a", "*", "c"}, {PredicateOp::kExists, {}})), (V{"deep"}));
}

TEST_F(PostgresMetadataValuesTest, ThePlannerStartsFromTheIndexes) {
  auto conn = Connect();
  MOSAICO_ASSERT_OK(conn->ExecScript(
      "INSERT INTO sequences (name, user_metadata, created_at_ns) "
      "SELECT 'run_' || g, '{\"site\":\"lab\",\"env\":{\"temp_c\":' || (g % 500) || '},\"robot\":{\"fw\":\"1.' || g "
      "|| '\"}}', 1 FROM generate_series(1, 5000) g;"));
  // VACUUM (alone: not in a multi-statement string) sets the visibility map, as autovacuum does in service.
  MOSAICO_ASSERT_OK(conn->ExecScript("VACUUM ANALYZE sequence_metadata_values"));
  std::vector<std::string> params;
  auto param = [&](const std::string& v) {
    params.push_back(v);
    return "'" + v + "'";  // inlined for EXPLAIN: the test's values hold no quote
  };
  auto plan_of = [&](const MetadataPredicate& m) {
    const std::string sql = postgres::MetadataValuesSql(postgres::MetadataOwner::kSequence, m, param);
    EXPECT_FALSE(sql.empty());
    auto plan = conn->Exec("EXPLAIN " + sql);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString() << "\n" << sql;
    std::string text;
    for (int r = 0; plan.ok() && r < plan->rows(); ++r) text += plan->Text(r, 0) + "\n";
    return text;
  };
  const std::string range =
      plan_of({{"env", "temp_c"}, {PredicateOp::kBetween, {int64_t{30}, int64_t{31}}}});
  // Migration 13: the sequence ids come from the index pages, not from one heap page per member.
  EXPECT_NE(range.find("Index Only Scan using sequence_metadata_values_by_number_covering"), std::string::npos)
      << range;
  const std::string wildcard = plan_of({{"**", "fw"}, {PredicateOp::kEq, {std::string("1.42")}}});
  EXPECT_NE(wildcard.find("sequence_metadata_values_by_name"), std::string::npos) << wildcard;
  // Not served (left to the JSONB conditions): string equality on a plain key, $nex, a key ending in "**".
  constexpr auto kSeq = postgres::MetadataOwner::kSequence;
  EXPECT_TRUE(postgres::MetadataValuesSql(kSeq, {{"site"}, {PredicateOp::kEq, {std::string("lab")}}}, param).empty());
  EXPECT_TRUE(postgres::MetadataValuesSql(kSeq, {{"**", "fw"}, {PredicateOp::kNotExists, {}}}, param).empty());
  EXPECT_TRUE(postgres::MetadataValuesSql(kSeq, {{"env", "**"}, {PredicateOp::kEq, {int64_t{1}}}}, param).empty());
}

}  // namespace
}  // namespace mosaico::catalog::testing
