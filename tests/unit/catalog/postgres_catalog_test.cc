// What the PostgreSQL catalog adds beyond the shared contract tests (which run on both backends through
// OnEachBackend): several catalogs (= daemons) on one database claiming jobs concurrently without sharing one
// (FOR UPDATE SKIP LOCKED), many threads over the fixed-size pool, idempotent migrations, metadata stored
// verbatim, and byte-order sorting. Skipped unless MOSAICOD_TEST_PG_URL is set (catalog_test_util.h).
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"
#include "mosaico/catalog/catalog_url.h"
#include "mosaico/catalog/postgres/pg_admin.h"
#include "mosaico/catalog/postgres/pg_conn.h"
#include "mosaico/catalog/postgres/pg_metadata_sql.h"
#include "mosaico/catalog/postgres/pg_migrations.h"

namespace mosaico::catalog::testing {
namespace {

class PostgresCatalogTest : public CatalogTest {
 protected:
  Backend backend() const override { return Backend::kPostgres; }
};

// Catalog behaviour both backends must share, beyond the converted suites.
class BackendParityTest : public OnEachBackend<CatalogTest> {};

TEST_F(PostgresCatalogTest, UrlIsAServerBackend) {
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto file, CatalogFileOfUrl(catalog_url()));
  EXPECT_FALSE(file.has_value());
  MOSAICO_ASSERT_OK_AND_ASSIGN(std::string other, postgres::UrlWithDatabase("postgresql://u@h:1/a?x=y", "b"));
  EXPECT_EQ(other, "postgresql://u@h:1/b?x=y");
  EXPECT_TRUE(postgres::UrlWithDatabase("postgresql://u@h:1/a", "B; DROP").status().IsInvalid());
}

TEST_F(PostgresCatalogTest, ReopenIsIdempotentAndPersists) {
  MustCreateSequence("kept");
  catalog_.reset();
  MOSAICO_ASSERT_OK_AND_ASSIGN(catalog_, OpenCatalog(catalog_url()));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto second, OpenCatalog(catalog_url()));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto all, second->ListSequences());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].name, "kept");
}

// Migration 7: with statistics on jsonb_typeof the planner knows unparsed metadata is rare, so the probe FindTopics
// runs with pushed metadata predicates (a column of its statement, and a statement of its own when that column says
// yes) reads the (empty) partial indexes instead of scanning every row (without them it estimated 99.5% of rows
// unparsed: 0.45 s at 1M topics).
TEST_F(PostgresCatalogTest, TheUnparsedMetadataProbeUsesThePartialIndexes) {
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto conn, postgres::PgConnection::Connect(catalog_url()));
  MOSAICO_ASSERT_OK(conn->ExecScript(
      "INSERT INTO sequences (name, user_metadata, created_at_ns) "
      "SELECT 'run_' || g, '{\"site\":\"lab\",\"n\":' || g || '}', 1 FROM generate_series(1, 5000) g; "
      "ANALYZE sequences;"));
  MOSAICO_ASSERT_OK_AND_ASSIGN(
      auto plan, conn->Exec("EXPLAIN SELECT EXISTS (SELECT 1 FROM sequences WHERE metadata_jsonb IS NULL OR "
                            "jsonb_typeof(metadata_jsonb) <> 'object')"));
  std::string text;
  for (int r = 0; r < plan.rows(); ++r) text += plan.Text(r, 0) + "\n";
  EXPECT_NE(text.find("sequences_metadata_unparsed"), std::string::npos) << text;
  EXPECT_EQ(text.find("Seq Scan"), std::string::npos) << text;
}

// Migration 8: equalities on wildcard keys ("**.fw") are served by the members index, whose expression FindTopics
// must spell exactly (pg_metadata_sql.h, MetadataMembersSql) or the planner cannot use it; after dropping it and
// the migration's row, reopening rebuilds it over the existing rows.
TEST_F(PostgresCatalogTest, WildcardKeyEqualitiesUseTheMembersIndex) {
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto conn, postgres::PgConnection::Connect(catalog_url()));
  MOSAICO_ASSERT_OK(conn->ExecScript(
      "DROP INDEX sequences_metadata_members; DROP INDEX topics_metadata_members; "
      "DELETE FROM schema_migrations WHERE version >= 8; "
      "INSERT INTO sequences (name, user_metadata, created_at_ns) "
      "SELECT 'run_' || g, '{\"site\":\"lab\",\"robot\":{\"fw\":\"1.' || g || '\"}}', 1 "
      "FROM generate_series(1, 5000) g;"));
  catalog_.reset();
  MOSAICO_ASSERT_OK_AND_ASSIGN(catalog_, OpenCatalog(catalog_url()));
  MOSAICO_ASSERT_OK(conn->ExecScript("ANALYZE sequences"));
  MOSAICO_ASSERT_OK_AND_ASSIGN(
      auto plan, conn->Exec("EXPLAIN SELECT id FROM sequences WHERE " +
                            postgres::MetadataMembersSql("metadata_jsonb") +
                            " @> '[{\"key\":\"fw\",\"value\":\"1.42\"}]'::jsonb"));
  std::string text;
  for (int r = 0; r < plan.rows(); ++r) text += plan.Text(r, 0) + "\n";
  EXPECT_NE(text.find("sequences_metadata_members"), std::string::npos) << text;
  EXPECT_EQ(text.find("Seq Scan"), std::string::npos) << text;
  TopicFilter f;
  f.sequence.metadata.push_back({{"**", "fw"}, {PredicateOp::kIn, {std::string("1.42"), std::string("1.4200")}}});
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto none, catalog_->FindTopics(f));  // FindTopics lists topics: none yet
  EXPECT_TRUE(none.empty());
  MOSAICO_ASSERT_OK_AND_ASSIGN(
      auto found, conn->Exec("SELECT count(*) FROM sequences WHERE " + postgres::MetadataMembersSql("metadata_jsonb") +
                             " @> '[{\"key\":\"fw\",\"value\":\"1.42\"}]'::jsonb"));
  EXPECT_EQ(found.Text(0, 0), "1");
}

// Migration 4 (metadata queries in SQL) on a catalog made before it: the C-collated name index and the partial
// indexes of unparsed metadata appear, and pushed-down queries find what was stored before.
TEST_F(PostgresCatalogTest, Migration4AddsTheQueryIndexesToAnExistingCatalog) {
  MOSAICO_ASSERT_OK(catalog_->CreateSequence("old_run", R"({"env":{"weather":"rain"}})", 1).status());
  catalog_.reset();
  const char* kIndexes =
      "SELECT count(*) FROM pg_indexes WHERE indexname IN "
      "('sequences_name_c', 'sequences_metadata_unparsed', 'topics_metadata_unparsed')";
  {
    MOSAICO_ASSERT_OK_AND_ASSIGN(auto conn, postgres::PgConnection::Connect(catalog_url()));
    MOSAICO_ASSERT_OK(conn->ExecScript(
        "DROP INDEX sequences_name_c; DROP INDEX sequences_metadata_unparsed; DROP INDEX topics_metadata_unparsed; "
        "DELETE FROM schema_migrations WHERE version >= 4;"));
    MOSAICO_ASSERT_OK_AND_ASSIGN(auto none, conn->Exec(kIndexes));
    EXPECT_EQ(none.Text(0, 0), "0");
  }
  MOSAICO_ASSERT_OK_AND_ASSIGN(catalog_, OpenCatalog(catalog_url()));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto conn, postgres::PgConnection::Connect(catalog_url()));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto all, conn->Exec(kIndexes));
  EXPECT_EQ(all.Text(0, 0), "3");
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto version, conn->Exec("SELECT max(version) FROM schema_migrations"));
  EXPECT_EQ(version.Text(0, 0), std::to_string(postgres::PgLatestSchemaVersion()));
  MustCreateTopic(MustCreateSession("old_run", "k"), "imu");
  TopicFilter f;
  f.sequence.metadata.push_back({{"env", "weather"}, {PredicateOp::kEq, {std::string("rain")}}});
  f.sequence.fields.push_back({EntityField::kName, {PredicateOp::kMatch, {std::string("old_*")}}});
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto found, catalog_->FindTopics(f));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].sequence_name + "/" + found[0].topic_name, "old_run/imu");
}

// Migration 11 (covering topic indexes) on a catalog at version 10: the covering indexes appear, the narrow tag index
// goes, re-running it over its own indexes is harmless, and a FindTopics-shaped read of the topics is then served
// from the index alone (an INCLUDE column missing would make it read the heap).
TEST_F(PostgresCatalogTest, Migration11CoversTheAnswerColumnsOfAnExistingCatalog) {
  MOSAICO_ASSERT_OK(catalog_->CreateSequence("old_run", "{}", 1).status());
  MustCreateTopic(MustCreateSession("old_run", "k"), "imu");
  catalog_.reset();
  const char* kIndexes =
      "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'topics' AND indexname "
      "IN ('topics_by_sequence_covering', 'topics_by_ontology_tag_covering', 'topics_by_ontology_tag')";
  {
    MOSAICO_ASSERT_OK_AND_ASSIGN(auto conn, postgres::PgConnection::Connect(catalog_url()));
    MOSAICO_ASSERT_OK(conn->ExecScript(
        "DROP INDEX topics_by_sequence_covering; DROP INDEX topics_by_ontology_tag_covering; "
        "CREATE INDEX topics_by_ontology_tag ON topics (ontology_tag, sequence_id); "
        "DELETE FROM schema_migrations WHERE version >= 11;"));
    MOSAICO_ASSERT_OK_AND_ASSIGN(auto old, conn->Exec(kIndexes));
    EXPECT_EQ(old.Text(0, 0), "topics_by_ontology_tag");
  }
  MOSAICO_ASSERT_OK_AND_ASSIGN(catalog_, OpenCatalog(catalog_url()));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto conn, postgres::PgConnection::Connect(catalog_url()));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto now, conn->Exec(kIndexes));
  EXPECT_EQ(now.Text(0, 0), "topics_by_ontology_tag_covering,topics_by_sequence_covering");
  catalog_.reset();  // once more from version 10, its indexes already there
  MOSAICO_ASSERT_OK(conn->ExecScript("DELETE FROM schema_migrations WHERE version >= 11;"));
  MOSAICO_ASSERT_OK_AND_ASSIGN(catalog_, OpenCatalog(catalog_url()));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto version, conn->Exec("SELECT max(version) FROM schema_migrations"));
  EXPECT_EQ(version.Text(0, 0), std::to_string(postgres::PgLatestSchemaVersion()));

  MOSAICO_ASSERT_OK(conn->ExecScript("VACUUM topics"));
  MOSAICO_ASSERT_OK(conn->ExecScript("SET enable_seqscan = off; SET enable_bitmapscan = off"));
  const std::string columns = "SELECT t.sequence_id, t.id, t.name, t.ontology_tag, t.data_ts_min, t.data_ts_max, "
                              "t.created_at_ns FROM topics t ";
  for (const auto& [where, index] : std::vector<std::pair<std::string, std::string>>{
           {"WHERE t.sequence_id = 1 ORDER BY t.name", "topics_by_sequence_covering"},
           {"WHERE t.ontology_tag = 'imu'", "topics_by_ontology_tag_covering"}}) {
    MOSAICO_ASSERT_OK_AND_ASSIGN(auto plan, conn->Exec("EXPLAIN " + columns + where));
    std::string text;
    for (int r = 0; r < plan.rows(); ++r) text += plan.Text(r, 0) + "\n";
    EXPECT_NE(text.find("Index Only Scan using " + index), std::string::npos) << text;
  }
  TopicFilter f;
  f.ontology_tags = std::vector<std::string>{"imu"};
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto found, catalog_->FindTopics(f));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].sequence_name + "/" + found[0].topic_name, "old_run/imu");
}

// Behind a selective topic metadata condition (a string $eq/$in on a plain key) FindTopics spells the tag so that the
// metadata GIN index drives alone and the tag is checked on its candidates' rows: no BitmapAnd with the tag index,
// which at 1M topics walked 100000 entries of one tag for a 19880-topic answer (pg_metadata_sql.h, TopicTagSql).
TEST_F(PostgresCatalogTest, SelectiveTopicMetadataDrivesBeforeTheTagIndex) {
  using S = std::string;
  EXPECT_TRUE(postgres::SelectiveContainment({{"sensor", "model"}, {PredicateOp::kEq, {S("m3")}}}));
  EXPECT_TRUE(postgres::SelectiveContainment({{"model"}, {PredicateOp::kIn, {S("m3"), S("m4")}}}));
  EXPECT_FALSE(postgres::SelectiveContainment({{"calibrated"}, {PredicateOp::kEq, {ScalarValue(true)}}}));
  EXPECT_FALSE(postgres::SelectiveContainment({{"**", "fw"}, {PredicateOp::kEq, {S("1.2.3")}}}));
  EXPECT_FALSE(postgres::SelectiveContainment({{"rate"}, {PredicateOp::kEq, {ScalarValue(int64_t{10})}}}));
  EXPECT_FALSE(postgres::SelectiveContainment({{"model"}, {PredicateOp::kIn, {S("m3"), ScalarValue()}}}));
  EXPECT_FALSE(postgres::SelectiveContainment({{"model"}, {PredicateOp::kMatch, {S("m*")}}}));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto conn, postgres::PgConnection::Connect(catalog_url()));
  MOSAICO_ASSERT_OK(conn->ExecScript(
      "INSERT INTO sequences (name, user_metadata, created_at_ns) SELECT 'run_' || g, '{}', 1 "
      "FROM generate_series(1, 500) g; "
      "INSERT INTO sessions (sequence_id, session_key, uuid, created_at_ns) SELECT id, 'k', 'u' || id, 1 "
      "FROM sequences; "
      "INSERT INTO topics (sequence_id, session_id, name, uuid, ontology_tag, user_metadata, created_at_ns) "
      "SELECT s.sequence_id, s.id, 'tag' || k, 'tu' || s.id || '-' || k, 'tag' || k, "
      "'{\"model\":\"tag' || k || '-m' || (s.id % 5) || '\"}', 1 FROM sessions s, generate_series(0, 9) k;"));
  MOSAICO_ASSERT_OK(conn->ExecScript("VACUUM ANALYZE topics"));
  MOSAICO_ASSERT_OK(conn->ExecScript("SET enable_seqscan = off"));
  const std::string where = " = 'tag3' AND t.metadata_jsonb @> '{\"model\":\"tag3-m2\"}'::jsonb";
  MOSAICO_ASSERT_OK_AND_ASSIGN(
      auto plan, conn->Exec("EXPLAIN SELECT q.id, q.name, t.id, t.name FROM topics t JOIN sequences q ON "
                            "q.id = t.sequence_id WHERE " + postgres::TopicTagSql(true) + where));
  std::string text;
  for (int r = 0; r < plan.rows(); ++r) text += plan.Text(r, 0) + "\n";
  EXPECT_NE(text.find("Bitmap Index Scan on topics_metadata"), std::string::npos) << text;
  EXPECT_EQ(text.find("topics_by_ontology_tag_covering"), std::string::npos) << text;
  EXPECT_EQ(text.find("BitmapAnd"), std::string::npos) << text;
  MOSAICO_ASSERT_OK_AND_ASSIGN(
      auto found, conn->Exec("SELECT count(*) FROM topics t WHERE " + postgres::TopicTagSql(true) + where));
  EXPECT_EQ(found.Text(0, 0), "100");
}

TEST_F(PostgresCatalogTest, UnreachableServerIsIOError) {
  auto r = OpenCatalog("postgresql://postgres@127.0.0.1:1/none?connect_timeout=2");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsIOError()) << r.status().ToString();
}

TEST_F(PostgresCatalogTest, ManyThreadsShareTheFixedPool) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::string name = "s" + std::to_string(t) + "_" + std::to_string(i);
        if (!catalog_->CreateSequence(name, "{}", i).ok()) ++failures;
        if (!catalog_->GetSequence(name).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto all, catalog_->ListSequences());
  EXPECT_EQ(all.size(), 120u);
}

// Two catalogs on one database are two daemons: every job is handed out exactly once.
TEST_F(PostgresCatalogTest, ConcurrentClaimersOnTwoCatalogsNeverShareAJob) {
  constexpr int kJobs = 150;
  for (int i = 0; i < kJobs; ++i) {
    MOSAICO_ASSERT_OK(catalog_->EnqueueJob("k", "{}", i % 2 ? "dk" + std::to_string(i) : "", 0, 1).status());
  }
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto second, OpenCatalog(catalog_url()));
  std::vector<std::shared_ptr<Catalog>> daemons = {catalog_, second};
  std::vector<std::vector<int64_t>> got(6);
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      Catalog& cat = *daemons[t % 2];
      const std::string owner = "w" + std::to_string(t);
      while (true) {
        auto c = cat.ClaimJob(owner, 10, 1000000);
        if (!c.ok()) {
          failed = true;
          return;
        }
        if (!*c) return;
        got[t].push_back((*c)->id);
        if (!cat.CompleteJob((*c)->id, owner, 11).ok()) failed = true;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_FALSE(failed);
  std::vector<int64_t> all;
  for (const auto& g : got) all.insert(all.end(), g.begin(), g.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kJobs));
  EXPECT_EQ(std::set<int64_t>(all.begin(), all.end()).size(), static_cast<size_t>(kJobs));
}

TEST_P(BackendParityTest, MetadataIsStoredVerbatim) {
  const std::string odd = "{ \"b\" : 1,\n \"a\": [1.50, 2e3], \"b\": 2 }";
  MOSAICO_ASSERT_OK_AND_ASSIGN(SequenceRecord s, catalog_->CreateSequence("verbatim", odd, 1));
  MOSAICO_ASSERT_OK_AND_ASSIGN(SequenceRecord got, catalog_->GetSequence("verbatim"));
  EXPECT_EQ(got.user_metadata_json, odd);
  // Duplicate keys: the last occurrence counts, on both backends.
  TopicFilter f;
  f.sequence.metadata.push_back({{"b"}, ScalarPredicate{PredicateOp::kEq, {int64_t{2}}}});
  SessionRecord session = MustCreateSession("verbatim", "S");
  MustCreateTopic(session, "t");
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto matches, catalog_->FindTopics(f));
  EXPECT_EQ(matches.size(), 1u);
  f.sequence.metadata[0].predicate.args = {int64_t{1}};
  MOSAICO_ASSERT_OK_AND_ASSIGN(matches, catalog_->FindTopics(f));
  EXPECT_EQ(matches.size(), 0u);
}

TEST_P(BackendParityTest, NonObjectMetadataFailsAMetadataQuery) {
  MOSAICO_ASSERT_OK(catalog_->CreateSequence("bad", "not json", 1).status());
  SessionRecord session = MustCreateSession("bad", "S");
  MustCreateTopic(session, "t");
  TopicFilter f;
  f.sequence.metadata.push_back({{"x"}, ScalarPredicate{PredicateOp::kExists, {}}});
  auto r = catalog_->FindTopics(f);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsIOError()) << r.status().ToString();
  EXPECT_TRUE(MessageHas(r.status(), "not a JSON object"));
}

TEST_P(BackendParityTest, NamesSortInByteOrder) {
  for (const char* name : {"b", "B", "a", "\xc3\xa9", "_"}) MustCreateSequence(name);
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto all, catalog_->ListSequences());
  std::vector<std::string> names;
  for (const auto& s : all) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"B", "_", "a", "b", "\xc3\xa9"}));
  TopicFilter f;
  f.sequence.fields.push_back({EntityField::kName, ScalarPredicate{PredicateOp::kGt, {std::string("Z")}}});
  for (const auto& s : all) MustCreateTopic(MustCreateSession(s.name, "S"), "t");
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto matches, catalog_->FindTopics(f));
  std::vector<std::string> got;
  for (const auto& m : matches) got.push_back(m.sequence_name);
  EXPECT_EQ(got, (std::vector<std::string>{"_", "a", "b", "\xc3\xa9"}));
}

MOSAICO_CATALOG_BACKENDS(BackendParityTest);

}  // namespace
}  // namespace mosaico::catalog::testing
