// PostgreSQL statement plumbing behind the catalog's speed (issue 12 item 4):
//  - PgConnection's prepared-statement cache (pg_conn.h): a text runs unprepared once, is prepared the second time,
//    then runs by name with the same results (text, NULL and binary parameters); ExecUnprepared never caches;
//    one-off texts do not fill the cache; a table that changes shape under a cached statement is re-run afresh;
//    statements stay valid across a rolled-back transaction.
//  - The topic data interval on the topic row (migration 10): kept by every chunk write (commit, replace with a
//    narrower and a wider interval), read by FindTopics, and backfilled by the migration on an older catalog.
// Skipped unless MOSAICOD_TEST_PG_URL is set (catalog_test_util.h).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"
#include "mosaico/catalog/postgres/pg_conn.h"
#include "mosaico/catalog/postgres/pg_migrations.h"

namespace mosaico::catalog::testing {
namespace {

class PostgresStatementsTest : public CatalogTest {
 protected:
  Backend backend() const override { return Backend::kPostgres; }

  std::unique_ptr<postgres::PgConnection> Connect() {
    auto conn = postgres::PgConnection::Connect(catalog_url());
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    return conn.ok() ? std::move(*conn) : nullptr;
  }

  static ChunkRecord Chunk(int32_t index, int64_t ts_min, int64_t ts_max) {
    ChunkRecord c;
    c.index = index;
    c.object_key = "k/" + std::to_string(index) + "-" + std::to_string(ts_min);
    c.row_count = 10;
    c.size_bytes = 100;
    c.ts_min = ts_min;
    c.ts_max = ts_max;
    c.checksum = "c";
    return c;
  }

  // FindTopics' interval of sequence "s", topic "t".
  std::pair<std::optional<int64_t>, std::optional<int64_t>> Interval() {
    TopicFilter f;
    f.sequence.fields.push_back({EntityField::kName, {PredicateOp::kEq, {std::string("s")}}});
    f.topic.fields.push_back({EntityField::kName, {PredicateOp::kEq, {std::string("t")}}});
    auto found = catalog_->FindTopics(f);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    if (!found.ok() || found->size() != 1) {
      ADD_FAILURE() << "expected one topic";
      return {};
    }
    return {(*found)[0].ts_min, (*found)[0].ts_max};
  }
};

TEST_F(PostgresStatementsTest, RepeatedTextsRunPrepared) {
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  const std::string sql = "SELECT $1::text || '|' || coalesce($2::text, 'null') || '|' || length($3::bytea)";
  const std::string bytes("a\0b\xff", 4);
  for (int i = 0; i < 8; ++i) {
    MOSAICO_ASSERT_OK_AND_ASSIGN(
        postgres::PgResult res,
        conn->Exec(sql, postgres::PgParams::Of("x" + std::to_string(i), std::nullopt, postgres::Bytes{bytes})));
    EXPECT_EQ(res.Text(0, 0), "x" + std::to_string(i) + "|null|4");
    EXPECT_EQ(conn->prepared_statements(), i == 0 ? 0u : 1u) << i;  // prepared from the second run on
  }
  MOSAICO_ASSERT_OK_AND_ASSIGN(postgres::PgResult names,
                               conn->Exec("SELECT count(*) FROM pg_prepared_statements WHERE statement = $1",
                                          postgres::PgParams::Of(sql)));
  EXPECT_EQ(names.Text(0, 0), "1");  // on the server, once
  // Never prepared: ExecUnprepared; one-off texts.
  for (int i = 0; i < 3; ++i) {
    MOSAICO_ASSERT_OK(conn->ExecUnprepared("SELECT 7 WHERE $1::int > 0", postgres::PgParams::Of(i + 1)).status());
    MOSAICO_ASSERT_OK(conn->Exec("SELECT " + std::to_string(i)).status());
  }
  // (the pg_prepared_statements query above ran once: not prepared either)
  EXPECT_EQ(conn->prepared_statements(), 1u);
}

TEST_F(PostgresStatementsTest, APreparedStatementSurvivesRollbackErrorsAndShapeChanges) {
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  MOSAICO_ASSERT_OK(conn->ExecScript("CREATE TABLE scratch (a INT); INSERT INTO scratch VALUES (1)"));
  const std::string select = "SELECT * FROM scratch WHERE a >= $1";
  for (int i = 0; i < 2; ++i) MOSAICO_ASSERT_OK(conn->Exec(select, postgres::PgParams::Of(0)).status());
  ASSERT_EQ(conn->prepared_statements(), 1u);
  {
    MOSAICO_ASSERT_OK_AND_ASSIGN(auto txn, postgres::PgTransaction::Begin(conn.get()));
    MOSAICO_ASSERT_OK(conn->Exec(select, postgres::PgParams::Of(0)).status());
  }  // rolled back: the statement is not transactional
  MOSAICO_ASSERT_OK_AND_ASSIGN(postgres::PgResult after, conn->Exec(select, postgres::PgParams::Of(0)));
  EXPECT_EQ(after.rows(), 1);
  // An error in a prepared statement's execution is an ordinary error; the statement stays usable.
  auto bad = conn->Exec(select, postgres::PgParams::Of("not a number"));
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(postgres::PgSqlState(bad.status()), "22P02");
  // The table changes shape: "cached plan must not change result type" is handled by running the text afresh.
  MOSAICO_ASSERT_OK(conn->ExecScript("ALTER TABLE scratch ADD COLUMN b TEXT DEFAULT 'z'"));
  MOSAICO_ASSERT_OK_AND_ASSIGN(postgres::PgResult widened, conn->Exec(select, postgres::PgParams::Of(0)));
  ASSERT_EQ(widened.rows(), 1);
  EXPECT_EQ(widened.Text(0, 1), "z");
}

TEST_F(PostgresStatementsTest, TheTopicIntervalFollowsEveryChunkWrite) {
  MOSAICO_ASSERT_OK(catalog_->CreateSequence("s", "{}", 1).status());
  const TopicRecord topic = MustCreateTopic(MustCreateSession("s", "k"), "t");
  EXPECT_EQ(Interval(), std::make_pair(std::optional<int64_t>(), std::optional<int64_t>()));  // no chunks
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(topic.id, "u1", {Chunk(0, 50, 90), Chunk(1, 10, 40), Chunk(2, 60, 70)}));
  EXPECT_EQ(Interval(), std::make_pair(std::optional<int64_t>(10), std::optional<int64_t>(90)));
  // Replaced by a narrower interval (not the union with the old one), then a wider one.
  MOSAICO_ASSERT_OK(catalog_->ReplaceTopicData(topic.id, "u1", "u2", {Chunk(0, 20, 30)}));
  EXPECT_EQ(Interval(), std::make_pair(std::optional<int64_t>(20), std::optional<int64_t>(30)));
  MOSAICO_ASSERT_OK(catalog_->ReplaceTopicData(topic.id, "u2", "u3", {Chunk(0, -5, 10), Chunk(1, 11, 1000)}));
  EXPECT_EQ(Interval(), std::make_pair(std::optional<int64_t>(-5), std::optional<int64_t>(1000)));
  // What the columns hold equals the chunks' aggregate.
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  MOSAICO_ASSERT_OK_AND_ASSIGN(
      postgres::PgResult same,
      conn->Exec("SELECT count(*) FROM topics t LEFT JOIN (SELECT topic_id, min(ts_min) AS lo, max(ts_max) AS hi "
                 "FROM chunks GROUP BY topic_id) c ON c.topic_id = t.id "
                 "WHERE (t.data_ts_min, t.data_ts_max) IS DISTINCT FROM (c.lo, c.hi)"));
  EXPECT_EQ(same.Text(0, 0), "0");
}

TEST_F(PostgresStatementsTest, TheMigrationBackfillsTheInterval) {
  MOSAICO_ASSERT_OK(catalog_->CreateSequence("s", "{}", 1).status());
  const SessionRecord session = MustCreateSession("s", "k");
  const TopicRecord topic = MustCreateTopic(session, "t");
  MustCreateTopic(session, "empty");
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(topic.id, "u1", {Chunk(0, 7, 9), Chunk(1, 3, 5)}));
  // A topic whose id lies several backfill batches further (the backfill walks topic ids in ranges).
  {
    auto conn = Connect();
    ASSERT_NE(conn, nullptr);
    MOSAICO_ASSERT_OK(conn->ExecScript("ALTER TABLE topics ALTER COLUMN id RESTART WITH 70001"));
  }
  const TopicRecord far = MustCreateTopic(session, "u");
  ASSERT_GE(far.id, 70001);
  MOSAICO_ASSERT_OK(catalog_->CommitTopicData(far.id, "u2", {Chunk(0, 20, 30)}));
  // The catalog as it was before migration 10, reopened.
  catalog_.reset();
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  MOSAICO_ASSERT_OK(conn->ExecScript("ALTER TABLE topics DROP COLUMN data_ts_min, DROP COLUMN data_ts_max; "
                                     "DELETE FROM schema_migrations WHERE version >= 10"));
  MOSAICO_ASSERT_OK_AND_ASSIGN(catalog_, OpenCatalog(catalog_url()));
  MOSAICO_ASSERT_OK_AND_ASSIGN(postgres::PgResult rows,
                               conn->Exec("SELECT name, coalesce(data_ts_min::text, '-'), "
                                          "coalesce(data_ts_max::text, '-') FROM topics ORDER BY name"));
  ASSERT_EQ(rows.rows(), 3);
  EXPECT_EQ(rows.Text(0, 0) + rows.Text(0, 1) + rows.Text(0, 2), "empty--");
  EXPECT_EQ(rows.Text(1, 0) + rows.Text(1, 1) + rows.Text(1, 2), "t39");
  EXPECT_EQ(rows.Text(2, 0) + rows.Text(2, 1) + rows.Text(2, 2), "u2030");
  EXPECT_EQ(Interval(), std::make_pair(std::optional<int64_t>(3), std::optional<int64_t>(9)));
  MOSAICO_ASSERT_OK_AND_ASSIGN(postgres::PgResult version, conn->Exec("SELECT max(version) FROM schema_migrations"));
  EXPECT_EQ(version.Text(0, 0), std::to_string(postgres::PgLatestSchemaVersion()));
}

}  // namespace
}  // namespace mosaico::catalog::testing
