// The daemon registry (catalog.h, DaemonRecord): heartbeats insert then refresh, the live listing honours its
// horizon and orders by uri, a clean shutdown removes its row, dead rows age out. Run on every backend.
#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"

namespace mosaico::catalog::testing {
namespace {

class DaemonsTest : public OnEachBackend<CatalogTest> {};

TEST_P(DaemonsTest, HeartbeatsListAndAgeOut) {
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto none, catalog_->ListLiveDaemons(0));
  EXPECT_TRUE(none.empty());
  MOSAICO_ASSERT_OK(catalog_->HeartbeatDaemon("grpc://b:1", 10, 100));
  MOSAICO_ASSERT_OK(catalog_->HeartbeatDaemon("grpc://a:1", 20, 150));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto both, catalog_->ListLiveDaemons(100));
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0], (DaemonRecord{"grpc://a:1", 20, 150}));
  EXPECT_EQ(both[1], (DaemonRecord{"grpc://b:1", 10, 100}));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto recent, catalog_->ListLiveDaemons(101));
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_EQ(recent[0].uri, "grpc://a:1");

  // A refresh (also after a restart: a new started_at_ns) keeps one row per uri.
  MOSAICO_ASSERT_OK(catalog_->HeartbeatDaemon("grpc://b:1", 30, 200));
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto refreshed, catalog_->ListLiveDaemons(0));
  ASSERT_EQ(refreshed.size(), 2u);
  EXPECT_EQ(refreshed[1], (DaemonRecord{"grpc://b:1", 30, 200}));

  // Age-out: rows last seen before the horizon go; a named one goes whatever its age.
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto aged, catalog_->RemoveDaemons(std::nullopt, 160));
  EXPECT_EQ(aged, 1);
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto left, catalog_->ListLiveDaemons(0));
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].uri, "grpc://b:1");
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto named, catalog_->RemoveDaemons(std::string("grpc://b:1"), 0));
  EXPECT_EQ(named, 1);
  MOSAICO_ASSERT_OK_AND_ASSIGN(auto empty, catalog_->ListLiveDaemons(0));
  EXPECT_TRUE(empty.empty());
}

MOSAICO_CATALOG_BACKENDS(DaemonsTest);

}  // namespace
}  // namespace mosaico::catalog::testing
