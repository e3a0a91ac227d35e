// Monitoring (server/monitoring.h, service_metrics.h): readiness from the catalog and the store, with a time limit
// that holds when a backend hangs; the cached catalog figures on /metrics (counts, job queue by kind and state);
// the gRPC code names the RPC metrics use; the HTTP endpoints end to end on a free port.
#include <chrono>
#include <filesystem>
#include <thread>

#include <arrow/flight/types.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "catalog/catalog_test_util.h"
#include "jobs/compaction_test_util.h"
#include "mosaico/core/errors.h"
#include "mosaico/http/http_listener.h"
#include "mosaico/server/monitoring.h"
#include "mosaico/server/service_metrics.h"

namespace mosaico::server {
namespace {

using namespace std::chrono_literals;
using catalog::testing::TempDir;

bool Has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

// A real SQLite catalog whose Ping / GetStats a test can slow down.
class SlowCatalog : public jobs::testing::ForwardingCatalog {
 public:
  using ForwardingCatalog::ForwardingCatalog;
  std::atomic<int> ping_sleep_ms{0};
  arrow::Status Ping() override {
    std::this_thread::sleep_for(std::chrono::milliseconds(ping_sleep_ms.load()));
    return inner().Ping();
  }
  arrow::Result<catalog::CatalogStats> GetStats() override { return inner().GetStats(); }
};

class MonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = catalog::OpenCatalog((dir_.path() / "catalog.db").string());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    catalog_ = std::make_shared<SlowCatalog>(*opened);
    auto store = store::ObjectStore::Open((dir_.path() / "store").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = *store;
  }

  std::unique_ptr<Monitor> Make(MonitorOptions options = {}) {
    return std::make_unique<Monitor>(catalog_, store_, options);
  }

  TempDir dir_;
  std::shared_ptr<SlowCatalog> catalog_;
  std::shared_ptr<store::ObjectStore> store_;
};

TEST_F(MonitorTest, ReadyWhenCatalogAndStoreAnswer) {
  auto monitor = Make();
  auto st = monitor->CheckReady();
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST_F(MonitorTest, NotReadyWhenTheStoreDirectoryIsGone) {
  auto monitor = Make();
  std::filesystem::rename(dir_.path() / "store", dir_.path() / "store-moved");
  auto st = monitor->CheckReady();
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Has(st.message(), "store: store directory '")) << st.message();
  EXPECT_TRUE(Has(st.message(), "does not exist")) << st.message();
  EXPECT_FALSE(Has(st.message(), "catalog:")) << st.message();
  std::filesystem::rename(dir_.path() / "store-moved", dir_.path() / "store");
  EXPECT_TRUE(monitor->CheckReady().ok());
}

TEST_F(MonitorTest, AHangingCatalogFailsWithinTheTimeoutAndRecovers) {
  MonitorOptions options;
  options.probe_timeout = 200ms;
  auto monitor = Make(options);
  catalog_->ping_sleep_ms = 1500;
  auto started = std::chrono::steady_clock::now();
  auto st = monitor->CheckReady();
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Has(st.message(), "catalog: no answer within 0.2 s")) << st.message();
  EXPECT_FALSE(Has(st.message(), "store:")) << "the store probe runs on its own worker\n" << st.message();
  // A second probe while the first is stuck waits no longer than its own limit (nothing piles up).
  st = monitor->CheckReady();
  EXPECT_FALSE(st.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1000ms);
  catalog_->ping_sleep_ms = 0;
  std::this_thread::sleep_for(1700ms);  // the stuck probe returns
  st = monitor->CheckReady();
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST_F(MonitorTest, ShuttingDownIsNotReady) {
  auto monitor = Make();
  monitor->SetShuttingDown();
  auto st = monitor->CheckReady();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "shutting down");
}

TEST_F(MonitorTest, CatalogFiguresAreCachedAndShowTheQueueByKindAndState) {
  MonitorOptions options;
  options.stats_ttl = 1h;
  auto monitor = Make(options);
  ASSERT_TRUE(catalog_->CreateSequence("s1", "{}", 1).ok());
  ASSERT_TRUE(catalog_->EnqueueJob("unit_kind", "{}", "", 0, 1).ok());
  ASSERT_TRUE(catalog_->EnqueueJob("unit_kind", "{}", "", 0, 1).ok());
  std::string text = monitor->RenderMetrics();
  EXPECT_TRUE(Has(text, "\nmosaicod_catalog_sequences 1\n")) << text;
  EXPECT_TRUE(Has(text, "\nmosaicod_catalog_topics 0\n")) << text;
  EXPECT_TRUE(Has(text, "mosaicod_job_queue_depth{kind=\"unit_kind\",state=\"pending\"} 2\n")) << text;
  EXPECT_TRUE(Has(text, "# TYPE mosaicod_jobs_failed gauge\n")) << text;
  EXPECT_TRUE(Has(text, "\nmosaicod_catalog_stats_age_seconds ")) << text;

  ASSERT_TRUE(catalog_->CreateSequence("s2", "{}", 1).ok());
  text = monitor->RenderMetrics();
  EXPECT_TRUE(Has(text, "\nmosaicod_catalog_sequences 1\n")) << "cached for stats_ttl\n" << text;

  // A fresh monitor (ttl 0) reads again; a kind seen before and now gone from the queue shows 0.
  auto claimed = catalog_->ClaimJob("w", 2, 1000000000);
  ASSERT_TRUE(claimed.ok() && *claimed);
  ASSERT_TRUE(catalog_->FailJob((*claimed)->id, "w", "boom", 2, /*give_up=*/true, 2).ok());
  options.stats_ttl = 0ms;
  monitor = Make(options);
  text = monitor->RenderMetrics();
  EXPECT_TRUE(Has(text, "\nmosaicod_catalog_sequences 2\n")) << text;
  EXPECT_TRUE(Has(text, "mosaicod_job_queue_depth{kind=\"unit_kind\",state=\"pending\"} 1\n")) << text;
  EXPECT_TRUE(Has(text, "mosaicod_jobs_failed{kind=\"unit_kind\"} 1\n")) << text;
  claimed = catalog_->ClaimJob("w", 3, 1000000000);
  ASSERT_TRUE(claimed.ok() && *claimed);
  text = monitor->RenderMetrics();
  EXPECT_TRUE(Has(text, "mosaicod_job_queue_depth{kind=\"unit_kind\",state=\"pending\"} 0\n")) << text;
  EXPECT_TRUE(Has(text, "mosaicod_job_queue_depth{kind=\"unit_kind\",state=\"running\"} 1\n")) << text;
}

TEST(GrpcCodeName, FollowsTheFlightTransportMapping) {
  namespace fl = arrow::flight;
  EXPECT_EQ(GrpcCodeName(arrow::Status::OK()), "OK");
  EXPECT_EQ(GrpcCodeName(arrow::Status::Invalid("x")), "INVALID_ARGUMENT");
  EXPECT_EQ(GrpcCodeName(arrow::Status::KeyError("x")), "NOT_FOUND");
  EXPECT_EQ(GrpcCodeName(arrow::Status::AlreadyExists("x")), "ALREADY_EXISTS");
  EXPECT_EQ(GrpcCodeName(arrow::Status::Cancelled("x")), "CANCELLED");
  EXPECT_EQ(GrpcCodeName(arrow::Status::NotImplemented("x")), "UNIMPLEMENTED");
  EXPECT_EQ(GrpcCodeName(arrow::Status::IOError("x")), "UNKNOWN");
  EXPECT_EQ(GrpcCodeName(fl::MakeFlightError(fl::FlightStatusCode::Unauthenticated, "x")), "UNAUTHENTICATED");
  EXPECT_EQ(GrpcCodeName(fl::MakeFlightError(fl::FlightStatusCode::Unauthorized, "x")), "PERMISSION_DENIED");
  EXPECT_EQ(GrpcCodeName(fl::MakeFlightError(fl::FlightStatusCode::Unavailable, "x")), "UNAVAILABLE");
  EXPECT_EQ(GrpcCodeName(fl::MakeFlightError(fl::FlightStatusCode::TimedOut, "x")), "DEADLINE_EXCEEDED");
  EXPECT_EQ(GrpcCodeName(fl::MakeFlightError(fl::FlightStatusCode::Internal, "x")), "INTERNAL");
}

TEST_F(MonitorTest, EndpointsOverHttp) {
  ServerConfig config;
  config.http_port = 0;  // 0 is "off" ...
  auto off = Monitoring::Bind(config, catalog_, store_);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(*off, nullptr);

  // ... so take a free port first, then ask for it explicitly.
  int port = 0;
  {
    auto probe = http::HttpListener::Bind("127.0.0.1", 0, {});
    ASSERT_TRUE(probe.ok());
    port = (*probe)->port();
  }
  config.http_port = port;
  RegisterServiceMetrics();
  auto bound = Monitoring::Bind(config, catalog_, store_);
  ASSERT_TRUE(bound.ok()) << bound.status().ToString();
  ASSERT_NE(*bound, nullptr);
  (*bound)->Start();

  // An explicit port that is taken refuses the start, naming the flag.
  auto taken = Monitoring::Bind(config, catalog_, store_);
  ASSERT_FALSE(taken.ok());
  EXPECT_TRUE(Has(taken.status().message(), "--http-port")) << taken.status().ToString();

  httplib::Client client("127.0.0.1", port);
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto ready = client.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_TRUE(Has(metrics->body, "# TYPE mosaicod_rpc_requests_total counter")) << metrics->body;
  EXPECT_TRUE(Has(metrics->body, "mosaicod_uploads_total{outcome=\"committed\"} ")) << metrics->body;
  EXPECT_TRUE(Has(metrics->body, "mosaicod_build_info{version=\"")) << metrics->body;

  std::filesystem::rename(dir_.path() / "store", dir_.path() / "store-moved");
  ready = client.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_TRUE(Has(ready->body, "not ready\nstore: ")) << ready->body;

  (*bound)->SetShuttingDown();
  ready = client.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(ready->body, "not ready\nshutting down\n");
  (*bound)->Stop();
}

}  // namespace
}  // namespace mosaico::server
