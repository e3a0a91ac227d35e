// The PostgreSQL connection pool and its size (database.pool_size / --catalog-pool-size):
//  - PgPool opens at most its size: with every connection leased, Acquire waits until one comes back, and a
//    returned connection is reused rather than a new one opened.
//  - OpenCatalog passes CatalogOptions::pool_size down: many concurrent catalog calls on a pool of 2 leave at most
//    2 connections on the server; a size below 1 is refused with a message naming the setting.
// Skipped unless MOSAICOD_TEST_PG_URL is set (catalog_test_util.h).
#include <chrono>
#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"
#include "mosaico/catalog/postgres/pg_conn.h"

namespace mosaico::catalog::testing {
namespace {

class PostgresPoolTest : public CatalogTest {
 protected:
  Backend backend() const override { return Backend::kPostgres; }

  // Connections to this test's database other than the one asking.
  int64_t ServerConnections() {
    auto conn = postgres::PgConnection::Connect(catalog_url());
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    if (!conn.ok()) return -1;
    auto res = (*conn)->Exec(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    return res.ok() ? res->Int64(0, 0) : -1;
  }
};

TEST_F(PostgresPoolTest, APoolOpensAtMostItsSizeAndWaitsForAReturnedConnection) {
  catalog_.reset();  // only the pool under test talks to the database
  postgres::PgPool pool(catalog_url(), 2);
  auto first = pool.Acquire();
  auto second = pool.Acquire();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(ServerConnections(), 2);

  auto third = std::async(std::launch::async, [&pool] { return pool.Acquire(); });
  // A connection takes milliseconds to open: a pool that did not wait would have answered long before this.
  EXPECT_EQ(third.wait_for(std::chrono::milliseconds(500)), std::future_status::timeout);
  EXPECT_EQ(ServerConnections(), 2);

  { auto returned = std::move(*first); }  // the lease ends: its connection goes back to the pool
  ASSERT_EQ(third.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  auto got = third.get();
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  MOSAICO_ASSERT_OK((*got)->Exec("SELECT 1").status());
  EXPECT_EQ(ServerConnections(), 2);  // reused, not a third
}

TEST_F(PostgresPoolTest, TheCatalogsPoolSizeBoundsItsConnections) {
  catalog_.reset();
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto catalog, OpenCatalog(catalog_url(), {.pool_size = 2}));
  MOSAICO_ASSERT_OK(catalog->CreateSequence("s", "{}", 1).status());
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    callers.emplace_back([&catalog, &failures] {
      for (int i = 0; i < 25; ++i) {
        if (!catalog->GetSequence("s").ok()) ++failures;
      }
    });
  }
  for (auto& c : callers) c.join();
  EXPECT_EQ(failures.load(), 0);
  const int64_t open = ServerConnections();
  EXPECT_GE(open, 1);
  EXPECT_LE(open, 2);
}

TEST_F(PostgresPoolTest, APoolSizeBelowOneIsRefused) {
  auto opened = OpenCatalog(catalog_url(), {.pool_size = 0});
  ASSERT_FALSE(opened.ok());
  EXPECT_TRUE(opened.status().IsInvalid()) << opened.status().ToString();
  EXPECT_NE(opened.status().message().find("pool size"), std::string::npos) << opened.status().ToString();
}

}  // namespace
}  // namespace mosaico::catalog::testing
