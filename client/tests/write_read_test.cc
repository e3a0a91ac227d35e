// Writing and reading against a real daemon: rows and batches, batching and splitting, oversized records, schema
// checks, error policies (RAII abort), describe/list, windows, striped and merged reads.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arrow/flight/client.h>

#include "test_util.h"

namespace mosaico::client::testing {
namespace {

const int64_t kBase = 1'700'000'000'000'000'000;
const int64_t kMs = 1'000'000;

TEST(Connect, ReportsServerInfo) {
  auto c = Connect();
  EXPECT_FALSE(c.server_info().version.empty());
  EXPECT_EQ(c.server_info().max_decode_message_size, 1 << 20);  // --max-message-mb 1
}

TEST(Connect, RefusedPortIsUnavailableNamingTheUri) {
  ConnectOptions o;
  o.uri = "grpc://127.0.0.1:1";
  o.connect_timeout = std::chrono::milliseconds(200);
  auto c = Client::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("grpc://127.0.0.1:1"), std::string::npos) << c.status().ToString();
}

TEST(Connect, SilentServerTimesOut) {
  // A socket that listens but never speaks gRPC: each call ends at call_timeout, Connect at connect_timeout.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ConnectOptions o;
  o.uri = "grpc://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  o.connect_timeout = std::chrono::milliseconds(300);
  o.call_timeout = std::chrono::milliseconds(100);
  const auto t0 = std::chrono::steady_clock::now();
  auto c = Client::Connect(o);
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  close(fd);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(ErrorKindOf(c.status()), ErrorKind::kUnavailable) << c.status().ToString();
  EXPECT_NE(c.status().message().find("no answer to 'info' within 300 ms"), std::string::npos) << c.status().ToString();
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(Connect, BadUriIsInvalid) {
  ConnectOptions o;
  o.uri = "http://127.0.0.1:80";
  auto c = Client::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("grpc://host:port"), std::string::npos) << c.status().ToString();
}

TEST(Write, RowsReadBackSortedWithValues) {
  auto c = Connect();
  const auto seq = UniqueName("rows");
  ASSERT_OK_AND_ASSIGN(session, c.CreateSequence(seq, {{"robot", "r1"}}));
  ASSERT_OK_AND_ASSIGN(imu, session->CreateTopic("/sensors/imu", models::IMU(), {{"vendor", "acme"}}));
  // written in reverse order: the server sorts
  for (int64_t i = 99; i >= 0; --i) {
    auto& r = imu->rows();
    ASSERT_OK(r.Set("acceleration.x", static_cast<double>(i)));
    ASSERT_OK(r.Set("acceleration.y", 0.0));
    ASSERT_OK(r.Set("acceleration.z", 9.81));
    ASSERT_OK(r.Set("angular_velocity.x", 0.0));
    ASSERT_OK(r.Set("angular_velocity.y", 0.0));
    ASSERT_OK(r.Set("angular_velocity.z", 0.0));
    ASSERT_OK(r.Set("header.frame_id", "imu_link"));
    ASSERT_OK(imu->AppendRow(kBase + i * kMs));
  }
  ASSERT_OK(session->Finalize());
  EXPECT_EQ(imu->rows_written(), 100);
  ASSERT_OK_AND_ASSIGN(table, ReadAll(c, seq + "/sensors/imu"));
  ASSERT_EQ(table->num_rows(), 100);
  for (int64_t i = 0; i < 100; ++i) {
    ASSERT_EQ(Int64At(*table, "timestamp_ns", i), kBase + i * kMs);
    ASSERT_EQ(StructDouble(*table, "acceleration", "x", i), static_cast<double>(i));
  }
  ASSERT_OK_AND_ASSIGN(info, c.DescribeTopic(seq + "/sensors/imu"));
  EXPECT_EQ(info.ontology_tag, "IMU");
  EXPECT_EQ(info.serialization_format, "default");
  EXPECT_EQ(info.user_metadata["vendor"], "acme");
  EXPECT_EQ(info.total_row_count, 100);
  ASSERT_TRUE(info.interval.has_value());
  EXPECT_EQ(info.interval->start_ns, kBase);
  EXPECT_EQ(info.interval->end_ns, kBase + 99 * kMs);
  EXPECT_TRUE(info.locked);
  ASSERT_NE(info.schema, nullptr);
  EXPECT_EQ(info.schema->num_fields(), models::IMU().schema->num_fields());
}

TEST(Write, BatchesAreSplitAndGatheredToTheLimit) {
  auto c = Connect();
  const auto seq = UniqueName("split");
  WriterOptions wo;
  wo.max_batch_bytes = 64 * 1024;
  ASSERT_OK_AND_ASSIGN(session, c.CreateSequence(seq, {}, wo));
  ASSERT_OK_AND_ASSIGN(w, session->CreateTopic("imu", models::IMU()));
  // one big batch (~1.3 MB): split into messages <= 64 KiB
  RowBuilder rows(models::IMU().schema);
  for (int64_t i = 0; i < 20000; ++i) {
    ASSERT_OK(rows.Set("acceleration.x", static_cast<double>(i)));
    ASSERT_OK(rows.Set("angular_velocity.z", 1.0));
    ASSERT_OK(rows.Append(kBase + i * kMs));
  }
  ASSERT_OK_AND_ASSIGN(big, rows.Flush());
  ASSERT_OK(w->Write(big));
  ASSERT_OK(w->Flush());
  const int64_t big_messages = w->batches_written();
  EXPECT_GT(big_messages, 20);  // split: the batch's IPC size is ~2 MB
  // many tiny batches: gathered
  for (int64_t i = 20000; i < 20500; ++i) {
    ASSERT_OK(rows.Set("acceleration.x", static_cast<double>(i)));
    ASSERT_OK(rows.Append(kBase + i * kMs));
    ASSERT_OK_AND_ASSIGN(tiny, rows.Flush());
    ASSERT_OK(w->Write(tiny));
  }
  ASSERT_OK(session->Finalize());
  EXPECT_EQ(w->rows_written(), 20500);
  // the 500 one-row batches went out in a few messages (each counts its IPC framing, ~2.6 KB, as the SDK counts)
  EXPECT_LT(w->batches_written() - big_messages, 40);
  ASSERT_OK_AND_ASSIGN(table, ReadAll(c, seq + "/imu"));
  ASSERT_EQ(table->num_rows(), 20500);
  EXPECT_EQ(StructDouble(*table, "acceleration", "x", 20499), 20499.0);
}

TEST(Write, StripedUploadCommitsEveryStripesRows) {
  auto c = Connect();
  const auto seq = UniqueName("striped");
  WriterOptions wo;
  wo.max_batch_bytes = 64 * 1024;  // many messages, spread over the stripes
  wo.stripes = 3;
  ASSERT_OK_AND_ASSIGN(session, c.CreateSequence(seq, {}, wo));
  ASSERT_OK_AND_ASSIGN(w, session->CreateTopic("imu", models::IMU()));
  ASSERT_OK(WriteImuRows(w, 20000, kBase, kMs));
  ASSERT_OK(session->Finalize());
  EXPECT_GT(w->batches_written(), 6);
  ASSERT_OK_AND_ASSIGN(table, ReadAll(c, seq + "/imu"));
  ASSERT_EQ(table->num_rows(), 20000);
  for (int64_t i = 0; i < 20000; i += 997) {
    ASSERT_EQ(Int64At(*table, "timestamp_ns", i), kBase + i * kMs);
    ASSERT_EQ(StructDouble(*table, "acceleration", "x", i), static_cast<double>(i));
  }
  ASSERT_OK_AND_ASSIGN(info, c.DescribeTopic(seq + "/imu"));
  EXPECT_EQ(info.total_row_count, 20000);
}

TEST(Write, OversizedRecordIsDroppedReportedAndTheRestKept) {
  auto c = Connect();
  const auto seq = UniqueName("oversized");
  WriterOptions wo;
  wo.max_batch_bytes = 32 * 1024;
  ASSERT_OK_AND_ASSIGN(session, c.CreateSequence(seq, {}, wo));
  ASSERT_OK_AND_ASSIGN(cam, session->CreateTopic("camera", models::CompressedImage()));
  std::vector<uint8_t> small(1000, 7), huge(100 * 1024, 9);
  for (int i = 0; i < 5; ++i) {
    const auto& payload = i == 2 ? huge : small;
    ASSERT_OK(cam->rows().SetBytes("data", payload.data(), payload.size()));
    ASSERT_OK(cam->rows().Set("format", "raw"));
    ASSERT_OK(cam->AppendRow(kBase + i * kMs));
  }
  ASSERT_OK(session->Finalize());
  EXPECT_EQ(cam->dropped_records(), 1);
  EXPECT_NE(cam->last_error().find("Record dropped"), std::string::npos) << cam->last_error();
  ASSERT_OK_AND_ASSIGN(table, ReadAll(c, seq + "/camera"));
  EXPECT_EQ(table->num_rows(), 4);
  ASSERT_OK_AND_ASSIGN(notes, c.ListNotifications(seq + "/camera"));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].notification_type, "error");
  EXPECT_NE(notes[0].msg.find("Record dropped"), std::string::npos);
}

TEST(Write, SchemaMismatchIsInvalidNamingTheField) {
  auto c = Connect();
  const auto seq = UniqueName("mismatch");
  ASSERT_OK_AND_ASSIGN(session, c.CreateSequence(seq));
  ASSERT_OK_AND_ASSIGN(w, session->CreateTopic("gps", models::GPS()));
  RowBuilder rows(models::IMU().schema);
  ASSERT_OK(rows.Set("acceleration.x", 1.0));
  ASSERT_OK(rows.Append(kBase));
  ASSERT_OK_AND_ASSIGN(batch, rows.Flush());
  auto st = w->Write(batch);
  ASSERT_TRUE(st.IsInvalid()) << st.ToString();
  EXPECT_EQ(ErrorKindOf(st), ErrorKind::kInvalidArgument);
  EXPECT_NE(st.message().find("schema mismatch"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find(seq + "/gps"), std::string::npos) << st.ToString();
  ASSERT_OK(session->Finalize());
}

TEST(RowBuilder, ChecksTypesPathsAndRequiredFields) {
  RowBuilder rows(models::IMU().schema);
  ASSERT_OK(rows.status());
  auto st = rows.Set("acceleration.x", "not a number");
  EXPECT_TRUE(st.IsInvalid());
  EXPECT_NE(st.message().find("acceleration.x"), std::string::npos) << st.ToString();
  st = rows.Set("acceleration.w", 1.0);
  EXPECT_NE(st.message().find("no field 'acceleration.w'"), std::string::npos) << st.ToString();
  st = rows.Set("header.timestamp.seconds", int64_t{1} << 40);  // int32 field
  EXPECT_NE(st.message().find("out of range"), std::string::npos) << st.ToString();
  // header.timestamp is a required struct of a nullable header: setting one of its fields needs the other
  ASSERT_OK(rows.Set("header.timestamp.seconds", 5));
  st = rows.Append(kBase);
  EXPECT_NE(st.message().find("required field 'header.timestamp.nanoseconds'"), std::string::npos) << st.ToString();
  EXPECT_EQ(rows.num_rows(), 0);
  ASSERT_OK(rows.Set("acceleration.covariance", std::vector<double>{1, 2, 3}));
  ASSERT_OK(rows.Append(kBase));
  ASSERT_OK_AND_ASSIGN(batch, rows.Flush());
  ASSERT_OK(batch->ValidateFull());
  EXPECT_EQ(batch->num_rows(), 1);
  // Floating16 / fixed-size lists
  RowBuilder half(models::Floating16().schema);
  ASSERT_OK(half.Set("data", 1.5));
  ASSERT_OK(half.Append(kBase));
  ASSERT_OK_AND_ASSIGN(hb, half.Flush());
  ASSERT_OK(hb->ValidateFull());
}

TEST(Write, DestroyedSessionReportsWithTheReportPolicy) {
  auto c = Connect();
  const auto seq = UniqueName("report");
  {
    ASSERT_OK_AND_ASSIGN(session, c.CreateSequence(seq));
    ASSERT_OK_AND_ASSIGN(w, session->CreateTopic("imu", models::IMU()));
    ASSERT_OK(WriteImuRows(w, 10, kBase, kMs));
  }  // no Finalize: aborted
  ASSERT_OK_AND_ASSIGN(notes, c.ListNotifications(seq));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].msg.find("destroyed before Finalize"), std::string::npos) << notes[0].msg;
  ASSERT_OK_AND_ASSIGN(info, c.DescribeSequence(seq));
  ASSERT_EQ(info.sessions.size(), 1u);
  EXPECT_TRUE(info.sessions[0].completed_at_ns.has_value());
}

TEST(Write, AbortWithTheDeletePolicyRemovesTheSession) {
  auto c = Connect();
  const auto seq = UniqueName("delete");
  WriterOptions wo;
  wo.on_error = ErrorPolicy::kDelete;
  ASSERT_OK_AND_ASSIGN(session, c.CreateSequence(seq, {}, wo));
  ASSERT_OK_AND_ASSIGN(w, session->CreateTopic("imu", models::IMU()));
  ASSERT_OK(WriteImuRows(w, 10, kBase, kMs));
  ASSERT_OK(session->Abort("sensor failed"));
  ASSERT_OK_AND_ASSIGN(info, c.DescribeSequence(seq));
  EXPECT_TRUE(info.sessions.empty());
  EXPECT_TRUE(info.topics.empty());
  auto t = c.DescribeTopic(seq + "/imu");
  EXPECT_EQ(ErrorKindOf(t.status()), ErrorKind::kNotFound) << t.status().ToString();
}

TEST(Write, LifecycleErrorsAreClear) {
  auto c = Connect();
  const auto seq = UniqueName("life");
  ASSERT_OK_AND_ASSIGN(session, c.CreateSequence(seq));
  auto dup = c.CreateSequence(seq);
  EXPECT_EQ(ErrorKindOf(dup.status()), ErrorKind::kAlreadyExists) << dup.status().ToString();
  EXPECT_NE(dup.status().message().find("sequence_create"), std::string::npos) << dup.status().ToString();
  ASSERT_OK_AND_ASSIGN(w, session->CreateTopic("imu", models::IMU()));
  auto again = session->CreateTopic("/imu/", models::IMU());
  EXPECT_TRUE(again.status().IsAlreadyExists()) << again.status().ToString();
  ASSERT_OK(WriteImuRows(w, 3, kBase, kMs));
  ASSERT_OK(session->Finalize());
  EXPECT_FALSE(session->CreateTopic("late", models::IMU()).ok());
  EXPECT_FALSE(w->AppendRow(kBase).ok());
  auto bad = c.CreateSequence("bad name with spaces");
  EXPECT_EQ(ErrorKindOf(bad.status()), ErrorKind::kInvalidArgument) << bad.status().ToString();
  // a second session extends the sequence
  ASSERT_OK_AND_ASSIGN(s2, c.CreateSession(seq));
  ASSERT_OK_AND_ASSIGN(w2, s2->CreateTopic("imu2", models::IMU()));
  ASSERT_OK(WriteImuRows(w2, 3, kBase, kMs));
  ASSERT_OK(s2->Finalize());
  ASSERT_OK_AND_ASSIGN(info, c.DescribeSequence(seq));
  EXPECT_EQ(info.sessions.size(), 2u);
  EXPECT_EQ(info.topics.size(), 2u);
}

TEST(Read, UnknownLocatorsAreNotFoundNamingThem) {
  auto c = Connect();
  auto t = c.DescribeTopic("no_such_seq/imu");
  EXPECT_EQ(ErrorKindOf(t.status()), ErrorKind::kNotFound) << t.status().ToString();
  EXPECT_NE(t.status().message().find("no_such_seq"), std::string::npos) << t.status().ToString();
  auto r = c.ReadTopic("no_such_seq/imu");
  EXPECT_EQ(ErrorKindOf(r.status()), ErrorKind::kNotFound) << r.status().ToString();
  auto s = c.ReadSequence("no_such_seq");
  EXPECT_EQ(ErrorKindOf(s.status()), ErrorKind::kNotFound) << s.status().ToString();
  auto bad = c.ReadTopic("just_a_sequence");
  EXPECT_TRUE(bad.status().IsInvalid()) << bad.status().ToString();
  ReadOptions ro;
  ro.window = {kBase + 10, kBase};
  auto win = c.ReadTopic("no_such_seq/imu", ro);
  EXPECT_FALSE(win.ok());
}

class ReadFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto c = Connect();
    seq_ = new std::string(UniqueName("readfx"));
    auto session = c.CreateSequence(*seq_, {{"mission", {{"id", 7}}}});
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    auto imu = (*session)->CreateTopic("imu", models::IMU());
    auto gps = (*session)->CreateTopic("gps", models::GPS());
    ASSERT_TRUE(imu.ok() && gps.ok());
    // 60000 IMU rows at 1 kHz (~4 MB: several 1 MiB chunks, so a striped read has several endpoints), GPS at 10 Hz
    ASSERT_TRUE(WriteImuRows(*imu, 60000, kBase, kMs).ok());
    for (int64_t i = 0; i < 600; ++i) {
      auto& r = (*gps)->rows();
      ASSERT_TRUE(r.Set("position.x", 45.0 + static_cast<double>(i) / 1000).ok());
      ASSERT_TRUE(r.Set("position.y", 9.0).ok());
      ASSERT_TRUE(r.Set("position.z", 120.0).ok());
      ASSERT_TRUE((*gps)->AppendRow(kBase + i * 100 * kMs).ok());
    }
    ASSERT_TRUE((*session)->Finalize().ok());
  }
  static void TearDownTestSuite() { delete seq_; }
  static std::string* seq_;
};
std::string* ReadFixture::seq_ = nullptr;

TEST_F(ReadFixture, ListAndDescribe) {
  auto c = Connect();
  ASSERT_OK_AND_ASSIGN(list, c.ListSequences());
  bool found = false;
  for (const auto& s : list) {
    if (s.name == *seq_) {
      found = true;
      EXPECT_EQ(s.user_metadata["mission"]["id"], 7);
    }
  }
  EXPECT_TRUE(found);
  ASSERT_OK_AND_ASSIGN(info, c.DescribeSequence(*seq_));
  EXPECT_EQ(info.user_metadata["mission"]["id"], 7);
  ASSERT_EQ(info.sessions.size(), 1u);
  EXPECT_TRUE(info.sessions[0].locked);
  ASSERT_EQ(info.topics.size(), 2u);
  int64_t rows = 0;
  for (const auto& t : info.topics) rows += t.total_row_count;
  EXPECT_EQ(rows, 60600);
}

TEST_F(ReadFixture, WindowIsHalfOpen) {
  auto c = Connect();
  ReadOptions ro;
  ro.window = {kBase + 1000 * kMs, kBase + 3000 * kMs};
  ASSERT_OK_AND_ASSIGN(table, ReadAll(c, *seq_ + "/imu", ro));
  ASSERT_EQ(table->num_rows(), 2000);
  EXPECT_EQ(Int64At(*table, "timestamp_ns", 0), kBase + 1000 * kMs);
  EXPECT_EQ(Int64At(*table, "timestamp_ns", 1999), kBase + 2999 * kMs);
  ASSERT_OK_AND_ASSIGN(info, c.DescribeTopic(*seq_ + "/imu", ro.window));
  EXPECT_EQ(info.window_row_count, 2000);
}

TEST_F(ReadFixture, StripedReadEqualsTheUnstripedOne) {
  auto c = Connect();
  // the server gives several endpoints for this topic
  auto flight = arrow::flight::FlightClient::Connect(*arrow::flight::Location::Parse(SharedDaemon().uri()));
  ASSERT_TRUE(flight.ok());
  auto fi = (*flight)->GetFlightInfo(arrow::flight::FlightDescriptor::Command(
      nlohmann::json{{"resource_locator", *seq_ + "/imu"}, {"stripes", 4}}.dump()));
  ASSERT_TRUE(fi.ok()) << fi.status().ToString();
  EXPECT_GT((*fi)->endpoints().size(), 1u);
  ASSERT_OK_AND_ASSIGN(plain, ReadAll(c, *seq_ + "/imu"));
  for (int stripes : {2, 4, 16}) {
    ReadOptions ro;
    ro.stripes = stripes;
    ro.prefetch_batches = 2;
    ASSERT_OK_AND_ASSIGN(striped, ReadAll(c, *seq_ + "/imu", ro));
    ASSERT_EQ(striped->num_rows(), 60000);
    EXPECT_TRUE(striped->Equals(*plain)) << "stripes=" << stripes;
  }
  // windowed and striped
  ReadOptions ro;
  ro.stripes = 4;
  ro.window = {kBase + 123 * kMs, kBase + 45678 * kMs};
  ASSERT_OK_AND_ASSIGN(w, ReadAll(c, *seq_ + "/imu", ro));
  EXPECT_EQ(w->num_rows(), 45678 - 123);
  EXPECT_EQ(Int64At(*w, "timestamp_ns", 0), kBase + 123 * kMs);
}

TEST_F(ReadFixture, ReaderStoppedEarlyReleasesItsStripes) {
  auto c = Connect();
  ReadOptions ro;
  ro.stripes = 4;
  ro.prefetch_batches = 1;
  ASSERT_OK_AND_ASSIGN(reader, c.ReadTopic(*seq_ + "/imu", ro));
  std::shared_ptr<arrow::RecordBatch> b;
  ASSERT_OK(reader->ReadNext(&b));
  ASSERT_NE(b, nullptr);
  ASSERT_OK(reader->Close());  // the other stripes' threads and streams are stopped
  reader.reset();
}

TEST_F(ReadFixture, MergedSequenceIsOrderedWithOneStructPerTopic) {
  auto c = Connect();
  ReadOptions ro;
  ro.window = {kBase, kBase + 2000 * kMs};
  ro.stripes = 2;
  ASSERT_OK_AND_ASSIGN(reader, c.ReadSequence(*seq_, ro));
  ASSERT_OK_AND_ASSIGN(table, reader->ToTable());
  ASSERT_EQ(table->num_rows(), 2000 + 20);
  auto schema = table->schema();
  ASSERT_EQ(schema->num_fields(), 4);
  EXPECT_EQ(schema->field(0)->name(), "timestamp_ns");
  EXPECT_EQ(schema->field(1)->name(), "topic");
  ASSERT_OK_AND_ASSIGN(flat, table->CombineChunksToBatch());
  auto ts = std::static_pointer_cast<arrow::Int64Array>(flat->GetColumnByName("timestamp_ns"));
  auto topic = std::static_pointer_cast<arrow::StringArray>(flat->GetColumnByName("topic"));
  auto gps = flat->GetColumnByName("/gps");
  auto imu = flat->GetColumnByName("/imu");
  ASSERT_NE(gps, nullptr);
  ASSERT_NE(imu, nullptr);
  int gps_rows = 0;
  for (int64_t i = 0; i < flat->num_rows(); ++i) {
    if (i > 0) {
      ASSERT_LE(ts->Value(i - 1), ts->Value(i));
    }
    const bool is_gps = topic->GetString(i) == "/gps";
    gps_rows += is_gps;
    ASSERT_EQ(gps->IsNull(i), !is_gps) << i;
    ASSERT_EQ(imu->IsNull(i), is_gps) << i;
  }
  EXPECT_EQ(gps_rows, 20);
  ASSERT_OK(flat->ValidateFull());
}

}  // namespace
}  // namespace mosaico::client::testing
