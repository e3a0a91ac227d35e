// Example: log a synthetic 1 kHz IMU and a 30 Hz camera (CompressedImage) into a new sequence.
//
//   mosaico_client_example_log_imu_camera [grpc://127.0.0.1:6726] [sequence name] [seconds]
//
// The IMU rows go through the typed row builder (one Set per field, then AppendRow); the camera frames too
// (binary payload + format). The TopicWriters batch rows to the server's message size; Finalize flushes, closes
// the streams and locks the session. Leaving the scope without Finalize would abort the upload (error policy).
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <mosaico/client/builtin_models.h>
#include <mosaico/client/client.h>

namespace mc = mosaico::client;

namespace {
arrow::Status Run(const std::string& uri, const std::string& sequence, int seconds) {
  ARROW_ASSIGN_OR_RAISE(auto client, mc::Client::Connect(uri));
  ARROW_ASSIGN_OR_RAISE(auto session,
                        client.CreateSequence(sequence, {{"robot", "demo-bot"}, {"run", {{"kind", "synthetic"}}}}));
  ARROW_ASSIGN_OR_RAISE(auto* imu, session->CreateTopic("sensors/imu", mc::models::IMU(), {{"rate_hz", 1000}}));
  ARROW_ASSIGN_OR_RAISE(auto* camera,
                        session->CreateTopic("camera/front", mc::models::CompressedImage(), {{"rate_hz", 30}}));

  const int64_t t0 = 1'700'000'000'000'000'000;  // ns
  const int64_t imu_period = 1'000'000;           // 1 kHz
  const int64_t cam_period = 33'333'333;          // 30 Hz
  std::vector<uint8_t> frame(64 * 1024);
  for (int64_t i = 0; i < int64_t{seconds} * 1000; ++i) {
    const int64_t t = t0 + i * imu_period;
    const double s = static_cast<double>(i) / 1000.0;
    auto& row = imu->rows();
    ARROW_RETURN_NOT_OK(row.Set("acceleration.x", 0.1 * std::sin(s)));
    ARROW_RETURN_NOT_OK(row.Set("acceleration.y", 0.1 * std::cos(s)));
    ARROW_RETURN_NOT_OK(row.Set("acceleration.z", 9.81));
    ARROW_RETURN_NOT_OK(row.Set("angular_velocity.x", 0.0));
    ARROW_RETURN_NOT_OK(row.Set("angular_velocity.y", 0.0));
    ARROW_RETURN_NOT_OK(row.Set("angular_velocity.z", 0.01 * s));
    ARROW_RETURN_NOT_OK(row.Set("header.frame_id", "imu_link"));
    ARROW_RETURN_NOT_OK(row.Set("header.timestamp.seconds", static_cast<int32_t>(t / 1'000'000'000)));
    ARROW_RETURN_NOT_OK(row.Set("header.timestamp.nanoseconds", static_cast<uint32_t>(t % 1'000'000'000)));
    ARROW_RETURN_NOT_OK(imu->AppendRow(t));
    if ((t - t0) % cam_period < imu_period) {  // a frame every ~33 ms
      for (size_t k = 0; k < frame.size(); ++k) frame[k] = static_cast<uint8_t>((k + static_cast<size_t>(i)) & 0xff);
      ARROW_RETURN_NOT_OK(camera->rows().SetBytes("data", frame.data(), frame.size()));
      ARROW_RETURN_NOT_OK(camera->rows().Set("format", "jpeg"));
      ARROW_RETURN_NOT_OK(camera->AppendRow(t));
    }
  }
  ARROW_RETURN_NOT_OK(session->Finalize());
  std::printf("sequence '%s': %lld IMU rows, %lld camera frames (%lld bytes) written, %lld dropped\n",
              sequence.c_str(), static_cast<long long>(imu->rows_written()),
              static_cast<long long>(camera->rows_written()), static_cast<long long>(camera->bytes_written()),
              static_cast<long long>(imu->dropped_records() + camera->dropped_records()));
  return arrow::Status::OK();
}
}  // namespace

int main(int argc, char** argv) {
  const std::string uri = argc > 1 ? argv[1] : "grpc://127.0.0.1:6726";
  const std::string sequence = argc > 2 ? argv[2] : "cpp_demo";
  const int seconds = argc > 3 ? std::stoi(argv[3]) : 5;
  auto st = Run(uri, sequence, seconds);
  if (!st.ok()) {
    std::fprintf(stderr, "error: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}
