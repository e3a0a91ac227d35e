// A PostgreSQL catalog holding one sequence per given user_metadata text (named "s<index>", stored verbatim: the
// JSONB copy and the metadata values rows come from the catalog's own triggers), optionally one topic per text too
// (named "t<index>"), plus a direct connection to it
// for SQL the tests run themselves. Shared by the tests that compare the metadata SQL generators against
// MetadataMatcher document by document. Skipped unless MOSAICOD_TEST_PG_URL is set (catalog_test_util.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"
#include "mosaico/catalog/postgres/pg_conn.h"

namespace mosaico::catalog::testing {

class PostgresDocumentsTest : public CatalogTest {
 protected:
  Backend backend() const override { return Backend::kPostgres; }

  // Connects conn_ and inserts documents[i] as sequence "s<i>". Fails the test (fatally) on any error; call it
  // from SetUp after CatalogTest::SetUp and check HasFatalFailure().
  void InsertSequenceDocuments(const std::vector<std::string>& documents) {
    auto conn = postgres::PgConnection::Connect(catalog_url());
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    conn_ = std::move(*conn);
    for (size_t i = 0; i < documents.size(); ++i) {
      auto res = conn_->Exec("INSERT INTO sequences (name, user_metadata, created_at_ns) VALUES ($1, $2, 1)",
                             postgres::PgParams::Of("s" + std::to_string(i), documents[i]));
      ASSERT_TRUE(res.ok()) << documents[i] << ": " << res.status().ToString();
    }
  }

  // Inserts documents[i] as topic "t<i>" of one more sequence, "s_topics" (metadata {}), through conn_ (call it
  // after InsertSequenceDocuments); the topic metadata values rows come from the catalog's triggers.
  void InsertTopicDocuments(const std::vector<std::string>& documents) {
    ASSERT_NE(conn_, nullptr);
    auto seq = conn_->Exec("INSERT INTO sequences (name, created_at_ns) VALUES ('s_topics', 1) RETURNING id");
    ASSERT_TRUE(seq.ok()) << seq.status().ToString();
    auto session = conn_->Exec("INSERT INTO sessions (sequence_id, session_key, uuid, created_at_ns) "
                               "VALUES ($1, 'k', 's_topics-session', 1) RETURNING id",
                               postgres::PgParams::Of(seq->Int64(0, 0)));
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    for (size_t i = 0; i < documents.size(); ++i) {
      const std::string name = "t" + std::to_string(i);
      auto res = conn_->Exec("INSERT INTO topics (sequence_id, session_id, name, uuid, user_metadata, created_at_ns) "
                             "VALUES ($1, $2, $3, $4, $5, 1)",
                             postgres::PgParams::Of(seq->Int64(0, 0), session->Int64(0, 0), name,
                                                    "uuid-" + name, documents[i]));
      ASSERT_TRUE(res.ok()) << documents[i] << ": " << res.status().ToString();
    }
  }

  std::unique_ptr<postgres::PgConnection> conn_;
};

}  // namespace mosaico::catalog::testing
