// mosaico_client_xlang: the C++ side of the cross-language tests (tests/integration/test_cpp_client.py) and of the
// client benchmark (bench/cpp_client_bench.py). Prints one JSON object on stdout; exit 1 with the Status on stderr.
//
//   write <uri> <sequence> <dir>            every <dir>/<Model>.arrow (IPC file) -> topic "/all/<Model>" with the
//                                           built-in model of that name (its schema, tag, format)
//   read <uri> <sequence> <dir> [stripes]   every topic -> <dir>/<topic path with '/' as '__'>.arrow, and whether
//                                           its served schema is the built-in model of its tag
//   rows <uri> <sequence> <n>               IMU and CompressedImage rows through the typed row builder
//   queries                                 the query builders' JSON for fixed cases
//   bench-write <uri> <sequence> <ipc file> <tag> <format> [stripes]   uploads the file's batches into one topic
//   bench-read <uri> <locator> <stripes>    reads a topic, counting rows and bytes
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>

#include <arrow/array.h>
#include <arrow/io/file.h>
#include <arrow/ipc/reader.h>
#include <arrow/ipc/writer.h>
#include <arrow/table.h>
#include <arrow/type.h>
#include <arrow/util/key_value_metadata.h>

#include "mosaico/client/builtin_models.h"
#include "mosaico/client/client.h"

namespace mc = mosaico::client;
namespace fs = std::filesystem;

namespace {

arrow::Result<std::shared_ptr<arrow::Table>> ReadIpc(const std::string& path) {
  ARROW_ASSIGN_OR_RAISE(auto file, arrow::io::ReadableFile::Open(path));
  ARROW_ASSIGN_OR_RAISE(auto reader, arrow::ipc::RecordBatchFileReader::Open(file));
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  for (int i = 0; i < reader->num_record_batches(); ++i) {
    ARROW_ASSIGN_OR_RAISE(auto b, reader->ReadRecordBatch(i));
    batches.push_back(b);
  }
  return arrow::Table::FromRecordBatches(reader->schema(), batches);
}

arrow::Status WriteIpc(const std::string& path, const arrow::Table& table) {
  ARROW_ASSIGN_OR_RAISE(auto out, arrow::io::FileOutputStream::Open(path));
  ARROW_ASSIGN_OR_RAISE(auto writer, arrow::ipc::MakeFileWriter(out, table.schema()));
  ARROW_RETURN_NOT_OK(writer->WriteTable(table));
  ARROW_RETURN_NOT_OK(writer->Close());
  return out->Close();
}

// The served form of a model's schema: top-level strings as string_view (docs/PROTOCOL_NOTES.md).
bool SameAsModel(const arrow::Schema& served, const arrow::Schema& model) {
  if (served.num_fields() != model.num_fields()) return false;
  for (int i = 0; i < model.num_fields(); ++i) {
    auto m = model.field(i);
    if (m->type()->id() == arrow::Type::STRING) m = m->WithType(arrow::utf8_view());
    if (!served.field(i)->Equals(*m, /*check_metadata=*/true)) return false;
  }
  return true;
}

arrow::Status Write(const std::string& uri, const std::string& sequence, const std::string& dir) {
  ARROW_ASSIGN_OR_RAISE(auto client, mc::Client::Connect(uri));
  ARROW_ASSIGN_OR_RAISE(auto session, client.CreateSequence(sequence, {{"writer", "cpp"}}));
  nlohmann::json out = {{"topics", nlohmann::json::array()}};
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".arrow") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    const std::string name = f.stem().string();
    ARROW_ASSIGN_OR_RAISE(const mc::Model* model, mc::FindBuiltinModel(name));
    ARROW_ASSIGN_OR_RAISE(auto table, ReadIpc(f.string()));
    ARROW_ASSIGN_OR_RAISE(auto* w, session->CreateTopic("all/" + name, *model, {{"model", name}}));
    arrow::TableBatchReader batches(*table);
    std::shared_ptr<arrow::RecordBatch> b;
    while (true) {
      ARROW_RETURN_NOT_OK(batches.ReadNext(&b));
      if (b == nullptr) break;
      ARROW_RETURN_NOT_OK(w->Write(b));
    }
    out["topics"].push_back({{"topic", "/all/" + name}, {"rows", table->num_rows()}});
  }
  ARROW_RETURN_NOT_OK(session->Finalize());
  std::cout << out.dump() << std::endl;
  return arrow::Status::OK();
}

arrow::Status Read(const std::string& uri, const std::string& sequence, const std::string& dir, int stripes) {
  ARROW_ASSIGN_OR_RAISE(auto client, mc::Client::Connect(uri));
  ARROW_ASSIGN_OR_RAISE(auto info, client.DescribeSequence(sequence));
  nlohmann::json out = {{"topics", nlohmann::json::array()}};
  for (const auto& t : info.topics) {
    mc::ReadOptions ro;
    ro.stripes = stripes;
    ARROW_ASSIGN_OR_RAISE(auto reader, client.ReadTopic(t.locator, ro));
    ARROW_ASSIGN_OR_RAISE(auto table, reader->ToTable());
    std::string file = t.locator.substr(t.locator.find('/') + 1);
    for (auto& ch : file) {
      if (ch == '/') ch = '#';
    }
    ARROW_RETURN_NOT_OK(WriteIpc((fs::path(dir) / (file + ".arrow")).string(), *table));
    auto model = mc::FindBuiltinModel(t.ontology_tag);
    out["topics"].push_back({{"locator", t.locator},
                             {"file", file + ".arrow"},
                             {"ontology_tag", t.ontology_tag},
                             {"rows", table->num_rows()},
                             {"model_match", model.ok() && SameAsModel(*table->schema(), *(*model)->schema)}});
  }
  std::cout << out.dump() << std::endl;
  return arrow::Status::OK();
}

arrow::Status Rows(const std::string& uri, const std::string& sequence, int64_t n) {
  ARROW_ASSIGN_OR_RAISE(auto client, mc::Client::Connect(uri));
  ARROW_ASSIGN_OR_RAISE(auto session, client.CreateSequence(sequence));
  ARROW_ASSIGN_OR_RAISE(auto* imu, session->CreateTopic("imu", mc::models::IMU()));
  ARROW_ASSIGN_OR_RAISE(auto* cam, session->CreateTopic("camera", mc::models::CompressedImage()));
  const int64_t base = 1'700'000'000'000'000'000;
  for (int64_t i = 0; i < n; ++i) {
    auto& r = imu->rows();
    ARROW_RETURN_NOT_OK(r.Set("acceleration.x", 0.5 * static_cast<double>(i)));
    ARROW_RETURN_NOT_OK(r.Set("acceleration.y", -1.0));
    ARROW_RETURN_NOT_OK(r.Set("acceleration.z", 9.81));
    ARROW_RETURN_NOT_OK(r.Set("angular_velocity.x", 0.25));
    ARROW_RETURN_NOT_OK(r.Set("angular_velocity.y", 0.0));
    ARROW_RETURN_NOT_OK(r.Set("angular_velocity.z", static_cast<double>(i % 7)));
    ARROW_RETURN_NOT_OK(r.Set("header.frame_id", "imu_link"));
    ARROW_RETURN_NOT_OK(r.Set("header.timestamp.seconds", static_cast<int32_t>(i)));
    ARROW_RETURN_NOT_OK(r.Set("header.timestamp.nanoseconds", static_cast<uint32_t>(i * 1000)));
    ARROW_RETURN_NOT_OK(r.Set("orientation.x", 0.0));
    ARROW_RETURN_NOT_OK(r.Set("orientation.y", 0.0));
    ARROW_RETURN_NOT_OK(r.Set("orientation.z", 0.0));
    ARROW_RETURN_NOT_OK(r.Set("orientation.w", 1.0));
    ARROW_RETURN_NOT_OK(r.Set("orientation.covariance", std::vector<double>{1, 0, 0, 0, 1, 0, 0, 0, 1}));
    ARROW_RETURN_NOT_OK(imu->AppendRow(base + i * 1'000'000));
    if (i % 10 == 0) {
      std::string frame(1000 + static_cast<size_t>(i), static_cast<char>('a' + i % 26));
      ARROW_RETURN_NOT_OK(cam->rows().SetBytes("data", frame.data(), frame.size()));
      ARROW_RETURN_NOT_OK(cam->rows().Set("format", "png"));
      ARROW_RETURN_NOT_OK(cam->AppendRow(base + i * 1'000'000));
    }
  }
  ARROW_RETURN_NOT_OK(session->Finalize());
  std::cout << nlohmann::json{{"imu", imu->rows_written()}, {"camera", cam->rows_written()}}.dump() << std::endl;
  return arrow::Status::OK();
}

void Queries() {
  nlohmann::json out = nlohmann::json::array();
  {
    mc::Query q;
    q.sequence.WithNameMatch("run_*").WithUserMetadata("robot.id", mc::Op::Eq("r1")).WithCreatedTimestamp(5, 9);
    out.push_back(q.ToJson());
  }
  {
    mc::Query q;
    q.topic.WithName("/imu").WithOntologyTag("IMU").WithUserMetadata("vendor", mc::Op::In({"a", "b"}));
    q.topic.WithCreatedTimestamp(std::nullopt, 7);
    out.push_back(q.ToJson());
  }
  {
    mc::Query q;
    q.sequence.WithName("s");
    q.topic.WithNameMatch("?camera/*");
    q.ontology.With(mc::models::IMU(), "acceleration.x", mc::Op::Gt(0.5))
        .With(mc::models::IMU(), "acceleration.y", mc::Op::Between(1, 2))
        .With(mc::models::IMU(), "acceleration.z", mc::Op::Outside(-1.0, 1.0))
        .With(mc::models::GPS(), "status.service", mc::Op::In({1, 2}))
        .With(mc::models::IMU(), "header.frame_id", mc::Op::Match("imu*"))
        .With(mc::models::IMU(), "timestamp_ns", mc::Op::Leq(int64_t{1700000000000000000}));
    out.push_back(q.ToJson());
  }
  {
    mc::ClusterizeRequest a;
    a.locator = "s/camera/imu";
    a.ontology.With(mc::models::IMU(), "acceleration.x", mc::Op::Gt(0.5));
    a.clustering_dt_ns = 2000;
    a.timestamp_range = mc::Interval{10, 20};
    out.push_back(a.ToJson());
    mc::ClusterizeRequest b;
    b.locator = "s/gps";
    b.ontology.With(mc::models::GPS(), "status.service", mc::Op::In({1, 2}));
    out.push_back(b.ToJson());
    mc::IntersectRequest both{{a, b}, 500};
    out.push_back(both.ToJson());
  }
  std::cout << out.dump() << std::endl;
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Uploads the file's batches (as they are in the file) into a new sequence's one topic; the time and CPU from
// sequence_create to session_finalize (the connection is made before).
arrow::Status BenchWrite(const std::string& uri, const std::string& sequence, const std::string& file,
                         const std::string& tag, const std::string& format, int stripes) {
  ARROW_ASSIGN_OR_RAISE(auto table, ReadIpc(file));
  ARROW_ASSIGN_OR_RAISE(auto model, mc::Model::Custom(tag, table->schema(), format));
  ARROW_ASSIGN_OR_RAISE(auto client, mc::Client::Connect(uri));
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  arrow::TableBatchReader tr(*table);
  while (true) {
    std::shared_ptr<arrow::RecordBatch> b;
    ARROW_RETURN_NOT_OK(tr.ReadNext(&b));
    if (b == nullptr) break;
    batches.push_back(std::move(b));
  }
  mc::WriterOptions wo;
  wo.stripes = stripes;
  // Twice: the first upload warms the connection(s) up (HTTP/2 flow-control windows grow during a transfer, as on
  // a long-lived client's connection); the second is measured.
  for (int round = 0; round < 2; ++round) {
    // the server's work after the warm-up (fsync, writeback) is not the measured upload's
    if (round == 1) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const double c0 = CpuSeconds();
    const auto t0 = std::chrono::steady_clock::now();
    ARROW_ASSIGN_OR_RAISE(auto session, client.CreateSequence(sequence + (round == 0 ? "_warmup" : ""), {}, wo));
    ARROW_ASSIGN_OR_RAISE(auto* w, session->CreateTopic("data", model));
    const auto w0 = std::chrono::steady_clock::now();
    for (const auto& b : batches) {
      ARROW_RETURN_NOT_OK(w->Write(b));
      if (round == 0) break;  // the warm-up sends one batch (leaving the server little work behind)
    }
    const auto w1 = std::chrono::steady_clock::now();
    ARROW_RETURN_NOT_OK(w->Finalize());
    const auto w2 = std::chrono::steady_clock::now();
    ARROW_RETURN_NOT_OK(session->Finalize());
    const auto w3 = std::chrono::steady_clock::now();
    auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
    if (round == 1) {
      std::cout << nlohmann::json{{"seconds", secs(t0, w3)}, {"cpu_seconds", CpuSeconds() - c0},
                                  {"create_seconds", secs(t0, w0)}, {"write_seconds", secs(w0, w1)},
                                  {"close_seconds", secs(w1, w2)}, {"finalize_seconds", secs(w2, w3)},
                                  {"rows", w->rows_written()}, {"messages", w->batches_written()},
                                  {"locator", w->locator()}}.dump()
                << std::endl;
    }
  }
  return arrow::Status::OK();
}

// Reads a topic whole (GetFlightInfo + DoGet of every stripe): time and CPU after the connection is made.
arrow::Status BenchRead(const std::string& uri, const std::string& locator, int stripes) {
  ARROW_ASSIGN_OR_RAISE(auto client, mc::Client::Connect(uri));
  // Twice, the second measured (the first warms the connection up, see BenchWrite).
  for (int round = 0; round < 2; ++round) {
    const double c0 = CpuSeconds();
    const auto t0 = std::chrono::steady_clock::now();
    mc::ReadOptions ro;
    ro.stripes = stripes;
    ARROW_ASSIGN_OR_RAISE(auto reader, client.ReadTopic(locator, ro));
    int64_t rows = 0;
    std::shared_ptr<arrow::RecordBatch> b;
    while (true) {
      ARROW_RETURN_NOT_OK(reader->ReadNext(&b));
      if (b == nullptr) break;
      rows += b->num_rows();
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (round == 1) {
      std::cout << nlohmann::json{{"seconds", s}, {"cpu_seconds", CpuSeconds() - c0}, {"rows", rows}}.dump()
                << std::endl;
    }
  }
  return arrow::Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  arrow::Status st;
  if (a.size() == 4 && a[0] == "write") st = Write(a[1], a[2], a[3]);
  else if ((a.size() == 4 || a.size() == 5) && a[0] == "read") st = Read(a[1], a[2], a[3], a.size() == 5 ? std::stoi(a[4]) : 1);
  else if (a.size() == 4 && a[0] == "rows") st = Rows(a[1], a[2], std::stoll(a[3]));
  else if (a.size() == 1 && a[0] == "queries") Queries();
  else if ((a.size() == 6 || a.size() == 7) && a[0] == "bench-write")
    st = BenchWrite(a[1], a[2], a[3], a[4], a[5], a.size() == 7 ? std::stoi(a[6]) : 1);
  else if (a.size() == 4 && a[0] == "bench-read") st = BenchRead(a[1], a[2], std::stoi(a[3]));
  else {
    std::fprintf(stderr, "usage: see client/tests/xlang_tool.cc\n");
    return 2;
  }
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}
