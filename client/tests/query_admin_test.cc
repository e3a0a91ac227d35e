// Queries (builder JSON and results), clusterize / intersect, notifications, deletes, API keys and TLS.
#include <cstdlib>
#include <fstream>

#include "test_util.h"

namespace mosaico::client::testing {
namespace {

const int64_t kBase = 1'700'000'000'000'000'000;
const int64_t kMs = 1'000'000;

TEST(QueryBuilder, ProducesTheSdkJson) {
  Query q;
  q.sequence.WithNameMatch("run_*").WithUserMetadata("robot.id", Op::Eq("r1")).WithCreatedTimestamp(5, std::nullopt);
  q.topic.WithName("imu").WithOntologyTag("IMU").WithUserMetadata("vendor", Op::In({"a", "b"}));
  q.ontology.With(models::IMU(), "acceleration.x", Op::Gt(0.5)).With("GPS.status.service", Op::Between(1, 2));
  auto want = nlohmann::json::parse(R"({
    "sequence": {"name": {"$match": "run_*"}, "created_at_ns": {"$geq": 5}, "user_metadata": {"robot.id": {"$eq": "r1"}}},
    "topic": {"name": {"$eq": "/imu"}, "ontology_tag": {"$eq": "IMU"}, "user_metadata": {"vendor": {"$in": ["a", "b"]}}},
    "ontology": {"IMU.acceleration.x": {"$gt": 0.5}, "GPS.status.service": {"$between": [1, 2]}}})");
  EXPECT_EQ(q.ToJson(), want) << q.ToJson().dump();
  Query only_topic;
  only_topic.topic.WithCreatedTimestamp(1, 9);
  EXPECT_EQ(only_topic.ToJson(), nlohmann::json::parse(R"({"topic": {"created_at_ns": {"$between": [1, 9]}}})"));
}

class QueryFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto c = Connect();
    seq_ = new std::string(UniqueName("qfx"));
    auto session = c.CreateSequence(*seq_, {{"robot", {{"id", "r9"}}}});
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    auto imu = (*session)->CreateTopic("imu", models::IMU());
    auto imu2 = (*session)->CreateTopic("imu2", models::IMU());
    ASSERT_TRUE(imu.ok() && imu2.ok());
    // acceleration.x = i: > 100 from row 101 on (imu), > 150 from 151 (imu2)
    ASSERT_TRUE(WriteImuRows(*imu, 200, kBase, kMs).ok());
    ASSERT_TRUE(WriteImuRows(*imu2, 200, kBase, kMs).ok());
    ASSERT_TRUE((*session)->Finalize().ok());
  }
  static void TearDownTestSuite() { delete seq_; }
  static std::string* seq_;
};
std::string* QueryFixture::seq_ = nullptr;

TEST_F(QueryFixture, QueryFindsTopicsByMetadataAndData) {
  auto c = Connect();
  Query q;
  q.sequence.WithName(*seq_).WithUserMetadata("robot.id", Op::Eq("r9"));
  q.ontology.With(models::IMU(), "acceleration.x", Op::Gt(100.0));
  ASSERT_OK_AND_ASSIGN(result, c.RunQuery(q));
  ASSERT_EQ(result.items.size(), 1u);
  EXPECT_EQ(result.items[0].sequence, *seq_);
  EXPECT_EQ(result.items[0].topics.size(), 2u);
  Query none;
  none.sequence.WithName(*seq_);
  none.ontology.With(models::IMU(), "acceleration.x", Op::Gt(1000.0));
  ASSERT_OK_AND_ASSIGN(empty, c.RunQuery(none));
  EXPECT_TRUE(empty.items.empty());
  Query bad;
  bad.sequence.WithNameMatch("");
  auto st = c.RunQuery(bad);
  EXPECT_EQ(ErrorKindOf(st.status()), ErrorKind::kInvalidArgument) << st.status().ToString();
}

TEST_F(QueryFixture, ClusterizeAndIntersect) {
  auto c = Connect();
  ClusterizeRequest a;
  a.locator = *seq_ + "/imu";
  a.ontology.With(models::IMU(), "acceleration.x", Op::Gt(100.0));
  a.clustering_dt_ns = 2 * kMs;
  ASSERT_OK_AND_ASSIGN(ca, c.Clusterize(a));
  ASSERT_EQ(ca.size(), 1u);
  EXPECT_EQ(ca[0].range.start_ns, kBase + 101 * kMs);
  EXPECT_EQ(ca[0].range.end_ns, kBase + 199 * kMs);
  ClusterizeRequest b = a;
  b.locator = *seq_ + "/imu2";
  b.ontology = QueryOntology().With(models::IMU(), "acceleration.x", Op::Gt(150.0));
  IntersectRequest both{{a, b}, 0};
  ASSERT_OK_AND_ASSIGN(ci, c.Intersect(both));
  ASSERT_EQ(ci.size(), 1u);
  EXPECT_EQ(ci[0].range.start_ns, kBase + 151 * kMs);
  EXPECT_EQ(ci[0].range.end_ns, kBase + 199 * kMs);
}

TEST(Notifications, CreateListPurge) {
  auto c = Connect();
  const auto seq = UniqueName("notes");
  ASSERT_OK_AND_ASSIGN(session, c.CreateSequence(seq));
  ASSERT_OK_AND_ASSIGN(w, session->CreateTopic("imu", models::IMU()));
  ASSERT_OK(WriteImuRows(w, 2, kBase, kMs));
  ASSERT_OK(session->Finalize());
  ASSERT_OK(c.CreateNotification(seq, "sequence note"));
  ASSERT_OK(c.CreateNotification(seq + "/imu", "topic note"));
  ASSERT_OK_AND_ASSIGN(sn, c.ListNotifications(seq));
  ASSERT_EQ(sn.size(), 1u);
  EXPECT_EQ(sn[0].msg, "sequence note");
  EXPECT_EQ(sn[0].name, seq);
  EXPECT_FALSE(sn[0].created_datetime.empty());
  ASSERT_OK_AND_ASSIGN(tn, c.ListNotifications("/" + seq + "/imu"));
  ASSERT_EQ(tn.size(), 1u);
  EXPECT_EQ(tn[0].name, seq + "/imu");
  ASSERT_OK(c.PurgeNotifications(seq));
  ASSERT_OK_AND_ASSIGN(after, c.ListNotifications(seq));
  EXPECT_TRUE(after.empty());
  auto unknown = c.ListNotifications("nope_nope");
  EXPECT_EQ(ErrorKindOf(unknown.status()), ErrorKind::kNotFound) << unknown.status().ToString();
}

TEST(Deletes, TopicSessionSequence) {
  auto c = Connect();
  const auto seq = UniqueName("del");
  ASSERT_OK_AND_ASSIGN(session, c.CreateSequence(seq));
  ASSERT_OK_AND_ASSIGN(w, session->CreateTopic("imu", models::IMU()));
  ASSERT_OK_AND_ASSIGN(w2, session->CreateTopic("gone", models::IMU()));
  ASSERT_OK(w2->Finalize());  // closed, still unfinalized session: deletable
  ASSERT_OK(c.DeleteTopic(seq + "/gone"));
  ASSERT_OK(WriteImuRows(w, 2, kBase, kMs));
  ASSERT_OK(session->Finalize());
  auto locked = c.DeleteTopic(seq + "/imu");
  EXPECT_EQ(ErrorKindOf(locked), ErrorKind::kPermissionDenied) << locked.ToString();
  ASSERT_OK_AND_ASSIGN(s2, c.CreateSession(seq));
  const std::string s2_locator = s2->session_locator();
  ASSERT_OK(s2->Finalize());
  ASSERT_OK(c.DeleteSession(s2_locator));
  ASSERT_OK_AND_ASSIGN(info, c.DescribeSequence(seq));
  EXPECT_EQ(info.sessions.size(), 1u);
  ASSERT_OK(c.DeleteSequence(seq));
  auto gone = c.DescribeSequence(seq);
  EXPECT_EQ(ErrorKindOf(gone.status()), ErrorKind::kNotFound) << gone.status().ToString();
  auto again = c.DeleteSequence(seq);
  EXPECT_EQ(ErrorKindOf(again), ErrorKind::kNotFound) << again.ToString();
}

TEST(Auth, KeysAndPermissions) {
  const std::string dir = TestDaemon::TempDir();
  ASSERT_OK_AND_ASSIGN(rw, TestDaemon::Cli({"api-key", "create", "--permissions", "read|write", "--token-only",
                                            "--data-dir", dir}));
  ASSERT_OK_AND_ASSIGN(ro, TestDaemon::Cli({"api-key", "create", "--permissions", "read", "--token-only",
                                            "--data-dir", dir}));
  auto trim = [](std::string s) { return s.substr(0, s.find_last_not_of(" \n\r\t") + 1); };
  ASSERT_OK_AND_ASSIGN(daemon, TestDaemon::Start({"--auth", "on"}, dir));
  ConnectOptions o;
  o.uri = daemon->uri();
  o.connect_timeout = std::chrono::milliseconds(3000);
  auto none = Client::Connect(o);
  EXPECT_EQ(ErrorKindOf(none.status()), ErrorKind::kUnauthenticated) << none.status().ToString();
  EXPECT_NE(none.status().message().find("API key"), std::string::npos) << none.status().ToString();
  o.api_key = "msco_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_00000000";
  auto wrong = Client::Connect(o);
  EXPECT_EQ(ErrorKindOf(wrong.status()), ErrorKind::kUnauthenticated) << wrong.status().ToString();
  o.api_key = trim(ro);
  ASSERT_OK_AND_ASSIGN(reader, Client::Connect(o));
  auto denied = reader.CreateSequence("auth_seq");
  EXPECT_EQ(ErrorKindOf(denied.status()), ErrorKind::kPermissionDenied) << denied.status().ToString();
  o.api_key = trim(rw);
  ASSERT_OK_AND_ASSIGN(writer, Client::Connect(o));
  ASSERT_OK_AND_ASSIGN(session, writer.CreateSequence("auth_seq"));
  ASSERT_OK_AND_ASSIGN(w, session->CreateTopic("imu", models::IMU()));
  ASSERT_OK(WriteImuRows(w, 5, kBase, kMs));
  ASSERT_OK(session->Finalize());
  ASSERT_OK_AND_ASSIGN(table, ReadAll(reader, "auth_seq/imu"));
  EXPECT_EQ(table->num_rows(), 5);
  auto no_delete = writer.DeleteSequence("auth_seq");
  EXPECT_EQ(ErrorKindOf(no_delete), ErrorKind::kPermissionDenied) << no_delete.ToString();
  daemon.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST(Tls, ConnectsWithTheCaFile) {
  const std::string dir = TestDaemon::TempDir();
  const std::string key = dir + "/key.pem", crt = dir + "/cert.pem";
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + key + " -out " + crt +
                          " -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 "
                          ">/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  ASSERT_OK_AND_ASSIGN(daemon, TestDaemon::Start({"--tls-cert", crt, "--tls-key", key}, dir + "/data"));
  ConnectOptions o;
  o.uri = daemon->uri(/*tls=*/true);
  o.tls_ca_file = crt;
  ASSERT_OK_AND_ASSIGN(c, Client::Connect(o));
  ASSERT_OK_AND_ASSIGN(session, c.CreateSequence("tls_seq"));
  ASSERT_OK_AND_ASSIGN(w, session->CreateTopic("imu", models::IMU()));
  ASSERT_OK(WriteImuRows(w, 5, kBase, kMs));
  ASSERT_OK(session->Finalize());
  ASSERT_OK_AND_ASSIGN(table, ReadAll(c, "tls_seq/imu"));
  EXPECT_EQ(table->num_rows(), 5);
  o.tls_ca_file = dir + "/missing.pem";
  auto missing = Client::Connect(o);
  EXPECT_NE(missing.status().message().find("missing.pem"), std::string::npos) << missing.status().ToString();
  daemon.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace mosaico::client::testing
