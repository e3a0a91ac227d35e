// A PostgreSQL catalog holding one sequence per given user_metadata text (named "s<index>", stored verbatim: the
// JSONB copy and the metadata values rows come from the catalog's own triggers), plus a direct connection to it
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

  std::unique_ptr<postgres::PgConnection> conn_;
};

}  // namespace mosaico::catalog::testing
