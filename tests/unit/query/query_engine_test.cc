// QueryEngine over a real SQLite catalog and a temp store: reply shapes of docs/QUERY.md, ordering, null ranges,
// clusterize / intersect, and error kinds.
#include <gtest/gtest.h>

#include "mosaico/catalog/catalog.h"
#include "mosaico/ingest/schema_check.h"
#include "mosaico/query/query_engine.h"
#include "query_test_util.h"

namespace mosaico::query {
namespace {

using testing::BatchFromJson;
using testing::F;

std::shared_ptr<arrow::Schema> ImuSchema() {
  return arrow::schema({F("timestamp_ns", arrow::int64(), false),
                        F("acc", arrow::struct_({F("x", arrow::float64()), F("y", arrow::float64())})),
                        F("frame", arrow::utf8())});
}

std::shared_ptr<arrow::Schema> GpsSchema() {
  return arrow::schema({F("timestamp_ns", arrow::int64(), false), F("lat", arrow::float64())});
}

// Rows at ts = start, start+10, ...: acc.x = x[i].
std::shared_ptr<arrow::RecordBatch> ImuRows(int64_t start, const std::vector<double>& x) {
  std::string rows = "[";
  for (size_t i = 0; i < x.size(); ++i) {
    rows += (i ? "," : "") + std::string("{\"timestamp_ns\": ") + std::to_string(start + 10 * int64_t(i)) +
            ", \"acc\": {\"x\": " + std::to_string(x[i]) + ", \"y\": 0}, \"frame\": \"f\"}";
  }
  return BatchFromJson(ImuSchema(), rows + "]");
}

class QueryEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cat = catalog::OpenCatalog(store_.dir() + "/catalog.db");
    ASSERT_TRUE(cat.ok()) << cat.status().ToString();
    catalog_ = *cat;
    engine_ = std::make_unique<QueryEngine>(catalog_, store_.store());
  }

  // Creates the topic (and its sequence / a session when needed) and commits `batches` as its data.
  void AddTopic(const std::string& seq, const std::string& name, const std::string& tag,
                const std::shared_ptr<arrow::Schema>& schema,
                const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches, bool with_schema = true) {
    if (!catalog_->GetSequence(seq).ok()) {
      ASSERT_TRUE(catalog_->CreateSequence(seq, R"({"env": "lab"})", 1000).ok());
    }
    auto session = catalog_->CreateSession(seq, "S" + std::to_string(++sessions_), "u" + std::to_string(sessions_), 2000);
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    catalog::TopicRecord t;
    t.sequence_id = session->sequence_id;
    t.session_id = session->id;
    t.name = name;
    t.uuid = "t" + std::to_string(sessions_);
    t.ontology_tag = tag;
    t.serialization_format = "default";
    t.created_at_ns = 3000;
    auto topic = catalog_->CreateTopic(t);
    ASSERT_TRUE(topic.ok()) << topic.status().ToString();
    if (!with_schema) return;
    ASSERT_TRUE(catalog_->SetTopicSchema(topic->id, *ingest::SerializeSchema(*schema)).ok());
    if (batches.empty()) return;
    ingest::ChunkWriterOptions options;
    options.target_chunk_bytes = 1;
    options.row_group_rows = 4;
    ingest::ChunkWriter writer(store_.store(), seq, name, "UP" + std::to_string(sessions_), schema, options);
    for (const auto& b : batches) ASSERT_TRUE(writer.Append(b).ok());
    auto chunks = writer.Finish();
    ASSERT_TRUE(chunks.ok()) << chunks.status().ToString();
    ASSERT_TRUE(catalog_->CommitTopicData(topic->id, "UP" + std::to_string(sessions_), *chunks).ok());
  }

  void AddData() {
    AddTopic("run_b", "sensors/imu", "IMU", ImuSchema(), {ImuRows(100, {0, 6, 7, 0}), ImuRows(200, {0, 0, 9})});
    AddTopic("run_a", "imu", "IMU", ImuSchema(), {ImuRows(10, {1, 2, 3})});
    AddTopic("run_a", "gps", "GPS", GpsSchema(), {BatchFromJson(GpsSchema(), R"([{"timestamp_ns": 5, "lat": 45.5}])")});
    AddTopic("run_a", "empty", "IMU", ImuSchema(), {});
    AddTopic("run_c", "never", "IMU", ImuSchema(), {}, /*with_schema=*/false);
  }

  OrderedJson Query(const std::string& body) {
    auto r = engine_->Query(Json::parse(body));
    EXPECT_TRUE(r.ok()) << body << " -> " << r.status().ToString();
    return r.ok() ? *r : OrderedJson();
  }

  testing::TempStore store_;
  std::shared_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<QueryEngine> engine_;
  int sessions_ = 0;
};

TEST_F(QueryEngineTest, CatalogOnlyQueryReportsTheDataInterval) {
  AddData();
  auto reply = Query(R"({"sequence": {"name": {"$match": "run_*"}}})");
  const auto want = OrderedJson::parse(R"({"items": [
    {"sequence": "run_a", "topics": [
      {"locator": "run_a/empty", "ontology_tag": "IMU", "timestamp_range": null},
      {"locator": "run_a/gps", "ontology_tag": "GPS", "timestamp_range": [5, 5]},
      {"locator": "run_a/imu", "ontology_tag": "IMU", "timestamp_range": [10, 30]}]},
    {"sequence": "run_b", "topics": [
      {"locator": "run_b/sensors/imu", "ontology_tag": "IMU", "timestamp_range": [100, 220]}]},
    {"sequence": "run_c", "topics": [
      {"locator": "run_c/never", "ontology_tag": "IMU", "timestamp_range": null}]}]})");
  EXPECT_EQ(reply, want) << reply.dump(1);
  EXPECT_EQ(reply.dump(), want.dump());  // key order too
  // A leading '/' on topic names is ignored.
  auto by_name = Query(R"({"topic": {"name": {"$eq": "/sensors/imu"}}})");
  ASSERT_EQ(by_name["items"].size(), 1u);
  EXPECT_EQ(by_name["items"][0]["topics"][0]["locator"], "run_b/sensors/imu");
  EXPECT_EQ(Query(R"({"sequence": {"name": {"$eq": "nope"}}})"), OrderedJson::parse(R"({"items": []})"));
}

// The `query` action sends AppendQueryResponse's text (no DOM): it must be the bytes the server's compact dump of
// the same value gave (server/flight_service.cc), appended after what `out` held.
TEST_F(QueryEngineTest, ReplyTextIsTheCompactDumpOfTheSameValue) {
  AddData();
  const auto dump = [](const OrderedJson& j) { return j.dump(-1, ' ', false, OrderedJson::error_handler_t::replace); };
  std::string text = "prefix";
  ASSERT_TRUE(engine_->AppendQueryResponse(Json::parse(R"({"sequence": {"name": {"$match": "run_*"}}})"), &text).ok());
  EXPECT_EQ(text,
            "prefix{\"items\":[{\"sequence\":\"run_a\",\"topics\":["
            "{\"locator\":\"run_a/empty\",\"ontology_tag\":\"IMU\",\"timestamp_range\":null},"
            "{\"locator\":\"run_a/gps\",\"ontology_tag\":\"GPS\",\"timestamp_range\":[5,5]},"
            "{\"locator\":\"run_a/imu\",\"ontology_tag\":\"IMU\",\"timestamp_range\":[10,30]}]},"
            "{\"sequence\":\"run_b\",\"topics\":["
            "{\"locator\":\"run_b/sensors/imu\",\"ontology_tag\":\"IMU\",\"timestamp_range\":[100,220]}]},"
            "{\"sequence\":\"run_c\",\"topics\":["
            "{\"locator\":\"run_c/never\",\"ontology_tag\":\"IMU\",\"timestamp_range\":null}]}]}");
  for (const char* body : {R"({"ontology": {"IMU.acc.x": {"$gt": 5}}})", R"({"sequence": {"name": {"$eq": "nope"}}})",
                           R"({"topic": {"ontology_tag": {"$eq": "IMU"}}})", "{}"}) {
    std::string reply;
    ASSERT_TRUE(engine_->AppendQueryResponse(Json::parse(body), &reply).ok()) << body;
    EXPECT_EQ(reply, dump(OrderedJson::parse(reply))) << body;
  }
  std::string none;
  ASSERT_TRUE(engine_->AppendQueryResponse(Json::parse(R"({"sequence": {"name": {"$eq": "nope"}}})"), &none).ok());
  EXPECT_EQ(none, R"({"items":[]})");
  // Find gives the same topics, in the same order, with the ranges of the reply.
  auto hits = engine_->Find(Json::parse(R"({"ontology": {"IMU.acc.x": {"$lt": 2}, "GPS.lat": {"$gt": 0}}})"));
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 3u);  // run_a/gps, run_a/imu, run_b/sensors/imu
  EXPECT_EQ((*hits)[0].topic_name, "gps");
  EXPECT_EQ((*hits)[2].sequence_name, "run_b");
  EXPECT_EQ((*hits)[1].topic_name, "imu");
  EXPECT_EQ((*hits)[1].ts_min, 10);  // the matching rows' interval, not the topic's (10..30)
  EXPECT_EQ((*hits)[1].ts_max, 10);
}

TEST_F(QueryEngineTest, OntologyQueryReportsTheMatchingRows) {
  AddData();
  EvalCounters counters;
  auto r = engine_->Query(Json::parse(R"({"ontology": {"IMU.acc.x": {"$gt": 5}}})"), &counters);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto want = OrderedJson::parse(R"({"items": [{"sequence": "run_b", "topics": [
      {"locator": "run_b/sensors/imu", "ontology_tag": "IMU", "timestamp_range": [110, 220]}]}]})");
  EXPECT_EQ(*r, want) << r->dump();
  EXPECT_GT(counters.chunks_pruned_by_stats, 0);  // run_a/imu (x <= 3) is never opened
  // Conditions of several tags: each topic answers its own tag's; GPS topics match too.
  auto both = Query(R"({"ontology": {"IMU.acc.x": {"$lt": 2}, "GPS.lat": {"$between": [45, 46]}}})");
  const auto want_both = OrderedJson::parse(R"({"items": [
    {"sequence": "run_a", "topics": [
      {"locator": "run_a/gps", "ontology_tag": "GPS", "timestamp_range": [5, 5]},
      {"locator": "run_a/imu", "ontology_tag": "IMU", "timestamp_range": [10, 10]}]},
    {"sequence": "run_b", "topics": [
      {"locator": "run_b/sensors/imu", "ontology_tag": "IMU", "timestamp_range": [100, 210]}]}]})");
  EXPECT_EQ(both, want_both) << both.dump();
  // With a topic filter.
  auto combined = Query(R"({"topic": {"name": {"$match": "*imu"}}, "sequence": {"user_metadata": {"env": {"$eq": "lab"}}},
                           "ontology": {"IMU.frame": {"$eq": "f"}, "IMU.timestamp_ns": {"$geq": 20}}})");
  ASSERT_EQ(combined["items"].size(), 2u);
  EXPECT_EQ(combined["items"][0]["topics"][0]["timestamp_range"], OrderedJson::parse("[20, 30]"));
  // A tag that no topic has data for matches nothing; it is not an error.
  EXPECT_EQ(Query(R"({"ontology": {"Lidar.points[?].x": {"$gt": 1}}})"), OrderedJson::parse(R"({"items": []})"));
}

TEST_F(QueryEngineTest, InvalidQueries) {
  AddData();
  for (const char* body : {R"({"ontology": {"IMU.acc.z": {"$gt": 1}}})", R"({"ontology": {"IMU.frame": {"$gt": 1}}})",
                           R"({"topic": {"ontology_tag": {"$eq": 3}}})", R"({"bogus": {}})"}) {
    auto r = engine_->Query(Json::parse(body));
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_TRUE(r.status().IsInvalid()) << body << " -> " << r.status().ToString();
  }
}

TEST_F(QueryEngineTest, Clusterize) {
  AddData();
  auto windows = [&](const std::string& body) {
    auto r = engine_->Clusterize(Json::parse(body));
    EXPECT_TRUE(r.ok()) << body << " -> " << r.status().ToString();
    return r.ok() ? *r : std::vector<Window>{};
  };
  using W = std::vector<Window>;
  const std::string loc = R"("locator": "run_b/sensors/imu")";
  EXPECT_EQ(windows("{" + loc + R"(, "clustering_dt_ns": 0, "ontology": {"IMU.acc.x": {"$gt": 5}}})"), (W{{110, 220}}));
  EXPECT_EQ(windows("{" + loc + R"(, "clustering_dt_ns": 10, "ontology": {"IMU.acc.x": {"$gt": 5}}})"),
            (W{{110, 120}, {220, 220}}));
  EXPECT_EQ(windows("{" + loc + R"(, "clustering_dt_ns": 100, "ontology": {"IMU.acc.x": {"$gt": 5}}})"),
            (W{{110, 220}}));
  // Only the conditions of the topic's own tag apply (the SDK sends all of the query's); none of its tag: no row.
  EXPECT_EQ(windows("{" + loc + R"(, "clustering_dt_ns": 10, "ontology": {"GPS.lat": {"$gt": 1000},
                                                                          "IMU.acc.x": {"$gt": 5}}})"),
            (W{{110, 120}, {220, 220}}));
  EXPECT_EQ(windows("{" + loc + R"(, "clustering_dt_ns": 10, "ontology": {"GPS.lat": {"$lt": 1000}}})"), W{});
  EXPECT_EQ(windows("{" + loc + R"(, "clustering_dt_ns": 10, "ontology": {"Nosuch.x": {"$ex": null}}})"), W{});
  EXPECT_EQ(windows("{" + loc + R"(, "clustering_dt_ns": 10, "ontology": {}})"), (W{{100, 130}, {200, 220}}));
  EXPECT_EQ(windows("{" + loc + R"(, "clustering_dt_ns": 10, "ontology": {}, "timestamp_range": {"start_ns": 120, "end_ns": 200}})"),
            (W{{120, 130}, {200, 200}}));
  EXPECT_EQ(windows("{" + loc + R"(, "clustering_dt_ns": 0, "ontology": {"IMU.acc.x": {"$gt": 100}}})"), W{});
  EXPECT_EQ(windows(R"({"locator": "run_a/empty", "clustering_dt_ns": 0, "ontology": {}})"), W{});
  EXPECT_EQ(windows(R"({"locator": "run_c/never", "clustering_dt_ns": 0, "ontology": {}})"), W{});
  auto missing = engine_->Clusterize(Json::parse(R"({"locator": "run_b/nope", "clustering_dt_ns": 0, "ontology": {}})"));
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsKeyError()) << missing.status().ToString();
  auto bad = engine_->Clusterize(Json::parse("{" + loc + R"(, "clustering_dt_ns": -1})"));
  EXPECT_TRUE(bad.status().IsInvalid()) << bad.status().ToString();
  EXPECT_EQ(WindowReply(Window{1, 2}, 3).dump(), R"({"ts":{"start_ns":1,"end_ns":2},"id":3})");
}

TEST_F(QueryEngineTest, Intersect) {
  AddData();
  AddTopic("run_b", "other", "IMU", ImuSchema(), {ImuRows(115, {9, 9, 0, 0, 0, 0, 0, 0, 0, 9})});  // 115, 125, 205
  auto run = [&](const std::string& body) {
    auto r = engine_->Intersect(Json::parse(body));
    EXPECT_TRUE(r.ok()) << body << " -> " << r.status().ToString();
    return r.ok() ? *r : std::vector<Window>{};
  };
  using W = std::vector<Window>;
  const std::string a = R"({"locator": "run_b/sensors/imu", "clustering_dt_ns": 10, "ontology": {"IMU.acc.x": {"$gt": 5}}})";
  const std::string b = R"({"locator": "run_b/other", "clustering_dt_ns": 10, "ontology": {"IMU.acc.x": {"$gt": 5}}})";
  // a: [110,120] [220,220]; b: [115,125] [205,205].
  EXPECT_EQ(run(R"({"topics": [)" + a + "," + b + R"(], "intersect_dt_ns": 0})"), (W{{115, 120}}));
  EXPECT_EQ(run(R"({"topics": [)" + a + "," + b + R"(], "intersect_dt_ns": 20})"), (W{{115, 120}, {210, 215}}));
  EXPECT_EQ(run(R"({"topics": [)" + a + R"(], "intersect_dt_ns": 0})"), W{});
  EXPECT_EQ(run(R"({"topics": [], "intersect_dt_ns": 0})"), W{});
  const std::string none = R"({"locator": "run_a/empty", "clustering_dt_ns": 0, "ontology": {}})";
  EXPECT_EQ(run(R"({"topics": [)" + a + "," + none + R"(], "intersect_dt_ns": 0})"), W{});
  auto missing = engine_->Intersect(
      Json::parse(R"({"topics": [)" + a + R"(, {"locator": "x/y", "clustering_dt_ns": 0}], "intersect_dt_ns": 0})"));
  EXPECT_TRUE(missing.status().IsKeyError()) << missing.status().ToString();
}

}  // namespace
}  // namespace mosaico::query
